/* SPDX-License-Identifier: BSD-2-Clause */
/* The libuv thread pool in the trace: flows per item, gauges as counters. */
#include <stdio.h>
#include <string.h>
#include "collector/record.h"
#include "trace_export_int.h"

/* Counter tracks of the pool; uuids use a tid no kernel hands out (>= 2^22). */
#define POOL_QUEUED_KEY		(1u << 31)
#define POOL_RUNNING_KEY	((1u << 31) | 1)

static void describe_pool(struct trace_export *te, uint32_t pid, uint64_t ts)
{
	uint64_t proc = pftrace__track_uuid(PFTRACE_UUID_PROCESS, pid, 0);
	struct pftrace_track q = {
		.kind = PFTRACE_TRACK_COUNTER, .parent_uuid = proc, .name = "thread pool queued",
		.uuid = pftrace__track_uuid(PFTRACE_UUID_COUNTER, pid, POOL_QUEUED_KEY),
		.description = "libuv work items submitted and not yet picked up by a worker",
	};
	struct pftrace_track r = {
		.kind = PFTRACE_TRACK_COUNTER, .parent_uuid = proc, .name = "thread pool running",
		.uuid = pftrace__track_uuid(PFTRACE_UUID_COUNTER, pid, POOL_RUNNING_KEY),
		.description = "libuv work items being run by workers",
	};

	if (te->pool_described)
		return;
	te_describe_process(te, pid, ts);
	pftrace__track(te->w, ts, &q);
	pftrace__track(te->w, ts, &r);
	te->pool_described = true;
}

void te_on_pool(void *ctx, uint32_t pid, uint64_t ts, int32_t queued, int32_t running)
{
	struct trace_export *te = ctx;
	struct pftrace_event ev = { .type = PFTRACE_COUNTER, .ts = ts, .int_counter = true };

	describe_pool(te, pid, ts);
	ev.track_uuid = pftrace__track_uuid(PFTRACE_UUID_COUNTER, pid, POOL_QUEUED_KEY);
	ev.value = queued;
	pftrace__event(te->w, &ev);
	ev.track_uuid = pftrace__track_uuid(PFTRACE_UUID_COUNTER, pid, POOL_RUNNING_KEY);
	ev.value = running;
	pftrace__event(te->w, &ev);
}

static struct te_thread *work_thread(struct trace_export *te, uint32_t tid, uint64_t ts)
{
	struct te_thread *th = te_get_thread(te, tid, NULL);

	if (th) {
		te_seen_ts(te, ts, ts);
		te_describe_thread(te, th, ts);
	}
	return th;
}

/*
 * A pool event of a loop thread: held with the thread's calls (its submit
 * instants, the done callback's BEGIN and END, a sync run), as they must be
 * written in time order with them. They arrive in the thread's order, and
 * calls made inside a done callback arrive between its BEGIN and END.
 */
void te_write_pool_event(struct trace_export *te, const struct te_thread *th,
			 const struct te_pool_event *p)
{
	const char *kind = ls_work_kind_name(p->work_kind);
	char name[48];
	struct pftrace_arg a[2] = {
		{ .name = "kind", .type = PFTRACE_ARG_STR, .s = kind },
		{ .name = "queued", .type = PFTRACE_ARG_INT, .i = p->queued },
	};
	struct pftrace_event ev = {
		.type = PFTRACE_SLICE_BEGIN, .ts = p->ts, .track_uuid = th->uuid, .name = name,
		.categories = "threadpool", .args = a, .nargs = 1,
	};

	switch (p->step) {
	case TE_POOL_SUBMIT:
		snprintf(name, sizeof(name), "submit %s", kind);
		ev.type = PFTRACE_INSTANT;
		ev.flow_id = p->flow_id;
		ev.nargs = 2;
		break;
	case TE_POOL_RUN_BEGIN:
		snprintf(name, sizeof(name), "%s (sync on loop)", kind);
		ev.categories = "threadpool,finding";
		break;
	case TE_POOL_DONE_BEGIN:
		snprintf(name, sizeof(name), "%s done", kind);
		ev.terminating_flow_id = p->flow_id;
		break;
	default:	/* the END of a done callback or a sync run */
		te_slice(te, th, PFTRACE_SLICE_END, p->ts, NULL, NULL, NULL, 0);
		return;
	}
	pftrace__event(te->w, &ev);
}

static void on_loop_pool_event(struct trace_export *te, const struct ls_work_item *w,
			       uint32_t tid, enum te_pool_step step, uint64_t ts, uint64_t iter)
{
	struct te_held h = {
		.kind = TE_HELD_POOL,
		.pool = { .ts = ts, .iter = iter, .flow_id = w->id | (uint64_t)w->pid << 40,
			  .step = step, .work_kind = w->kind, .queued = w->queued_at_submit },
	};
	struct te_thread *th = work_thread(te, tid, ts);

	if (!th)
		return;
	if (!(iter && te_hold(th, &h)))
		te_write_pool_event(te, th, &h.pool);
}

/* One flow per item: submit (instant) -> the worker's run -> the done callback. */
void te_on_work(void *ctx, const struct ls_work_item *w, uint32_t event, uint64_t iter)
{
	struct trace_export *te = ctx;
	struct te_thread *th;
	char name[48];
	struct pftrace_arg a = {
		.name = "queue_ms", .type = PFTRACE_ARG_DOUBLE,
		.d = w->submit_ts && w->pickup_ts > w->submit_ts ?
			(double)(w->pickup_ts - w->submit_ts) / 1e6 : 0,
	};
	struct pftrace_event ev = {
		.type = PFTRACE_SLICE_BEGIN, .ts = w->pickup_ts, .name = name,
		.categories = "threadpool", .args = &a, .nargs = 1,
		.flow_id = w->id | (uint64_t)w->pid << 40,
	};

	switch (event) {
	case LS_WORK_SUBMIT:
		on_loop_pool_event(te, w, w->submit_tid, TE_POOL_SUBMIT, w->submit_ts, iter);
		break;
	case LS_WORK_PICKUP:
		if (w->sync) {
			on_loop_pool_event(te, w, w->worker_tid, TE_POOL_RUN_BEGIN, w->pickup_ts, iter);
			break;
		}
		th = work_thread(te, w->worker_tid, w->pickup_ts);
		if (!th)
			break;
		snprintf(name, sizeof(name), "run %s", ls_work_kind_name(w->kind));
		ev.track_uuid = th->uuid;
		pftrace__event(te->w, &ev);
		break;
	case LS_WORK_RUN:
		if (w->sync) {
			on_loop_pool_event(te, w, w->worker_tid, TE_POOL_RUN_END, w->run_end, iter);
			break;
		}
		th = w->pickup_ts ? work_thread(te, w->worker_tid, w->run_end) : NULL;
		if (th)
			te_slice(te, th, PFTRACE_SLICE_END, w->run_end, NULL, NULL, NULL, 0);
		break;
	case LS_WORK_DONE_BEGIN:
		on_loop_pool_event(te, w, w->done_tid, TE_POOL_DONE_BEGIN, w->done_start, iter);
		break;
	case LS_WORK_DONE:
		/* a done whose BEGIN we missed (attached inside it) gets no slice */
		if (w->done_entered)
			on_loop_pool_event(te, w, w->done_tid, TE_POOL_DONE_END, w->done_end, iter);
		break;
	default:
		break;	/* never completed: a run still open stays open ("did not end") */
	}
}

