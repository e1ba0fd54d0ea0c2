/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libuv on top of the loop model: phases per iteration and thread-pool
 * items. Phase records come from the loop thread itself, so they share its
 * order with its syscalls. Work records come from the loop thread and from
 * workers; an item's events are joined by the uv__work pointer in whatever
 * order they arrive, and an item is complete once its done callback ran.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "correlator_int.h"
#include "loop_summary.h"
#include "record.h"

#define MAX_WORK_ITEMS	(1u << 20)	/* in flight at once; beyond that, rejected */
#define UV_1_45		0x012d00	/* timers moved after the poll phase (libuv 1.45.0) */

struct work_slot {
	bool used;
	struct ls_work_item item;
};

static struct thread_state *thread_of(struct correlator *c, uint32_t pid, uint32_t tid)
{
	struct thread_state *t = find_thread(c, tid);

	if (!t && (t = new_thread(c, pid, tid)))
		notify_thread(c, t);
	return t;
}

static void add_phase(struct thread_state *t, uint32_t phase, uint64_t start, uint64_t end,
		      bool inferred)
{
	struct ls_phase_span *p;

	if (t->nphases == LS_MAX_PHASES_PER_ITER || end < start)
		return;
	p = &t->phases[t->nphases++];
	p->pid = t->info.pid;
	p->tid = t->info.tid;
	p->phase = phase;
	p->start = start;
	p->end = end;
	p->inferred = inferred;
}

static void phase_stats_add(struct thread_state *t, const struct ls_phase_span *p);

int uvc_phase_rec(struct correlator *c, const struct ls_rec_uv_phase *r)
{
	struct thread_state *t;

	if (r->phase >= LS_UV_PROBED || !r->tid || (r->end && r->end < r->ts) ||
	    (!r->end && r->phase != LS_PHASE_POLL))
		return -EINVAL;
	t = thread_of(c, r->pid, r->tid);
	if (!t)
		return -ENOMEM;
	if (!r->end) {
		t->poll_entry = r->ts;
		return 0;
	}
	if (r->phase == LS_PHASE_JS_CALLBACK) {
		/* nests inside the phases: its own span, not one of the iteration's phases */
		struct ls_phase_span js = { .pid = r->pid, .tid = r->tid, .phase = r->phase,
					    .start = r->ts, .end = r->end,
					    .iter = t->last_poll_exit ? t->seq + 1 : 0 };

		phase_stats_add(t, &js);
		if (c->opts.sink.on_js_callback)
			c->opts.sink.on_js_callback(c->opts.sink.ctx, &t->info, &js);
		return 0;
	}
	if (r->phase == LS_PHASE_POLL) {
		/* after the wait, uv__io_poll runs the I/O callbacks until it returns */
		uint64_t start = t->last_poll_exit > r->ts ? t->last_poll_exit : r->ts;

		add_phase(t, LS_PHASE_IO_CALLBACKS, start, r->end, false);
		t->poll_entry = 0;
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
	struct ls_phase_span *p = t->phases, gap;
	uint32_t i, n, inferred;

	if (t->poll_entry >= it->start && t->poll_entry && t->poll_entry <= it->poll_start)
		add_phase(t, LS_PHASE_POLL, t->poll_entry, it->poll_start, false);
	t->poll_entry = 0;
	n = t->nphases;
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
	t->nphases = 0;
}

/* ---- thread pool ---- */

static size_t work_hash(const struct correlator *c, uint64_t w)
{
	return (size_t)((w >> 4) * 0x9e3779b97f4a7c15ull) & (c->work_slots - 1);
}

static int grow_work(struct correlator *c)
{
	struct work_slot *old = c->work;
	size_t i, n = c->work_slots, cap = n ? n * 2 : 256;

	c->work = calloc(cap, sizeof(*c->work));
	if (!c->work) {
		c->work = old;
		return -ENOMEM;
	}
	c->work_slots = cap;
	for (i = 0; i < n; i++) {
		size_t k;

		if (!old[i].used)
			continue;
		for (k = work_hash(c, old[i].item.work); c->work[k].used; k = (k + 1) & (cap - 1))
			;
		c->work[k] = old[i];
	}
	free(old);
	return 0;
}

static struct work_slot *find_work(struct correlator *c, uint64_t w, bool create)
{
	size_t k;

	if (create && (c->nwork + 1) * 2 > c->work_slots && (c->nwork >= MAX_WORK_ITEMS || grow_work(c)))
		return NULL;
	if (!c->work_slots)
		return NULL;
	for (k = work_hash(c, w); c->work[k].used; k = (k + 1) & (c->work_slots - 1))
		if (c->work[k].item.work == w)
			return &c->work[k];
	if (!create)
		return NULL;
	memset(&c->work[k], 0, sizeof(c->work[k]));
	c->work[k].used = true;
	c->work[k].item.work = w;
	c->work[k].item.id = ++c->next_work_id;
	c->nwork++;
	return &c->work[k];
}

/* Linear-probing delete: shift later members of the cluster back into the hole. */
static void remove_work(struct correlator *c, struct work_slot *s)
{
	size_t mask = c->work_slots - 1, hole = (size_t)(s - c->work), k = hole;

	c->work[hole].used = false;
	c->nwork--;
	for (k = (k + 1) & mask; c->work[k].used; k = (k + 1) & mask) {
		size_t home = work_hash(c, c->work[k].item.work);

		if (ls_probe_may_fill(home, hole, k)) {
			c->work[hole] = c->work[k];
			c->work[k].used = false;
			hole = k;
		}
	}
}

static struct ls_work_stats *kind_stats(struct ls_pool_summary *p, uint32_t kind)
{
	struct ls_work_stats *st = p->kinds[kind];

	if (!st && (st = calloc(1, sizeof(*st)))) {
		ls_hist_init(&st->queue);
		ls_hist_init(&st->run);
		ls_hist_init(&st->done);
		p->kinds[kind] = st;
	}
	return st;
}

static void report_work(struct correlator *c, const struct work_slot *s, uint32_t event,
			const struct thread_state *t)
{
	uint64_t iter = t && t->last_poll_exit ? t->seq + 1 : 0;

	if (c->opts.sink.on_work)
		c->opts.sink.on_work(c->opts.sink.ctx, &s->item, event, iter);
}

/*
 * Gauges from the items themselves: an item only counts as queued once its
 * submit was seen, so attaching mid-run or a missed submit never drives
 * them negative.
 */
static void leave_state(struct correlator *c, const struct ls_work_item *w)
{
	if (w->sync)
		return;
	if (w->submit_ts && !w->pickup_ts)
		c->queued--;
	else if (w->pickup_ts && !w->run_end)
		c->running--;
}

static void enter_state(struct correlator *c, const struct ls_work_item *w)
{
	if (w->sync)
		return;
	if (w->submit_ts && !w->pickup_ts)
		c->queued++;
	else if (w->pickup_ts && !w->run_end)
		c->running++;
}

static void complete_item(struct correlator *c, struct work_slot *s)
{
	const struct ls_work_item *w = &s->item;
	struct ls_work_stats *st = kind_stats(&c->summary.pool, w->kind);

	if (st && w->done_end) {
		st->count++;
		if (w->submit_ts && w->pickup_ts >= w->submit_ts)
			ls_hist_add(&st->queue, w->pickup_ts - w->submit_ts);
		if (w->pickup_ts && w->run_end >= w->pickup_ts)
			ls_hist_add(&st->run, w->run_end - w->pickup_ts);
		if (w->run_end && w->done_start >= w->run_end)
			ls_hist_add(&st->done, w->done_start - w->run_end);
	} else if (st) {
		st->incomplete++;
	}
	if (!w->done_end)
		report_work(c, s, 0, NULL);
	leave_state(c, w);
	remove_work(c, s);
}

static void note_worker(struct correlator *c, struct thread_state *t)
{
	struct ls_pool_summary *p = &c->summary.pool;

	if (t->is_worker)
		return;
	t->is_worker = true;
	if (p->nworkers < LS_MAX_WORKERS)
		p->workers[p->nworkers++] = t->info.tid;
}

static void pool_gauges(struct correlator *c, const struct ls_rec_uv_work *r, uint64_t ts)
{
	struct ls_pool_summary *p = &c->summary.pool;
	int32_t queued = c->queued, running = c->running;

	if (queued > p->max_queued)
		p->max_queued = queued;
	if (running > p->max_running)
		p->max_running = running;
	if (c->opts.sink.on_pool)
		c->opts.sink.on_pool(c->opts.sink.ctx, r->pid, ts, queued, running);
}

int uvc_work_rec(struct correlator *c, const struct ls_rec_uv_work *r)
{
	struct thread_state *t;
	struct work_slot *s;

	if (!r->tid || !r->work || r->kind >= LS_WORK_KIND_MAX || r->event < LS_WORK_SUBMIT ||
	    r->event > LS_WORK_DONE_BEGIN || ((r->event == LS_WORK_RUN || r->event == LS_WORK_DONE) &&
	    r->end < r->ts))
		return -EINVAL;
	t = thread_of(c, r->pid, r->tid);
	if (!t)
		return -ENOMEM;
	s = r->event == LS_WORK_SUBMIT ? find_work(c, r->work, false) : NULL;
	/* uv_queue_work and a non-inlined uv__work_submit both report one submit */
	if (s && s->item.submit_ts && !s->item.pickup_ts && s->item.submit_tid == r->tid)
		return 0;
	if (s)
		complete_item(c, s);	/* libuv reused the pointer: the old item ended unseen */
	s = find_work(c, r->work, true);
	if (!s)
		return -ENOMEM;
	s->item.pid = r->pid;
	if (s->item.kind == LS_WORK_OTHER)
		s->item.kind = r->kind;
	if (r->event <= LS_WORK_RUN)
		leave_state(c, &s->item);
	switch (r->event) {
	case LS_WORK_SUBMIT:
		s->item.submit_ts = r->ts;
		s->item.submit_tid = r->tid;
		s->item.queued_at_submit = c->queued + 1;
		break;
	case LS_WORK_PICKUP:
		s->item.pickup_ts = r->ts;
		s->item.worker_tid = r->tid;
		/* a loop thread running work it never submitted: a synchronous uv_fs_* call */
		s->item.sync = !s->item.submit_ts && t->last_poll_exit;
		if (!s->item.sync)
			note_worker(c, t);
		break;
	case LS_WORK_RUN:
		if (!s->item.pickup_ts)
			s->item.pickup_ts = r->ts;
		s->item.worker_tid = r->tid;
		s->item.run_end = r->end;
		if (s->item.sync) {
			struct ls_work_stats *st = kind_stats(&c->summary.pool, s->item.kind);

			if (st) {
				st->sync++;
				st->sync_ns += r->end - s->item.pickup_ts;
			}
			report_work(c, s, r->event, t);
			remove_work(c, s);	/* no done callback follows */
			return 0;
		}
		note_worker(c, t);
		break;
	case LS_WORK_DONE_BEGIN:
		s->item.done_start = r->ts;
		s->item.done_tid = r->tid;
		s->item.done_entered = true;
		break;
	default:
		s->item.done_start = r->ts;
		s->item.done_end = r->end;
		s->item.done_tid = r->tid;
		report_work(c, s, r->event, t);
		complete_item(c, s);
		return 0;
	}
	enter_state(c, &s->item);
	pool_gauges(c, r, r->event == LS_WORK_RUN ? r->end : r->ts);
	report_work(c, s, r->event, t);
	return 0;
}

void correlator__finish(struct correlator *c)
{
	size_t i;

	for (i = 0; i < c->work_slots; i++) {
		/* removal shifts later slots back into i: look at i again */
		while (c->work[i].used)
			complete_item(c, &c->work[i]);
	}
}

void uvc_free(struct correlator *c)
{
	unsigned k;

	for (k = 0; k < LS_WORK_KIND_MAX; k++)
		free(c->summary.pool.kinds[k]);
	free(c->work);
}
