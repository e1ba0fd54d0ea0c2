/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Holding, releasing and nesting a loop thread's events (trace_export_held.h).
 *
 * A thread's queue keeps its events in arrival order, which is the thread's
 * order: calls and pool events as they end or happen, a phase when it ends
 * (after the events it spans). When an iteration completes, its events are
 * written inside "busy": each phase opens at its start, the events before a
 * phase's start go before it, those before its end inside it. Iterations
 * only grow on a thread, so the events of the iteration being written are
 * the first calls and pool events of the queue; phases are all consumed by
 * the next iteration written, whatever iteration they came in.
 */
#include <stdlib.h>
#include "collector/record.h"
#include "trace_export_int.h"

static bool is_nested(const struct te_held *h)
{
	return h->kind != TE_HELD_PHASE;
}

static uint64_t nested_ts(const struct te_held *h)
{
	return h->kind == TE_HELD_CALL ? h->call.ts : h->pool.ts;
}

static uint64_t nested_iter(const struct te_held *h)
{
	return h->kind == TE_HELD_CALL ? h->call.iter : h->pool.iter;
}

/* A call is clamped to [lo, hi] to stay in its parent; a pool event is an instant or a step. */
static void write_nested(struct trace_export *te, const struct te_thread *th,
			 const struct te_held *h, uint64_t lo, uint64_t hi)
{
	if (h->kind == TE_HELD_CALL)
		te_write_call(te, th, &h->call, lo, hi);
	else
		te_write_pool_event(te, th, &h->pool);
}

bool te_hold(struct te_thread *th, const struct te_held *h)
{
	struct te_held_queue *q = &th->held;

	if (is_nested(h) && q->nnested == TE_MAX_HELD)
		return false;
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		struct te_held *ev = realloc(q->ev, cap * sizeof(*ev));

		if (!ev)
			return false;
		q->ev = ev;
		q->cap = cap;
	}
	q->ev[q->n++] = *h;
	q->nnested += is_nested(h);
	return true;
}

/*
 * Writes the calls and pool events of iterations before seq (never
 * reported: nothing to nest in) and keeps the rest; with all, writes every
 * one and drops the phases (the thread exits or the trace ends).
 */
static void release(struct trace_export *te, struct te_thread *th, uint64_t seq, bool all)
{
	struct te_held_queue *q = &th->held;
	size_t i, k = 0;

	for (i = 0; i < q->n; i++) {
		const struct te_held *h = &q->ev[i];

		if (is_nested(h) && (all || nested_iter(h) < seq)) {
			write_nested(te, th, h, 0, UINT64_MAX);
			q->nnested--;
		} else if (!all) {
			q->ev[k++] = *h;
		}
	}
	q->n = k;
}

void te_release_before(struct trace_export *te, struct te_thread *th, uint64_t seq)
{
	release(te, th, seq, false);
}

void te_release_all(struct trace_export *te, struct te_thread *th)
{
	release(te, th, 0, true);
}

void te_held_free(struct te_thread *th)
{
	free(th->held.ev);
	th->held = (struct te_held_queue){ 0 };
}

/* The next call or pool event (nested) or phase (!nested) from i on. */
static size_t next_of(const struct te_held_queue *q, size_t i, bool nested)
{
	while (i < q->n && is_nested(&q->ev[i]) != nested)
		i++;
	return i;
}

/* Writes iteration seq's nested events from *c on that start before until. */
static void write_until(struct trace_export *te, const struct te_thread *th, uint64_t seq,
			size_t *c, uint64_t until, uint64_t lo, uint64_t hi)
{
	const struct te_held_queue *q = &th->held;

	for (; *c < q->n && nested_iter(&q->ev[*c]) == seq && nested_ts(&q->ev[*c]) < until;
	     *c = next_of(q, *c + 1, true))
		write_nested(te, th, &q->ev[*c], lo, hi);
}

static void write_phase_begin(struct trace_export *te, const struct te_thread *th,
			      const struct ls_phase_span *p)
{
	struct pftrace_arg a = { .name = "inferred", .type = PFTRACE_ARG_BOOL, .b = true };

	te_slice(te, th, PFTRACE_SLICE_BEGIN, p->start, ls_phase_name(p->phase),
		 p->inferred ? "libuv,inferred" : "libuv", &a, p->inferred);
}

/* Keeps the nested events from first on (later iterations'); drops the phases. */
static void drop_written(struct te_held_queue *q, size_t first)
{
	size_t i, k = 0;

	for (i = first; i < q->n; i++)
		if (is_nested(&q->ev[i]))
			q->ev[k++] = q->ev[i];
	q->n = q->nnested = k;
}

/*
 * "busy" with its children in time order: the phases (which do not
 * overlap), each with the held events of this iteration that fall in it.
 */
void te_write_busy(struct trace_export *te, struct te_thread *th, const struct ls_iteration *it)
{
	const struct te_held_queue *q = &th->held;
	size_t c = next_of(q, 0, true), p;

	te_slice(te, th, PFTRACE_SLICE_BEGIN, it->start, "busy", "loop", NULL, 0);
	for (p = next_of(q, 0, false); p < q->n; p = next_of(q, p + 1, false)) {
		const struct ls_phase_span *ph = &q->ev[p].phase;

		write_until(te, th, it->seq, &c, ph->start, it->start, it->poll_start);
		write_phase_begin(te, th, ph);
		write_until(te, th, it->seq, &c, ph->end, ph->start, ph->end);
		te_slice(te, th, PFTRACE_SLICE_END, ph->end, NULL, NULL, NULL, 0);
	}
	write_until(te, th, it->seq, &c, UINT64_MAX, it->start, it->poll_start);
	drop_written(&th->held, c);
	te_slice(te, th, PFTRACE_SLICE_END, it->poll_start, NULL, NULL, NULL, 0);
}
