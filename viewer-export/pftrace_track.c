/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pftrace's descriptors and the process tree: the rare packets that name
 * tracks, through protobuf-c (pftrace.h). Strings from the target are made
 * valid UTF-8 here, as protobuf string fields must be.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pftrace_int.h"
#include "text_escape.h"

static void fill_track_kind(Perfetto__Protos__TrackDescriptor *td, const struct pftrace_track *t,
			    Perfetto__Protos__ProcessDescriptor *pd,
			    Perfetto__Protos__ThreadDescriptor *thd,
			    Perfetto__Protos__CounterDescriptor *cd, char **cmdv)
{
	switch (t->kind) {
	case PFTRACE_TRACK_PROCESS:
		pd->has_pid = 1, pd->pid = t->pid;
		pd->process_name = (char *)t->name;
		if (t->cmdline) {
			cmdv[0] = (char *)t->cmdline;
			pd->n_cmdline = 1, pd->cmdline = cmdv;
		}
		td->process = pd;
		return;
	case PFTRACE_TRACK_THREAD:
		thd->has_pid = 1, thd->pid = t->pid;
		thd->has_tid = 1, thd->tid = t->tid;
		thd->thread_name = (char *)t->name;
		td->thread = thd;
		return;
	case PFTRACE_TRACK_COUNTER:
		cd->unit_name = (char *)t->unit_name;
		cd->has_unit_multiplier = t->unit_multiplier != 0;
		cd->unit_multiplier = t->unit_multiplier;
		td->counter = cd;
		break;
	case PFTRACE_TRACK_PLAIN:
		break;
	}
	/* Process and thread tracks take their names from their descriptors. */
	if (t->name) {
		td->static_or_dynamic_name_case =
			PERFETTO__PROTOS__TRACK_DESCRIPTOR__STATIC_OR_DYNAMIC_NAME_NAME;
		td->name = (char *)t->name;
	}
	td->has_parent_uuid = t->parent_uuid != 0;
	td->parent_uuid = t->parent_uuid;
}

/*
 * s when it is valid UTF-8, else a fixed copy kept in fix[] (freed by the
 * caller): protobuf string fields must hold valid UTF-8, and a thread name
 * or command line from the target need not. NULL stays NULL.
 */
static const char *utf8_field(const char *s, char **fix, size_t *nfix, int *err)
{
	char *c;

	if (!s || ls_utf8_valid(s, strlen(s)))
		return s;
	c = ls_utf8_fixdup(s, strlen(s), NULL);
	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	fix[(*nfix)++] = c;
	return c;
}

static int write_track(struct pftrace *w, uint64_t ts, const struct pftrace_track *t);

int pftrace__track(struct pftrace *w, uint64_t ts, const struct pftrace_track *t)
{
	struct pftrace_track v = *t;
	char *fix[4];
	size_t nfix = 0;
	int err = 0;

	v.name = utf8_field(t->name, fix, &nfix, &err);
	v.description = utf8_field(t->description, fix, &nfix, &err);
	v.cmdline = utf8_field(t->cmdline, fix, &nfix, &err);
	v.unit_name = utf8_field(t->unit_name, fix, &nfix, &err);
	err = err ? pft_set_err(w, err) : write_track(w, ts, &v);
	while (nfix)
		free(fix[--nfix]);
	return err;
}

static int write_track(struct pftrace *w, uint64_t ts, const struct pftrace_track *t)
{
	Perfetto__Protos__TracePacket pkt = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	Perfetto__Protos__TrackDescriptor td = PERFETTO__PROTOS__TRACK_DESCRIPTOR__INIT;
	Perfetto__Protos__ProcessDescriptor pd = PERFETTO__PROTOS__PROCESS_DESCRIPTOR__INIT;
	Perfetto__Protos__ThreadDescriptor thd = PERFETTO__PROTOS__THREAD_DESCRIPTOR__INIT;
	Perfetto__Protos__CounterDescriptor cd = PERFETTO__PROTOS__COUNTER_DESCRIPTOR__INIT;
	char *cmdv[1];

	if (w->err)
		return w->err;
	if (!t->uuid)	/* 0 is the implicit root track: describing it is a bug */
		return -EINVAL;
	td.has_uuid = 1;
	td.uuid = t->uuid;
	fill_track_kind(&td, t, &pd, &thd, &cd, cmdv);
	td.description = (char *)t->description;
	td.has_disallow_merging_with_system_tracks = t->no_system_merge;
	td.disallow_merging_with_system_tracks = t->no_system_merge;
	pkt.has_timestamp = ts != 0;
	pkt.timestamp = ts;
	pkt.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_DESCRIPTOR;
	pkt.track_descriptor = &td;
	return pftrace__write_packet(w, &pkt);
}

/* A ProcessTree packet, unless a string failed (err); frees the fixed strings either way. */
static int write_tree(struct pftrace *w, uint64_t ts, Perfetto__Protos__ProcessTree *tree, int err,
		      char **fix, size_t nfix)
{
	Perfetto__Protos__TracePacket pkt = PERFETTO__PROTOS__TRACE_PACKET__INIT;

	pkt.has_timestamp = ts != 0;
	pkt.timestamp = ts;
	pkt.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_PROCESS_TREE;
	pkt.process_tree = tree;
	err = err ? pft_set_err(w, err) : pftrace__write_packet(w, &pkt);
	if (nfix)
		free(fix[0]);
	return err;
}

int pftrace__thread_name(struct pftrace *w, uint64_t ts, int32_t pid, int32_t tid,
			 const char *name)
{
	Perfetto__Protos__ProcessTree tree = PERFETTO__PROTOS__PROCESS_TREE__INIT;
	Perfetto__Protos__ProcessTree__Thread th = PERFETTO__PROTOS__PROCESS_TREE__THREAD__INIT;
	Perfetto__Protos__ProcessTree__Thread *thp = &th;
	char *fix[1];
	size_t nfix = 0;
	int err = 0;

	th.has_tid = 1, th.tid = tid;
	th.has_tgid = 1, th.tgid = pid;
	th.name = (char *)utf8_field(name, fix, &nfix, &err);
	tree.n_threads = 1;
	tree.threads = &thp;
	return write_tree(w, ts, &tree, err, fix, nfix);
}

int pftrace__process_tree(struct pftrace *w, uint64_t ts, int32_t pid, int32_t ppid,
			  const char *cmdline)
{
	Perfetto__Protos__ProcessTree tree = PERFETTO__PROTOS__PROCESS_TREE__INIT;
	Perfetto__Protos__ProcessTree__Process pr = PERFETTO__PROTOS__PROCESS_TREE__PROCESS__INIT;
	Perfetto__Protos__ProcessTree__Process *prp = &pr;
	char *fix[1], *cmdv[1];
	size_t nfix = 0;
	int err = 0;

	pr.has_pid = 1, pr.pid = pid;
	pr.has_ppid = ppid != 0, pr.ppid = ppid;
	cmdv[0] = (char *)utf8_field(cmdline, fix, &nfix, &err);
	pr.n_cmdline = cmdv[0] != NULL, pr.cmdline = cmdv;
	tree.n_processes = 1;
	tree.processes = &prp;
	return write_tree(w, ts, &tree, err, fix, nfix);
}

static uint64_t mix64(uint64_t x)
{
	/* splitmix64's finaliser: every input bit reaches every output bit. */
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint64_t pftrace__track_uuid(enum pftrace_uuid_kind kind, uint32_t pid, uint32_t tid)
{
	uint64_t h = mix64(mix64(((uint64_t)kind << 32 | pid) ^ 0x6c6f6f7073636f70ull) ^ tid);

	return h ? h : 1;
}
