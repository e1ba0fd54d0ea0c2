/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The traced processes (prc_): LS_REC_PROC records in, struct ls_process
 * out, through the sink and in the summary.
 *
 * Memory follows the live processes, as it follows the live threads: a
 * process is held from its first record to its exit. At its exit one
 * without loop threads is let go entirely, so a fork storm of short
 * children costs nothing once they are gone; one with loops stays in the
 * summary, which keeps at most LS_KEEP_PROCS. Processes with loops come
 * first: a loop's process takes the place of a live one without loops
 * (the newest, so the root keeps its place) when the list is full.
 *
 * Order: the kernel's records (fork, exec, exit, join) come through the
 * shared ring buffer, a process's INFO from user space after it read /proc,
 * so an INFO can trail the exit of a short process. The last PRC_GONE pids
 * that exited are remembered so such an INFO describes nothing instead of
 * bringing the process back for good.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "correlator_int.h"

#define PRC_GONE	256	/* exited pids remembered against late INFO records */
#define PRC_MAX_LIVE	(2 * LS_MAX_PROCS)	/* bound if exits are lost */

struct prc_proc {
	struct ls_process info;	/* first: the summary points at it, and frees it as one */
	bool listed;		/* in summary.procs */
	bool merged;		/* counted in summary.procs_merged */
};

struct prc_run {
	struct ls_table live;	/* struct prc_proc *, by pid: not exited */
	uint32_t gone[PRC_GONE];
	uint32_t gone_next;
};

static bool proc_is(const void *entry, const void *pid)
{
	return (*(struct prc_proc *const *)entry)->info.pid == *(const uint32_t *)pid;
}

static struct prc_run *run_of(struct correlator *c)
{
	if (!c->procs && (c->procs = calloc(1, sizeof(*c->procs))))
		ls_table_init(&c->procs->live, sizeof(struct prc_proc *), 16, PRC_MAX_LIVE, proc_is);
	if (c->procs && !c->summary.procs)
		c->summary.procs = calloc(LS_KEEP_PROCS, sizeof(*c->summary.procs));
	return c->procs && c->summary.procs ? c->procs : NULL;
}

static struct prc_proc **live_slot(const struct prc_run *r, uint32_t pid)
{
	return r ? ls_table_find(&r->live, ls_hash_u64(pid), &pid) : NULL;
}

static bool recently_gone(const struct prc_run *r, uint32_t pid)
{
	uint32_t i;

	for (i = 0; i < PRC_GONE; i++)
		if (r->gone[i] == pid)
			return true;
	return false;
}

static void forget_gone(struct prc_run *r, uint32_t pid)
{
	uint32_t i;

	for (i = 0; i < PRC_GONE; i++)
		if (r->gone[i] == pid)
			r->gone[i] = 0;
}

static void notify(struct correlator *c, const struct prc_proc *p)
{
	if (c->opts.sink.on_process)
		c->opts.sink.on_process(c->opts.sink.ctx, &p->info);
}

static bool list_proc(struct ls_summary *s, struct prc_proc *p)
{
	if (s->nprocs == LS_KEEP_PROCS)
		return false;
	s->procs[s->nprocs++] = &p->info;
	p->listed = true;
	return true;
}

static void unlist_proc(struct ls_summary *s, struct prc_proc *p)
{
	uint32_t i;

	for (i = 0; i < s->nprocs && s->procs[i] != &p->info; i++)
		;
	if (i == s->nprocs)
		return;
	memmove(&s->procs[i], &s->procs[i + 1], (s->nprocs - i - 1) * sizeof(*s->procs));
	s->nprocs--;
	p->listed = false;
}

static struct prc_proc *new_proc(struct correlator *c, struct prc_run *r, uint32_t pid,
				 uint64_t ts)
{
	struct prc_proc **slot, *p;
	bool created;

	slot = ls_table_insert(&r->live, ls_hash_u64(pid), &pid, &created);
	if (!slot || !created)
		return slot ? *slot : NULL;
	p = calloc(1, sizeof(*p));
	if (!p) {
		ls_table_remove(&r->live, slot);
		return NULL;
	}
	p->info.pid = pid;
	p->info.first_ts = p->info.last_ts = ts;
	*slot = p;
	c->summary.procs_seen++;
	list_proc(&c->summary, p);
	return p;
}

/* Its last report; then it goes, unless the summary keeps it for its loops. */
static void retire(struct correlator *c, struct prc_run *r, struct prc_proc *p)
{
	ls_table_remove(&r->live, live_slot(r, p->info.pid));
	r->gone[r->gone_next++ % PRC_GONE] = p->info.pid;
	p->info.exited = true;
	notify(c, p);
	if (p->listed && p->info.loops)
		return;
	if (p->listed)
		unlist_proc(&c->summary, p);
	free(p);
}

static void apply(struct ls_process *p, const struct ls_rec_proc *r)
{
	char comm[LS_COMM_LEN];

	memcpy(comm, r->comm, sizeof(comm));
	comm[LS_COMM_LEN - 1] = '\0';
	if (r->ts > p->last_ts)
		p->last_ts = r->ts;
	if (r->ppid)
		p->ppid = r->ppid;
	if (comm[0])
		memcpy(p->comm, comm, sizeof(comm));
	if (r->event == LS_PROC_EXEC) {
		p->execs++;
		p->cmdline_len = 0;	/* the old one no longer describes it: until the next INFO */
	} else if (r->event == LS_PROC_INFO) {
		memcpy(p->cmdline, r->cmdline, r->cmdline_len);
		p->cmdline_len = r->cmdline_len;
	}
}

int prc_proc_rec(struct correlator *c, const void *rec)
{
	const struct ls_rec_proc *r = rec;
	struct prc_run *run;
	struct prc_proc **slot, *p;

	if (!r->pid || !r->event || r->event > LS_PROC_INFO || r->cmdline_len > LS_PROC_CMDLINE_MAX)
		return -EINVAL;
	if (!(run = run_of(c)))
		return -ENOMEM;
	slot = live_slot(run, r->pid);
	p = slot ? *slot : NULL;
	if (r->event == LS_PROC_EXIT) {
		if (p) {
			p->info.last_ts = r->ts > p->info.last_ts ? r->ts : p->info.last_ts;
			retire(c, run, p);
		}
		return 0;
	}
	if (r->event == LS_PROC_INFO && !p && recently_gone(run, r->pid))
		return 0;	/* read from /proc before its exit, arrived after it */
	if (p && r->event == LS_PROC_FORK) {
		retire(c, run, p);	/* a reused pid whose exit was lost */
		p = NULL;
	}
	if (r->event == LS_PROC_FORK || r->event == LS_PROC_JOIN)
		forget_gone(run, r->pid);
	if (!p && !(p = new_proc(c, run, r->pid, r->ts)))
		return -ENOMEM;
	apply(&p->info, r);
	notify(c, p);
	return 0;
}

/* A place for a process with loops: the newest live process without loops gives up its own. */
static void make_room(struct ls_summary *s, struct prc_proc *p)
{
	uint32_t i = s->nprocs;

	while (s->nprocs == LS_KEEP_PROCS && i-- > 0)
		if (!s->procs[i]->loops) {
			unlist_proc(s, (struct prc_proc *)s->procs[i]);
			break;
		}
	if (!list_proc(s, p) && !p->merged) {
		p->merged = true;
		s->procs_merged++;
	}
}

void prc_add_loop(struct correlator *c, uint32_t pid, uint64_t ts, const char *comm)
{
	struct prc_run *run = run_of(c);
	struct prc_proc **slot = live_slot(run, pid), *p;
	bool gone;

	if (!run)
		return;
	gone = !slot && recently_gone(run, pid);
	p = slot ? *slot : new_proc(c, run, pid, ts);
	if (!p)
		return;	/* its loops stay, unnamed */
	if (!p->info.comm[0] && comm)
		memcpy(p->info.comm, comm, LS_COMM_LEN);
	p->info.loops++;
	if (!p->listed)
		make_room(&c->summary, p);
	notify(c, p);
	if (gone)	/* its exit came first (another CPU's ring-buffer order) */
		retire(c, run, p);
}

void prc_leader_named(struct correlator *c, uint32_t pid, const char *comm)
{
	struct prc_proc **slot = live_slot(c->procs, pid);

	if (!slot || !strncmp((*slot)->info.comm, comm, LS_COMM_LEN))
		return;
	memcpy((*slot)->info.comm, comm, LS_COMM_LEN);
	notify(c, *slot);
}

size_t prc_live(const struct correlator *c)
{
	return c->procs ? ls_table_count(&c->procs->live) : 0;
}

/* The live processes the summary does not own; the summary's go with it. */
void prc_free(struct correlator *c)
{
	struct prc_proc **p;
	size_t i;

	if (!c->procs)
		return;
	for (i = 0; i < ls_table_cap(&c->procs->live); i++)
		if ((p = ls_table_slot(&c->procs->live, i)) && !(*p)->listed)
			free(*p);
	ls_table_free(&c->procs->live);
	free(c->procs);
	c->procs = NULL;
}

/* ---- the summary's processes, for exporters and readers ---- */

/* The newest of a pid: a reused pid's loops are the new process's. */
const struct ls_process *ls_summary_proc(const struct ls_summary *s, uint32_t pid)
{
	uint32_t i = s->nprocs;

	while (i-- > 0)
		if (s->procs[i]->pid == pid)
			return s->procs[i];
	return NULL;
}

const char *ls_loop_proc_comm(const struct ls_summary *s, const struct ls_loop_summary *l)
{
	const struct ls_process *p = ls_summary_proc(s, l->pid);
	uint32_t i;

	if (p && p->comm[0])
		return p->comm;
	for (i = 0; i < s->nloops; i++)
		if (s->loops[i]->pid == l->pid && s->loops[i]->tid == l->pid && s->loops[i]->comm[0])
			return s->loops[i]->comm;
	return l->comm;
}

unsigned ls_summary_loop_pids(const struct ls_summary *s)
{
	unsigned n = 0;
	uint32_t i, j;

	for (i = 0; i < s->nloops; i++) {
		const struct ls_loop_summary *l = s->loops[i];

		if (!l->iterations || !l->tid)
			continue;
		for (j = 0; j < i; j++)
			if (s->loops[j]->pid == l->pid && s->loops[j]->iterations && s->loops[j]->tid)
				break;
		n += j == i;
	}
	return n;
}

void ls_summary_free_procs(struct ls_summary *s)
{
	uint32_t i;

	for (i = 0; i < s->nprocs; i++)
		free(s->procs[i]);
	free(s->procs);
	s->procs = NULL;
	s->nprocs = 0;
}
