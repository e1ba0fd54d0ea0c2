/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Process tracks: one per traced process, described at its first event and
 * named from the model's processes (on_process): comm as the process name,
 * the command line as its cmdline. The root keeps the names of
 * trace_export_opts when it has them (the command loopscope started).
 *
 * Names can come after the description (user space describes a process
 * once the kernel reported it): a track described without a name is
 * described again with it (trace_processor and the validator accept a name
 * added later), a changed name (an exec) goes out as a ProcessTree entry,
 * as re-describing a named track with another name is a conflict.
 *
 * Memory: a process's entry goes at its exit. Events of it after that
 * (another CPU's order) describe it again, unnamed, under the same uuid.
 */
#include <errno.h>
#include <string.h>
#include "trace_export_int.h"

struct te_proc {
	uint32_t pid;
	uint32_t ppid;
	bool described;
	bool named;		/* described with a name */
	bool renamed;		/* names changed since by ProcessTree: all later ones too */
	char comm[LS_COMM_LEN];
	char cmdline[LS_PROC_CMDLINE_MAX + 1];	/* NUL-terminated, "" = unknown */
};

static bool te_proc_eq(const void *entry, const void *key)
{
	return ((const struct te_proc *)entry)->pid == *(const uint32_t *)key;
}

void te_procs_init(struct trace_export *te)
{
	ls_table_init(&te->procs, sizeof(struct te_proc), 4, SIZE_MAX, te_proc_eq);
}

static struct te_proc *get_proc(struct trace_export *te, uint32_t pid)
{
	bool created;
	struct te_proc *p = ls_table_insert(&te->procs, ls_hash_u64(pid), &pid, &created);

	if (!p)
		te_set_err(te, -ENOMEM);
	else if (created)
		p->pid = pid;
	return p;
}

static bool is_root(const struct trace_export *te, uint32_t pid)
{
	return pid == te->pid && te->process_name;
}

static void write_descriptor(struct trace_export *te, struct te_proc *p, uint64_t ts)
{
	struct pftrace_track tr = { .kind = PFTRACE_TRACK_PROCESS, .pid = (int32_t)p->pid };

	tr.uuid = pftrace__track_uuid(PFTRACE_UUID_PROCESS, p->pid, 0);
	if (is_root(te, p->pid)) {
		tr.name = te->process_name;
		tr.cmdline = te->cmdline;
	} else {
		tr.name = p->comm[0] ? p->comm : NULL;
		tr.cmdline = p->cmdline[0] ? p->cmdline : NULL;
	}
	if (!pftrace__track(te->w, ts, &tr)) {
		p->described = true;
		p->named = tr.name != NULL;
	}
}

void te_describe_process(struct trace_export *te, uint32_t pid, uint64_t ts)
{
	struct te_proc *p = get_proc(te, pid);

	if (p && !p->described)
		write_descriptor(te, p, ts);
}

/* The command line as one cmdline element: its bytes up to a NUL, NULs made spaces. */
static void copy_cmdline(char *dst, const struct ls_process *p)
{
	uint32_t i;

	for (i = 0; i < p->cmdline_len; i++)
		dst[i] = p->cmdline[i] ? p->cmdline[i] : ' ';
	dst[p->cmdline_len] = '\0';
}

static void on_described_change(struct trace_export *te, struct te_proc *p, bool new_name,
				uint64_t ts)
{
	if (!p->named && !p->renamed) {
		write_descriptor(te, p, ts);	/* a first name: no conflict */
		return;
	}
	if (new_name)
		p->renamed = true;
	if (p->renamed)
		pftrace__process_tree(te->w, ts, (int32_t)p->pid, (int32_t)p->ppid,
				      p->cmdline[0] ? p->cmdline : p->comm);
	else
		write_descriptor(te, p, ts);	/* same name, a command line added */
}

void te_on_process(void *ctx, const struct ls_process *lp)
{
	struct trace_export *te = ctx;
	struct te_proc *p;
	char cmdline[LS_PROC_CMDLINE_MAX + 1];
	bool new_name, changed;

	if (lp->exited) {
		if ((p = ls_table_find(&te->procs, ls_hash_u64(lp->pid), &lp->pid)))
			ls_table_remove(&te->procs, p);
		return;
	}
	if (!(p = get_proc(te, lp->pid)))
		return;
	copy_cmdline(cmdline, lp);
	new_name = lp->comm[0] && strncmp(p->comm, lp->comm, LS_COMM_LEN);
	changed = new_name || strcmp(p->cmdline, cmdline) || (lp->ppid && lp->ppid != p->ppid);
	memcpy(p->comm, lp->comm, LS_COMM_LEN);
	memcpy(p->cmdline, cmdline, sizeof(cmdline));
	p->ppid = lp->ppid ? lp->ppid : p->ppid;
	if (changed && p->described && !is_root(te, p->pid))
		on_described_change(te, p, new_name && p->named, lp->last_ts);
}
