/* SPDX-License-Identifier: BSD-2-Clause */
/* On-CPU samples (PerfSample, folded) and stack overflows in the trace. */
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
