/* SPDX-License-Identifier: BSD-2-Clause */
/* The agent's per-loop counters (fleet.h). */
#include <string.h>
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
	unsigned b;

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
	for (b = 0; b < LS_FLEET_BUCKETS && busy > ls_fleet_bucket_ns[b]; b++)
		;
	if (b < LS_FLEET_BUCKETS)	/* past the last bound: only in +Inf, the count */
		l->le[b]++;
}

void ls_fleet_thread_exit(struct ls_fleet *f, const struct ls_thread *th, uint64_t now_ns)
{
	struct ls_fleet_loop *l = row_of(f, th, false);

	if (l)
		l->exited_ns = now_ns ? now_ns : 1;
}

void ls_fleet_expire(struct ls_fleet *f, uint64_t now_ns)
{
	uint32_t i, n = 0;

	for (i = 0; i < f->nloops; i++) {
		const struct ls_fleet_loop *l = &f->loops[i];

		if (l->exited_ns && now_ns >= l->exited_ns && now_ns - l->exited_ns >= f->grace_ns)
			continue;
		if (n != i)
			f->loops[n] = *l;
		n++;
	}
	f->nloops = n;
}
