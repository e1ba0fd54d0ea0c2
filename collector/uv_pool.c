/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libuv's thread pool on top of the loop model. Work records come from the
 * loop thread and from workers; an item's events are joined by (process,
 * uv__work pointer) in whatever order they arrive, and an item is complete
 * once its done callback ran. A pointer is reused: a done callback may
 * submit the same uv_work_t again (node's zlib does), so while that
 * callback runs the pointer names two items: the old one waits for its
 * done return in `in_done`, the new one is in the table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "correlator_int.h"
#include "record.h"

#define MAX_WORK_ITEMS	(1u << 20)	/* in flight at once; beyond that, rejected */
#define MAX_IN_DONE	32		/* done callbacks resubmitting their own item, nested */

/* A process's pool: its gauges (each process has a pool of its own). */
struct uvc_pool {
	uint32_t pid;
	int32_t queued;			/* items submitted, not yet picked up */
	int32_t running;		/* items picked up, not yet run to the end */
	uint64_t probed_at;		/* LS_WORK_PROBED: its callbacks probed only then */
	int32_t max_queued, max_running;	/* its deepest, since it was probed */
};

struct work_key {
	uint64_t work;
	uint32_t pid;
};

/* The thread pools: allocated at the first work record. */
struct uvc_run {
	struct ls_table work;		/* struct ls_work_item, by work_key */
	struct ls_table pools;		/* struct uvc_pool, by pid */
	uint64_t next_work_id;
	/* items whose done callback submitted their pointer again, until it returns */
	struct ls_work_item in_done[MAX_IN_DONE];
	unsigned nin_done;
	struct uvc_pool spare;		/* gauges of a process past the pools' cap: not kept */
};

static bool item_is(const void *entry, const void *key)
{
	const struct ls_work_item *w = entry;
	const struct work_key *k = key;

	return w->work == k->work && w->pid == k->pid;
}

static bool pool_is(const void *entry, const void *pid)
{
	return ((const struct uvc_pool *)entry)->pid == *(const uint32_t *)pid;
}

/* uv__work structs are 16-aligned: the low 4 bits say nothing. */
static uint64_t work_hash(const struct work_key *k)
{
	return ls_hash_u64((k->work >> 4) ^ ((uint64_t)k->pid << 44));
}

static struct uvc_run *pool_of(struct correlator *c)
{
	if (!c->uv && (c->uv = calloc(1, sizeof(*c->uv)))) {
		ls_table_init(&c->uv->work, sizeof(struct ls_work_item), 256, MAX_WORK_ITEMS, item_is);
		ls_table_init(&c->uv->pools, sizeof(struct uvc_pool), 4, LS_MAX_PROCS, pool_is);
	}
	return c->uv;
}

/* The gauges of pid's pool; past the cap a zeroed spare (those gauges are not kept). */
static struct uvc_pool *proc_pool(struct uvc_run *u, uint32_t pid)
{
	bool created;
	struct uvc_pool *p = ls_table_insert(&u->pools, ls_hash_u64(pid), &pid, &created);

	if (!p) {
		memset(&u->spare, 0, sizeof(u->spare));
		return &u->spare;
	}
	p->pid = pid;
	return p;
}

static struct ls_work_item *find_item(struct uvc_run *u, uint32_t pid, uint64_t w)
{
	struct work_key k = { .work = w, .pid = pid };

	return ls_table_find(&u->work, work_hash(&k), &k);
}

/* The item of w in pid, a new one (with the next id) if none. NULL: ENOMEM or too many. */
static struct ls_work_item *get_item(struct uvc_run *u, uint32_t pid, uint64_t w)
{
	struct work_key k = { .work = w, .pid = pid };
	bool created;
	struct ls_work_item *it = ls_table_insert(&u->work, work_hash(&k), &k, &created);

	if (it && created) {
		it->work = w;
		it->pid = pid;
		it->id = ++u->next_work_id;
		it->named = -1;
	}
	return it;
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

static void report_work(struct correlator *c, const struct ls_work_item *w, uint32_t event,
			const struct thread_state *t)
{
	if (c->opts.sink.on_work)
		c->opts.sink.on_work(c->opts.sink.ctx, w, event, t ? corr_iter_of(t) : 0);
}

/*
 * Gauges from the items themselves: an item only counts as queued once its
 * submit was seen, so attaching mid-run or a missed submit never drives
 * them negative.
 */
static void leave_state(struct uvc_run *u, const struct ls_work_item *w)
{
	struct uvc_pool *p;

	if (w->sync)
		return;
	p = proc_pool(u, w->pid);
	if (w->submit_ts && !w->pickup_ts)
		p->queued -= !w->queue_unseen;
	else if (w->pickup_ts && !w->run_end)
		p->running--;
}

static void enter_state(struct uvc_run *u, const struct ls_work_item *w)
{
	struct uvc_pool *p;

	if (w->sync)
		return;
	p = proc_pool(u, w->pid);
	if (w->submit_ts && !w->pickup_ts)
		p->queued += !w->queue_unseen;
	else if (w->pickup_ts && !w->run_end)
		p->running++;
}

/* w leaves where it is kept: the table, or the items waiting for their done return. */
static void drop_item(struct uvc_run *u, struct ls_work_item *w)
{
	if (w >= u->in_done && w < u->in_done + u->nin_done) {
		memmove(w, w + 1, (size_t)(u->in_done + --u->nin_done - w) * sizeof(*w));
		return;
	}
	ls_table_remove(&u->work, w);
}

/* An item's latencies, or that it never completed, into st. */
static void add_item(struct ls_work_stats *st, const struct ls_work_item *w)
{
	if (w->done_end) {
		st->count++;
		if (w->submit_ts && w->pickup_ts >= w->submit_ts)
			ls_hist_add(&st->queue, w->pickup_ts - w->submit_ts);
		if (w->pickup_ts && w->run_end >= w->pickup_ts)
			ls_hist_add(&st->run, w->run_end - w->pickup_ts);
		if (w->run_end && w->done_start >= w->run_end)
			ls_hist_add(&st->done, w->done_start - w->run_end);
	} else {
		st->incomplete++;
	}
}

/* The item's stats by name as well as by kind, when it has one. */
static struct ls_work_stats *named_stats(struct correlator *c, const struct ls_work_item *w)
{
	const struct ls_pool_summary *p = &c->summary.pool;

	return w->named >= 0 && (uint32_t)w->named < p->nnamed ? &p->named[w->named]->st : NULL;
}

/* Its latencies into the summary, then the item goes (w is invalid after). */
static void complete_item(struct correlator *c, struct ls_work_item *w)
{
	struct ls_work_stats *st = kind_stats(&c->summary.pool, w->kind), *ns = named_stats(c, w);

	if (st)
		add_item(st, w);
	if (ns)
		add_item(ns, w);
	if (!w->done_end)
		report_work(c, w, 0, NULL);
	leave_state(c->uv, w);
	drop_item(c->uv, w);
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
	struct uvc_pool *pp = proc_pool(c->uv, r->pid);
	int32_t queued = pp->queued, running = pp->running;

	pp->max_queued = queued > pp->max_queued ? queued : pp->max_queued;
	pp->max_running = running > pp->max_running ? running : pp->max_running;
	if (queued > p->max_queued)
		p->max_queued = queued;
	if (running > p->max_running)
		p->max_running = running;
	if (c->opts.sink.on_pool)
		c->opts.sink.on_pool(c->opts.sink.ctx, r->pid, ts, queued, running);
}

/* A synchronous uv_fs_* call ran to its end on the loop thread: no done callback follows. */
static void end_sync(struct correlator *c, struct ls_work_item *w, const struct ls_rec_uv_work *r,
		     const struct thread_state *t)
{
	struct ls_work_stats *st = kind_stats(&c->summary.pool, w->kind), *ns = named_stats(c, w);

	if (st) {
		st->sync++;
		st->sync_ns += r->end - w->pickup_ts;
	}
	if (ns) {
		ns->sync++;
		ns->sync_ns += r->end - w->pickup_ts;
	}
	report_work(c, w, r->event, t);
	drop_item(c->uv, w);
}

static bool valid_work_rec(const struct ls_rec_uv_work *r)
{
	if (r->event == LS_WORK_PROBED)
		return r->pid && r->ts;
	return r->tid && r->work && r->kind < LS_WORK_KIND_MAX && r->event >= LS_WORK_SUBMIT &&
	       r->event <= LS_WORK_DONE_BEGIN &&
	       !((r->event == LS_WORK_RUN || r->event == LS_WORK_DONE) && r->end < r->ts);
}

/* The item whose done callback, entered at ts, submitted its own pointer again. */
static struct ls_work_item *waiting_done(struct uvc_run *u, const struct ls_rec_uv_work *r)
{
	unsigned i;

	for (i = u->nin_done; i-- > 0;)
		if (u->in_done[i].work == r->work && u->in_done[i].pid == r->pid &&
		    u->in_done[i].done_start == r->ts)
			return &u->in_done[i];
	return NULL;
}

/*
 * A submit of a pointer still in the table: the same submit reported
 * twice (uv_queue_work and a non-inlined uv__work_submit both report one:
 * NULL, nothing to do); a done callback submitting its own item again (the
 * old item waits for its done return); or libuv reused the pointer and the
 * old item ended unseen.
 */
static int resubmit(struct correlator *c, struct ls_work_item *w, const struct ls_rec_uv_work *r)
{
	struct uvc_run *u = c->uv;

	if (w->submit_ts && !w->pickup_ts && w->submit_tid == r->tid)
		return 1;
	if (w->done_entered && !w->done_end && w->done_tid == r->tid && u->nin_done < MAX_IN_DONE) {
		u->in_done[u->nin_done++] = *w;
		ls_table_remove(&u->work, w);
		return 0;
	}
	complete_item(c, w);
	return 0;
}

/* The item an event belongs to; NULL with *err 0: nothing to do. */
static struct ls_work_item *item_of_event(struct correlator *c, const struct ls_rec_uv_work *r,
					  int *err)
{
	struct ls_work_item *w;

	*err = 0;
	if (r->event == LS_WORK_DONE && (w = waiting_done(c->uv, r)))
		return w;
	w = r->event == LS_WORK_SUBMIT ? find_item(c->uv, r->pid, r->work) : NULL;
	if (w && resubmit(c, w, r))
		return NULL;
	w = get_item(c->uv, r->pid, r->work);
	if (!w)
		*err = -ENOMEM;
	return w;
}

/* Applies the event to w; false when the item ended with it (w is gone). */
static bool apply_event(struct correlator *c, struct ls_work_item *w, const struct ls_rec_uv_work *r,
			struct thread_state *t)
{
	switch (r->event) {
	case LS_WORK_SUBMIT:
		if (r->work_fn || r->owner[0] || r->owner[1] || r->detail)
			w->named = uvn_named_of(c, r, w->kind);
		w->submit_ts = r->ts;
		w->submit_tid = r->tid;
		w->queue_unseen = r->ts < proc_pool(c->uv, r->pid)->probed_at;
		w->queued_at_submit = proc_pool(c->uv, r->pid)->queued + 1;
		return true;
	case LS_WORK_PICKUP:
		if (w->named < 0 && r->detail)	/* a sync fs call has no submit: named here */
			w->named = uvn_named_of(c, r, w->kind);
		w->pickup_ts = r->ts;
		w->worker_tid = r->tid;
		/*
		 * a loop thread running work it never submitted: a synchronous
		 * uv_fs_* call; so is the main thread's before its first wait
		 * (node's startup reads): a pool worker is never the main thread
		 */
		w->sync = !w->submit_ts && (t->last_poll_exit || t->info.tid == t->info.pid);
		if (!w->sync)
			note_worker(c, t);
		return true;
	case LS_WORK_RUN:
		if (!w->pickup_ts)
			w->pickup_ts = r->ts;
		w->worker_tid = r->tid;
		w->run_end = r->end;
		if (w->sync) {
			end_sync(c, w, r, t);
			return false;
		}
		note_worker(c, t);
		return true;
	case LS_WORK_DONE_BEGIN:
		w->done_start = r->ts;
		w->done_tid = r->tid;
		w->done_entered = true;
		return true;
	default:
		w->done_start = r->ts;
		w->done_end = r->end;
		w->done_tid = r->tid;
		report_work(c, w, r->event, t);
		complete_item(c, w);
		return false;
	}
}

/*
 * pid's pool became visible at r->ts: the items it holds as queued, and
 * those still to arrive submitted before, may have been picked up unseen.
 */
static int pool_probed(struct correlator *c, const struct ls_rec_uv_work *r)
{
	struct ls_work_item *w;
	struct uvc_pool *pp;
	size_t i;

	if (!pool_of(c))
		return -ENOMEM;
	for (i = 0; i < ls_table_cap(&c->uv->work); i++) {
		w = ls_table_slot(&c->uv->work, i);
		if (w && w->pid == r->pid && w->submit_ts && w->submit_ts < r->ts && !w->pickup_ts &&
		    !w->queue_unseen) {
			leave_state(c->uv, w);
			w->queue_unseen = true;
		}
	}
	pp = proc_pool(c->uv, r->pid);
	c->summary.pool.probed_late += !pp->probed_at;
	pp->probed_at = r->ts;
	/* its deepest queue so far counted items that may have run unseen: forget it */
	pp->max_queued = pp->queued;
	pp->max_running = pp->running;
	c->summary.pool.max_queued = c->summary.pool.max_running = 0;
	for (i = 0; i < ls_table_cap(&c->uv->pools); i++) {
		const struct uvc_pool *o = ls_table_slot(&c->uv->pools, i);

		if (o && o->max_queued > c->summary.pool.max_queued)
			c->summary.pool.max_queued = o->max_queued;
		if (o && o->max_running > c->summary.pool.max_running)
			c->summary.pool.max_running = o->max_running;
	}
	return 0;
}

int uvc_work_rec(struct correlator *c, const void *rec)
{
	const struct ls_rec_uv_work *r = rec;
	struct thread_state *t;
	struct ls_work_item *w;
	int err;

	if (!valid_work_rec(r))
		return -EINVAL;
	if (r->event == LS_WORK_PROBED)
		return pool_probed(c, r);
	t = corr_get_thread(c, r->pid, r->tid);
	if (!t || !pool_of(c))
		return -ENOMEM;
	w = item_of_event(c, r, &err);
	if (!w)
		return err;
	if (w->kind == LS_WORK_OTHER)
		w->kind = r->kind;
	if (r->event <= LS_WORK_RUN)
		leave_state(c->uv, w);
	if (!apply_event(c, w, r, t))
		return 0;
	enter_state(c->uv, w);
	pool_gauges(c, r, r->event == LS_WORK_RUN ? r->end : r->ts);
	report_work(c, w, r->event, t);
	return 0;
}

void uvc_finish(struct correlator *c)
{
	struct ls_work_item *w;
	size_t i;

	for (i = 0; c->uv && i < ls_table_cap(&c->uv->work); i++) {
		/* removal shifts later slots back into i: look at i again */
		while ((w = ls_table_slot(&c->uv->work, i)))
			complete_item(c, w);
	}
	while (c->uv && c->uv->nin_done)
		complete_item(c, &c->uv->in_done[c->uv->nin_done - 1]);
}

void uvc_free(struct correlator *c)
{
	unsigned k;

	for (k = 0; k < LS_WORK_KIND_MAX; k++)
		free(c->summary.pool.kinds[k]);
	if (c->uv) {
		ls_table_free(&c->uv->work);
		ls_table_free(&c->uv->pools);
	}
	free(c->uv);
}
