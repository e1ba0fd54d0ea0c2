/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Loops of two summaries paired (compare.h). A tid means nothing across
 * runs, and neither does a pid: with several processes (a master and its
 * workers) a loop is known by what it is, its process's name and its place
 * among the processes of that name and among its process's loops. The
 * ranks are by pid and tid because forks and thread creation hand them out
 * in order (short of a wrap of pid_max), so the nth worker started is the
 * nth of each run.
 */
#include <stdlib.h>
#include <string.h>
#include "compare.h"

struct key {
	const char *comm;	/* the process's */
	unsigned proc_rank;	/* among the processes of that comm with loops, by pid */
	unsigned loop_rank;	/* among its process's loops, by tid */
	bool merged;		/* the entry of exited loops */
	bool used;
};

static bool listed(const struct ls_loop_summary *l)
{
	return l->iterations && l->tid;
}

static void key_of(const struct ls_summary *s, uint32_t i, struct key *k)
{
	const struct ls_loop_summary *l = s->loops[i], *o;
	uint32_t j, pids_below[LS_KEEP_PROCS] = { 0 };
	unsigned n = 0, m;

	k->comm = ls_loop_proc_comm(s, l);
	k->merged = !l->tid;
	for (j = 0; j < s->nloops && !k->merged; j++) {
		o = s->loops[j];
		if (!listed(o))
			continue;
		if (o->pid == l->pid) {
			k->loop_rank += o->tid < l->tid;
			continue;
		}
		if (o->pid > l->pid || strcmp(ls_loop_proc_comm(s, o), k->comm))
			continue;
		for (m = 0; m < n && pids_below[m] != o->pid; m++)
			;
		if (m == n && n < LS_KEEP_PROCS)	/* a distinct pid below, counted once */
			pids_below[n++] = o->pid;
	}
	k->proc_rank = n;
}

static bool same_pids(const struct ls_summary *a, const struct ls_summary *b)
{
	uint32_t i, j;

	for (i = 0; i < a->nloops; i++) {
		for (j = 0; listed(a->loops[i]) && j < b->nloops; j++)
			if (listed(b->loops[j]) && b->loops[j]->pid == a->loops[i]->pid)
				break;
		if (listed(a->loops[i]) && j == b->nloops)
			return false;
	}
	return true;
}

static bool keys_match(const struct ls_summary *b, uint32_t i, const struct key *kb,
		       const struct ls_summary *c, uint32_t j, const struct key *kc, bool by_tid)
{
	if (kb->merged || kc->merged)
		return kb->merged && kc->merged;
	if (by_tid)
		return b->loops[i]->tid == c->loops[j]->tid;
	return kb->proc_rank == kc->proc_rank && kb->loop_rank == kc->loop_rank &&
	       !strcmp(kb->comm, kc->comm);
}

static bool shown(const struct ls_loop_summary *l)
{
	return l->iterations > 0;
}

unsigned cmp_match_loops(const struct ls_summary *base, const struct ls_summary *cur,
			 struct cmp_loop_pair *out, unsigned max)
{
	struct key *kb = calloc(base->nloops + 1, sizeof(*kb));
	struct key *kc = calloc(cur->nloops + 1, sizeof(*kc));
	bool by_tid = same_pids(base, cur) && same_pids(cur, base);
	unsigned n = 0;
	uint32_t i, j;

	if (!kb || !kc)
		goto out;	/* out of memory: nothing paired */
	for (i = 0; i < base->nloops; i++)
		key_of(base, i, &kb[i]);
	for (j = 0; j < cur->nloops; j++)
		key_of(cur, j, &kc[j]);
	for (i = 0; i < base->nloops && n < max; i++) {
		if (!shown(base->loops[i]))
			continue;
		for (j = 0; j < cur->nloops; j++)
			if (!kc[j].used && shown(cur->loops[j]) &&
			    keys_match(base, i, &kb[i], cur, j, &kc[j], by_tid))
				break;
		out[n++] = (struct cmp_loop_pair){ .base = (int32_t)i,
						   .cur = j < cur->nloops ? (int32_t)j : -1 };
		if (j < cur->nloops)
			kc[j].used = true;
	}
	for (j = 0; j < cur->nloops && n < max; j++)
		if (!kc[j].used && shown(cur->loops[j]))
			out[n++] = (struct cmp_loop_pair){ .base = -1, .cur = (int32_t)j };
out:
	free(kb);
	free(kc);
	return n;
}
