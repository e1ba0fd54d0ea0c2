/* SPDX-License-Identifier: BSD-2-Clause */
/* On-CPU samples (PerfSample, folded), stall flamegraphs and stack overflows in the trace. */
#include <errno.h>
#include "collector/record.h"
#include "text_escape.h"
#include "trace_export_int.h"

/*
 * Folded stacks under the thread's name, kernel frames on top (leaf first).
 * The name is one frame: escaped here, as a ';' in it would make it two.
 */
static void fold_sample(struct trace_export *te, const struct ls_thread *t, const struct ls_sample *smp)
{
	const struct ls_frame_info *frames;
	size_t n = stack_export__frames(te->stacks, smp->pid, smp->user, smp->kern, &frames);
	char comm[LS_ESC_SIZE(LS_COMM_LEN)];

	ls_esc_str(LS_ESC_FOLDED, comm, sizeof(comm), t->comm[0] ? t->comm : "?", sizeof(t->comm));
	if (n && folded__add_frames(te->folded, comm, frames, n, 1))
		te_set_err(te, -ENOMEM);
}

void te_on_sample(void *ctx, const struct ls_thread *t, const struct ls_sample *smp)
{
	struct trace_export *te = ctx;
	struct te_thread *th = te_get_thread(te, smp->tid, t);
	int err;

	if (!th)
		return;
	te_seen_ts(te, smp->ts, smp->ts);
	te_describe_thread(te, th, smp->ts);	/* PerfSamples land on the thread's track */
	err = stack_export__sample(te->stacks, smp);
	if (err)
		te_set_err(te, err < 0 ? err : -EIO);	/* the writer's own error (ENOSPC...) */
	if (te->folded)
		fold_sample(te, t, smp);
}

/* On the process track: written at once, it cannot upset a thread track's order. */
void te_on_overflow(void *ctx, const struct ls_thread *t, const struct ls_overflow *o)
{
	struct trace_export *te = ctx;
	uint64_t used = o->stack_end > o->sp ? o->stack_end - o->sp : 0;
	struct pftrace_arg a[] = {
		{ .name = "tid", .type = PFTRACE_ARG_UINT, .u = o->tid },
		{ .name = "thread", .type = PFTRACE_ARG_STR, .s = t->comm },
		{ .name = "used_kib", .type = PFTRACE_ARG_UINT, .u = used >> 10 },
		{ .name = "stack_kib", .type = PFTRACE_ARG_UINT, .u = (o->stack_end - o->stack_start) >> 10 },
		{ .name = "frames", .type = PFTRACE_ARG_UINT, .u = o->frames },
		{ .name = "fault_addr", .type = PFTRACE_ARG_UINT, .u = o->fault_addr },
	};
	struct pftrace_event ev = {
		.type = PFTRACE_INSTANT, .ts = o->ts, .categories = "stack,finding", .args = a,
		.track_uuid = pftrace__track_uuid(PFTRACE_UUID_PROCESS, o->pid, 0),
		.name = o->kind == LS_OVERFLOW_V8 ? "JS stack overflow (RangeError)" :
			o->at_stack_end ? "STACK OVERFLOW (SIGSEGV)" : "SIGSEGV",
		.nargs = o->kind == LS_OVERFLOW_V8 ? 5 : 6,
	};

	te_seen_ts(te, o->ts, o->ts);
	te_describe_process(te, o->pid, o->ts);
	ev.callstack_iid = stack_export__callstack(te->stacks, o->pid, o->user, NULL);
	pftrace__event(te->w, &ev);
}


/*
 * JS callbacks go on a track of their own beside the loop thread: they nest
 * inside phases and calls that the thread's track writes later, in batches,
 * and a track must be written in time order.
 */
void te_on_js_callback(void *ctx, const struct ls_thread *t, const struct ls_phase_span *p)
{
	struct trace_export *te = ctx;
	struct pftrace_track tr = { .kind = PFTRACE_TRACK_PLAIN, .name = "JS callbacks" };
	struct te_thread *th = te_get_thread(te, p->tid, t);
	struct pftrace_event ev = { .type = PFTRACE_SLICE_BEGIN, .ts = p->start, .name = "JS callback",
				    .categories = "node" };

	if (!th)
		return;
	te_seen_ts(te, p->start, p->end);
	te_describe_thread(te, th, p->start);
	tr.uuid = te_thread_uuid(th, PFTRACE_UUID_PLAIN);
	tr.parent_uuid = th->uuid;
	if (!th->js_described && !pftrace__track(te->w, p->start, &tr))
		th->js_described = true;
	ev.track_uuid = tr.uuid;
	pftrace__event(te->w, &ev);
	ev = (struct pftrace_event){ .type = PFTRACE_SLICE_END, .ts = p->end, .track_uuid = tr.uuid };
	pftrace__event(te->w, &ev);
}

/*
 * Each stack of a stall as an instant at the stall's start on the loop
 * thread's "stall stacks" track, its callstack weighted by the ms it holds
 * (an on-CPU stack: its samples' share of the on-CPU time; an off-CPU one:
 * the time it blocked). Selecting a stall's span on that track gives its
 * flamegraph, on and off CPU in one time unit; the PerfSample flamegraph of
 * the thread counts samples, so it cannot show the off-CPU part.
 */
void te_write_stall_stacks(struct trace_export *te, struct te_thread *th, const struct ls_iteration *it)
{
	struct pftrace_track tr = { .kind = PFTRACE_TRACK_PLAIN, .name = "stall stacks (ms)",
				    .description = "Each stall's stacks, weighted by the ms each holds: "
						   "select a stall for its flamegraph, on and off CPU" };
	uint64_t busy = ls_iteration_busy(it);
	double on_ns = it->nsamples && busy > it->offcpu_ns ? (double)(busy - it->offcpu_ns) : 0;
	uint32_t i;

	tr.uuid = te_thread_uuid(th, PFTRACE_UUID_STALL_STACKS);
	tr.parent_uuid = th->uuid;
	for (i = 0; i < it->nweighted; i++) {
		const struct ls_weighted_stack *w = &it->weighted[i];
		struct pftrace_event ev = { .type = PFTRACE_INSTANT, .ts = it->start, .track_uuid = tr.uuid,
					    .name = w->off_ns ? "off CPU" : "on CPU", .categories = "stall" };
		double ms = w->off_ns ? (double)w->off_ns / 1e6 : on_ns * w->samples / it->nsamples / 1e6;

		if (ms <= 0)
			continue;
		ev.callstack_iid = stack_export__callstack(te->stacks, it->pid, w->user, w->kern);
		if (!ev.callstack_iid)
			continue;	/* no frames (a sample whose copy was over budget) */
		ev.callstack_weight = ms;
		if (!th->stall_stacks_described && !pftrace__track(te->w, it->start, &tr))
			th->stall_stacks_described = true;
		pftrace__event(te->w, &ev);
	}
}
