/* SPDX-License-Identifier: BSD-2-Clause */
/* The agent's per-loop counters (fleet.h). */
#include <stdbool.h>
#include <string.h>
#include "record.h"
#include "fleet.h"

const uint64_t ls_fleet_bucket_ns[LS_FLEET_BUCKETS] = {
	100000, 250000, 500000,
	1000000, 2500000, 5000000,
	10000000, 25000000, 50000000,
	100000000, 250000000, 500000000,
	1000000000, 2500000000ull, 5000000000ull,
	10000000000ull,
};

void ls_fleet_init(struct ls_fleet *f, uint64_t grace_ns)
{
	memset(f, 0, sizeof(*f));
	f->grace_ns = grace_ns;
}

/* The first bucket v fits in; past the last bound it is only in +Inf (the count). */
static void count_into(uint64_t le[LS_FLEET_BUCKETS], uint64_t v)
{
	unsigned b;

	for (b = 0; b < LS_FLEET_BUCKETS && v > ls_fleet_bucket_ns[b]; b++)
		;
	if (b < LS_FLEET_BUCKETS)
		le[b]++;
}

static struct ls_fleet_loop *row_of(struct ls_fleet *f, const struct ls_thread *th, bool make)
{
	struct ls_fleet_loop *l;
	uint32_t i;

	for (i = 0; i < f->nloops; i++)
		if (f->loops[i].tid == th->tid && f->loops[i].pid == th->pid && !f->loops[i].exited_ns)
			return &f->loops[i];
	if (!make || f->nloops == LS_FLEET_MAX_LOOPS)
		return NULL;
	l = &f->loops[f->nloops++];
	memset(l, 0, sizeof(*l));
	l->pid = th->pid;
	l->tid = th->tid;
	return l;
}

void ls_fleet_iteration(struct ls_fleet *f, const struct ls_thread *th, const struct ls_iteration *it)
{
	struct ls_fleet_loop *l = row_of(f, th, true);
	uint64_t busy = ls_iteration_busy(it);

	if (!l) {
		f->loops_full++;
		return;
	}
	memcpy(l->comm, th->comm, sizeof(l->comm));	/* a rename shows at the next scrape */
	l->iterations++;
	l->busy_ns += busy;
	if (it->stall) {
		l->stalls++;
		l->stall_ns += busy;
	}
	count_into(l->le, busy);
	ls_busy_window_add(&l->win, it);
}

void ls_fleet_thread_exit(struct ls_fleet *f, const struct ls_thread *th, uint64_t now_ns)
{
	struct ls_fleet_loop *l = row_of(f, th, false);

	if (l)
		l->exited_ns = now_ns ? now_ns : 1;
}

static struct ls_fleet_pool *pool_of(struct ls_fleet *f, uint32_t pid, uint32_t kind)
{
	struct ls_fleet_pool *p;
	uint32_t i;

	for (i = 0; i < f->npools; i++)
		if (f->pools[i].pid == pid && f->pools[i].kind == kind && !f->pools[i].exited_ns)
			return &f->pools[i];
	if (f->npools == LS_FLEET_MAX_POOLS)
		return NULL;
	p = &f->pools[f->npools++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->kind = kind;
	return p;
}

void ls_fleet_work(struct ls_fleet *f, const struct ls_work_item *w, uint32_t event)
{
	struct ls_fleet_pool *p;
	uint64_t q;

	/* a *Sync call never queued; one submitted before the probes has no known start */
	if (event != LS_WORK_PICKUP || w->sync || w->queue_unseen || !w->submit_ts ||
	    w->pickup_ts < w->submit_ts)
		return;
	p = pool_of(f, w->pid, w->kind);
	if (!p) {
		f->pools_full++;
		return;
	}
	q = w->pickup_ts - w->submit_ts;
	p->items++;
	p->queue_ns += q;
	count_into(p->le, q);
}

void ls_fleet_process_exit(struct ls_fleet *f, uint32_t pid, uint64_t now_ns)
{
	uint32_t i;

	for (i = 0; i < f->nprocs; i++)
		if (f->procs[i].pid == pid && !f->procs[i].exited_ns)
			f->procs[i].exited_ns = now_ns ? now_ns : 1;

	for (i = 0; i < f->npools; i++)
		if (f->pools[i].pid == pid && !f->pools[i].exited_ns)
			f->pools[i].exited_ns = now_ns ? now_ns : 1;
}

static bool expired(const struct ls_fleet *f, uint64_t exited_ns, uint64_t now_ns)
{
	return exited_ns && now_ns >= exited_ns && now_ns - exited_ns >= f->grace_ns;
}

void ls_fleet_expire(struct ls_fleet *f, uint64_t now_ns)
{
	uint32_t i, n = 0;

	for (i = 0; i < f->nloops; i++)
		if (!expired(f, f->loops[i].exited_ns, now_ns))
			f->loops[n++] = f->loops[i];
	f->nloops = n;
	for (i = 0, n = 0; i < f->npools; i++)
		if (!expired(f, f->pools[i].exited_ns, now_ns))
			f->pools[n++] = f->pools[i];
	f->npools = n;
	for (i = 0, n = 0; i < f->nprocs; i++)
		if (!expired(f, f->procs[i].exited_ns, now_ns))
			f->procs[n++] = f->procs[i];
	f->nprocs = n;
}

/* The "0::PATH" line's path and its length, or NULL. */
static const char *v2_path(const char *text, size_t *len)
{
	const char *p = text, *end;

	while (p && *p) {
		end = strchr(p, '\n');
		if (!strncmp(p, "0::", 3)) {
			p += 3;
			*len = end ? (size_t)(end - p) : strlen(p);
			return p;
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

void ls_fleet_process_cgroup(struct ls_fleet *f, uint32_t pid, const char *proc_cgroup)
{
	struct ls_fleet_proc *p = NULL;
	const char *path;
	size_t len = 0, room = LS_FLEET_CGROUP_LEN - 1;
	uint32_t i;

	for (i = 0; i < f->nprocs && !p; i++)
		if (f->procs[i].pid == pid && !f->procs[i].exited_ns)
			p = &f->procs[i];
	if (!p && f->nprocs == LS_FLEET_MAX_PROCS)
		return;
	if (!p) {
		p = &f->procs[f->nprocs++];
		memset(p, 0, sizeof(*p));
		p->pid = pid;
	}
	path = v2_path(proc_cgroup, &len);
	if (!path) {
		p->cgroup[0] = 0;
	} else if (len <= room) {
		memcpy(p->cgroup, path, len);
		p->cgroup[len] = 0;
	} else {	/* the tail names the service; the head is the slice it is in */
		memcpy(p->cgroup, "...", 3);
		memcpy(p->cgroup + 3, path + len - (room - 3), room - 3);
		p->cgroup[room] = 0;
	}
}

const char *ls_fleet_cgroup_of(const struct ls_fleet *f, uint32_t pid)
{
	const char *found = "";
	uint32_t i;

	for (i = 0; i < f->nprocs; i++)	/* the newest: a reused pid's old row may linger */
		if (f->procs[i].pid == pid)
			found = f->procs[i].cgroup;
	return found;
}

void ls_fleet_scraped(struct ls_fleet *f)
{
	uint32_t i;

	for (i = 0; i < f->nloops; i++)
		ls_busy_window_next(&f->loops[i].win);
}
