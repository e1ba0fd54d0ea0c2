/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libuv on top of the loop model: phases per iteration (the thread pool is
 * uv_pool.c's). Phase records come from the loop thread itself, so they
 * share its order with its syscalls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "correlator_int.h"
#include "loop_summary.h"
#include "record.h"

#define MAX_PHASES_PER_ITER	32
#define UV_1_45		0x012d00	/* timers moved after the poll phase (libuv 1.45.0) */

/* A loop thread's phases: allocated at its first phase record. */
struct uvc_thread {
	uint64_t poll_entry;		/* uv__io_poll entered, not yet returned */
	uint32_t nphases;		/* phases of the current iteration so far */
	struct ls_phase_span phases[MAX_PHASES_PER_ITER];
};

static void add_phase(struct thread_state *t, uint32_t phase, uint64_t start, uint64_t end,
		      bool inferred)
{
	struct uvc_thread *u = t->uv;
	struct ls_phase_span *p;

	if (u->nphases == MAX_PHASES_PER_ITER || end < start)
		return;
	p = &u->phases[u->nphases++];
	p->pid = t->info.pid;
	p->tid = t->info.tid;
	p->phase = phase;
	p->start = start;
	p->end = end;
	p->inferred = inferred;
}

static void phase_stats_add(struct thread_state *t, const struct ls_phase_span *p);

int uvc_phase_rec(struct correlator *c, const void *rec)
{
	const struct ls_rec_uv_phase *r = rec;
	struct thread_state *t;

	if (r->phase >= LS_UV_PROBED || !r->tid || (r->end && r->end < r->ts) ||
	    (!r->end && r->phase != LS_PHASE_POLL))
		return -EINVAL;
	t = corr_get_thread(c, r->pid, r->tid);
	if (!t || (!t->uv && !(t->uv = calloc(1, sizeof(*t->uv)))))
		return -ENOMEM;
	if (!r->end) {
		t->uv->poll_entry = r->ts;
		return 0;
	}
	if (r->phase == LS_PHASE_JS_CALLBACK) {
		/* nests inside the phases: its own span, not one of the iteration's phases */
		struct ls_phase_span js = { .pid = r->pid, .tid = r->tid, .phase = r->phase,
					    .start = r->ts, .end = r->end, .iter = corr_iter_of(t) };

		phase_stats_add(t, &js);
		if (c->opts.sink.on_js_callback)
			c->opts.sink.on_js_callback(c->opts.sink.ctx, &t->info, &js);
		return 0;
	}
	if (r->phase == LS_PHASE_POLL) {
		/* after the wait, uv__io_poll runs the I/O callbacks until it returns */
		uint64_t start = t->last_poll_exit > r->ts ? t->last_poll_exit : r->ts;

		add_phase(t, LS_PHASE_IO_CALLBACKS, start, r->end, false);
		t->uv->poll_entry = 0;
		return 0;
	}
	add_phase(t, r->phase, r->ts, r->end, false);
	return 0;
}

/* The inlined phase that sits between prev and next, or LS_PHASE_MAX. */
static uint32_t gap_phase(unsigned version, uint32_t prev, uint32_t next)
{
	if (next == LS_PHASE_IDLE)
		return LS_PHASE_PENDING;
	if (prev == LS_PHASE_CHECK)
		return LS_PHASE_CLOSING;
	if (prev == LS_PHASE_IO_CALLBACKS && next == LS_PHASE_CHECK && version >= UV_1_45)
		return LS_PHASE_PENDING;	/* >= 1.45 reruns pending callbacks after the poll */
	return LS_PHASE_MAX;
}

static void phase_stats_add(struct thread_state *t, const struct ls_phase_span *p)
{
	struct ls_phase_stats *st;

	if (!t->loop)
		return;
	st = ls_loop_phase(t->loop, p->phase);
	if (st) {
		st->total_ns += p->end - p->start;
		ls_hist_add(&st->dur, p->end - p->start);
	}
}

static void report_phase(struct correlator *c, struct thread_state *t, struct ls_phase_span *p,
			 uint64_t seq)
{
	p->iter = seq;
	phase_stats_add(t, p);
	if (c->opts.sink.on_phase)
		c->opts.sink.on_phase(c->opts.sink.ctx, &t->info, p);
}

void uvc_end_iteration(struct correlator *c, struct thread_state *t, const struct ls_iteration *it)
{
	struct uvc_thread *u = t->uv;
	struct ls_phase_span *p, gap;
	uint32_t i, n, inferred;

	if (!u)
		return;	/* no phase seen on this thread: not libuv's, or not probed */
	if (u->poll_entry >= it->start && u->poll_entry && u->poll_entry <= it->poll_start) {
		/* kept until uv__io_poll returns: it may wait again first (below) */
		add_phase(t, LS_PHASE_POLL, u->poll_entry, it->poll_start, false);
	} else if (u->poll_entry && u->poll_entry < it->start && !u->nphases) {
		/*
		 * Between two waits of one uv__io_poll call: it waits again when a
		 * wait ends before its timeout is due (epoll's timeout is in whole
		 * ms) or when the event array filled up. No phase function ran, it is
		 * all the poll phase; this was node's "iteration without phases"
		 * (99 of 404 in examples/node/phases.js).
		 */
		add_phase(t, LS_PHASE_POLL, it->start, it->poll_start, false);
		if (u->nphases == 1)
			report_phase(c, t, &u->phases[0], it->seq);
		u->nphases = 0;
		return;	/* uv__io_poll has not returned: poll_entry stays */
	} else {
		u->poll_entry = 0;	/* stale: other phases ran, so uv__io_poll returned unseen */
	}
	p = u->phases;
	n = u->nphases;
	for (i = 0; i < n; i++) {
		if (p[i].start < it->start || p[i].end > it->poll_start)
			continue;	/* began before we saw this iteration start */
		if (i && p[i].start > p[i - 1].end &&
		    (inferred = gap_phase(c->summary.uv_version, p[i - 1].phase, p[i].phase)) != LS_PHASE_MAX) {
			gap = (struct ls_phase_span){ .pid = t->info.pid, .tid = t->info.tid, .phase = inferred,
						 .inferred = true, .start = p[i - 1].end, .end = p[i].start };
			report_phase(c, t, &gap, it->seq);
		}
		report_phase(c, t, &p[i], it->seq);
	}
	u->nphases = 0;
}

void uvc_free_thread(struct thread_state *t)
{
	free(t->uv);
}
