/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Model -> Perfetto rendering; see trace_export.h for the layout.
 *
 * Ordering: the correlator reports an iteration after the calls of its busy
 * part (model.h). trace_processor sorts events by timestamp with a stable
 * sort, so a call starting at the very ns the iteration starts would sort
 * before the iteration's BEGIN and break the nesting. We therefore hold the
 * calls, pool events and phases of a loop thread's current iteration back
 * and write them between the "busy" BEGIN and END when the iteration
 * arrives (trace_export_held.c): every track is then written in time order
 * with parents before children, and ENDs before BEGINs at equal timestamps.
 *
 * Tracks are described lazily, at a thread's first event, so that the
 * descriptor has a real timestamp and usually the final thread name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "collector/record.h"
#include "stall_cause.h"
#include "trace_export_int.h"

void te_set_err(struct trace_export *te, int err)
{
	if (!te->err)
		te->err = err;
}

void te_seen_ts(struct trace_export *te, uint64_t start, uint64_t end)
{
	if (!te->first_ts || start < te->first_ts)
		te->first_ts = start;
	if (end > te->last_ts)
		te->last_ts = end;
}

/*
 * The multiplicative hash of a tid, high bits first: the slot order it gives
 * (the order in which trace_export__finish writes what threads still hold)
 * is the one this table always had.
 */
static uint64_t tid_hash(uint32_t tid)
{
	return ls_hash_u64(tid) >> 20;
}

static bool thread_eq(const void *entry, const void *key)
{
	return ((const struct te_thread *)entry)->tid == *(const uint32_t *)key;
}

/* The thread's state, created from t (which may be NULL) when first seen. */
struct te_thread *te_get_thread(struct trace_export *te, uint32_t tid, const struct ls_thread *t)
{
	bool created;
	struct te_thread *th = ls_table_insert(&te->threads, tid_hash(tid), &tid, &created);

	if (!th) {
		te_set_err(te, -ENOMEM);
		return NULL;
	}
	if (!created)
		return th;
	th->tid = tid;
	th->gen = te->exits;
	th->pid = t ? t->pid : te->pid;
	if (!te->pid)	/* a replay: the capture's first thread names the process */
		te->pid = th->pid;
	if (t) {
		memcpy(th->comm, t->comm, LS_COMM_LEN);
		th->is_loop = t->is_loop;
	}
	return th;
}

/*
 * A thread's tracks. A tid reused after an exit is a new thread: another
 * uuid (Perfetto reads a second thread uuid of one tid as tid reuse), and
 * no conflicting re-description of the old one's.
 */
uint64_t te_thread_uuid(const struct te_thread *th, enum pftrace_uuid_kind kind)
{
	uint64_t u = pftrace__track_uuid(kind, th->pid, th->tid);

	u ^= th->gen * 0x9e3779b97f4a7c15ull;
	return u ? u : 1;
}

/*
 * Describes th on its first event. A later rename must not re-describe the
 * uuid with another name (a conflicting descriptor), so it goes out as a
 * ProcessTree entry at the thread's next event instead.
 */
void te_describe_thread(struct trace_export *te, struct te_thread *th, uint64_t ts)
{
	struct pftrace_track tr = { .kind = PFTRACE_TRACK_THREAD };

	if (th->described) {
		if (th->rename_pending)
			pftrace__thread_name(te->w, ts, (int32_t)th->pid, (int32_t)th->tid, th->comm);
		th->rename_pending = false;
		return;
	}
	te_describe_process(te, th->pid, ts);
	th->uuid = te_thread_uuid(th, PFTRACE_UUID_THREAD);
	tr.uuid = th->uuid;
	tr.pid = (int32_t)th->pid;
	tr.tid = th->tid;
	tr.name = th->comm[0] ? th->comm : NULL;
	if (!pftrace__track(te->w, ts, &tr)) {
		th->described = true;
		te->counts.threads++;
	}
	if (!te->default_set) {
		pftrace__set_default_track(te->w, th->uuid);
		te->default_set = true;
	}
}

static void describe_counter(struct trace_export *te, struct te_thread *th, uint64_t ts)
{
	struct pftrace_track tr = { .kind = PFTRACE_TRACK_COUNTER, .unit_name = "ms" };
	char name[48];

	if (th->counter_described)
		return;
	snprintf(name, sizeof(name), "busy ms %u", th->tid);
	th->counter_uuid = te_thread_uuid(th, PFTRACE_UUID_COUNTER);
	tr.uuid = th->counter_uuid;
	tr.parent_uuid = pftrace__track_uuid(PFTRACE_UUID_PROCESS, th->pid, 0);
	tr.name = name;
	tr.description = "Busy time of each loop iteration, at its end";
	if (!pftrace__track(te->w, ts, &tr))
		th->counter_described = true;
}

static void on_thread(void *ctx, const struct ls_thread *t)
{
	struct trace_export *te = ctx;
	struct te_thread *th = te_get_thread(te, t->tid, t);

	if (!th)
		return;
	th->pid = th->described ? th->pid : t->pid;
	th->is_loop = t->is_loop;
	if (strncmp(th->comm, t->comm, LS_COMM_LEN)) {
		memcpy(th->comm, t->comm, LS_COMM_LEN);
		th->rename_pending = th->described;
	}
}

void te_slice(struct trace_export *te, const struct te_thread *th, enum pftrace_event_type type,
		  uint64_t ts, const char *name, const char *cats,
		  const struct pftrace_arg *args, unsigned nargs)
{
	struct pftrace_event ev = {
		.type = type, .ts = ts, .track_uuid = th->uuid, .name = name,
		.categories = cats, .args = args, .nargs = nargs,
	};

	pftrace__event(te->w, &ev);
}

void te_write_call(struct trace_export *te, const struct te_thread *th,
		   const struct ls_call *c, uint64_t lo, uint64_t hi)
{
	struct pftrace_arg a[5];
	uint64_t ts = c->ts, end = c->ts + c->dur;
	const char *name = ls_syscall_name(c->sys), *cat = "syscall";
	char buf[64];
	unsigned n = 0;

	if (c->flags & LS_CALLF_POLL) {
		name = "poll wait";	/* only open waits get here */
		cat = "loop";
	} else if (c->flags & LS_CALLF_SYNC_FILE) {
		snprintf(buf, sizeof(buf), "%s (sync file I/O)", name);
		name = buf;
		cat = "syscall,finding";
	}
	ts = ts < lo ? lo : ts > hi ? hi : ts;
	end = end < ts ? ts : end > hi ? hi : end;
	if (c->fd >= 0)
		a[n++] = (struct pftrace_arg){ .name = "fd", .type = PFTRACE_ARG_INT, .i = c->fd };
	a[n++] = (struct pftrace_arg){ .name = "fd_kind", .type = PFTRACE_ARG_STR,
				       .s = ls_fd_kind_name(c->fd_kind) };
	a[n++] = (struct pftrace_arg){ .name = "ret", .type = PFTRACE_ARG_INT, .i = c->ret };
	if (c->sys == LS_SYS_FUTEX)
		a[n++] = (struct pftrace_arg){ .name = "op", .type = PFTRACE_ARG_INT, .i = c->arg };
	if (c->flags & LS_SYSF_OPEN)
		a[n++] = (struct pftrace_arg){ .name = "open", .type = PFTRACE_ARG_BOOL, .b = true };
	te_slice(te, th, PFTRACE_SLICE_BEGIN, ts, name, cat, a, n);
	te_slice(te, th, PFTRACE_SLICE_END, end, NULL, NULL, NULL, 0);
}

static void on_call(void *ctx, const struct ls_thread *t, const struct ls_call *c)
{
	struct trace_export *te = ctx;
	struct te_thread *th;

	te->counts.calls++;
	if ((c->flags & (LS_CALLF_POLL | LS_SYSF_OPEN)) == LS_CALLF_POLL) {
		te->counts.polls_folded++;	/* on_iteration draws it */
		return;
	}
	th = te_get_thread(te, c->tid, t);
	if (!th)
		return;
	te_seen_ts(te, c->ts, c->ts + c->dur);
	te_describe_thread(te, th, c->ts);
	/* iter is set from a thread's first epoll return on: hold from then, even
	 * before the first iteration completes and makes it a loop thread */
	if (c->iter && !(c->flags & LS_CALLF_POLL) &&
	    te_hold(th, &(struct te_held){ .kind = TE_HELD_CALL, .call = *c }))
		return;
	te_write_call(te, th, c, 0, UINT64_MAX);
}

/*
 * The stall's cause by function as args "cause" ("busy_spin <- loop_run")
 * and "cause_share": the samples are all in before the iteration
 * completes, so the slice can carry it. Returns the args written (0 or 2).
 */
static unsigned stall_cause_args(const struct trace_export *te, const struct ls_iteration *it,
				 struct pftrace_arg *a, char *buf, size_t sz)
{
	struct ls_cause_ctx cx = { .resolve = te->resolve, .resolve_ctx = te->resolve_ctx,
				   .pid = it->pid };
	struct ls_cause *c = ls_iteration_cause(&cx, it);
	double share;

	if (!c || !c->nframes) {
		free(c);
		return 0;
	}
	ls_cause_line(c, 4, buf, sz);
	share = c->share;
	free(c);
	a[0] = (struct pftrace_arg){ .name = "cause", .type = PFTRACE_ARG_STR, .s = buf };
	a[1] = (struct pftrace_arg){ .name = "cause_share", .type = PFTRACE_ARG_DOUBLE, .d = share };
	return 2;
}

static void write_iteration_begin(struct trace_export *te, const struct te_thread *th,
				  const struct ls_iteration *it)
{
	uint64_t busy = ls_iteration_busy(it);
	struct pftrace_arg a[] = {
		{ .name = "seq", .type = PFTRACE_ARG_UINT, .u = it->seq },
		{ .name = "busy_ms", .type = PFTRACE_ARG_DOUBLE, .d = busy / 1e6 },
		{ .name = "calls", .type = PFTRACE_ARG_UINT, .u = it->ncalls },
		{ .name = "file_io", .type = PFTRACE_ARG_UINT, .u = it->nfile_io },
	};
	char name[48], cause[512];

	if (it->stall) {
		/* seq, busy_ms, calls, file_io, samples, offcpu_ms, woken_by, cause, cause_share */
		struct pftrace_arg sa[9];
		struct pftrace_event ev = {
			.type = PFTRACE_SLICE_BEGIN, .ts = it->start, .track_uuid = th->uuid,
			.name = name, .categories = "loop,stall", .args = sa, .nargs = 4,
		};

		memcpy(sa, a, sizeof(a));
		snprintf(name, sizeof(name), "STALL %llu ms",
			 (unsigned long long)((busy + 500000) / 1000000));
		sa[ev.nargs++] = (struct pftrace_arg){ .name = "samples", .type = PFTRACE_ARG_UINT,
						       .u = it->nsamples };
		sa[ev.nargs++] = (struct pftrace_arg){ .name = "offcpu_ms", .type = PFTRACE_ARG_DOUBLE,
						       .d = it->offcpu_ns / 1e6 };
		if (it->waker_tid)
			sa[ev.nargs++] = (struct pftrace_arg){ .name = "woken_by", .type = PFTRACE_ARG_STR,
							       .s = it->waker_comm };
		ev.nargs += stall_cause_args(te, it, &sa[ev.nargs], cause, sizeof(cause));
		/* the stack that explains it: where it ran most, else where it blocked */
		if (it->top_count)
			ev.callstack_iid = stack_export__callstack(te->stacks, it->pid, it->top_user,
								 it->top_kern);
		else if (it->offcpu_ns)
			ev.callstack_iid = stack_export__callstack(te->stacks, it->pid, it->off_user,
								 it->off_kern);
		_Static_assert(sizeof(sa) / sizeof(sa[0]) <= PFTRACE_MAX_ARGS, "a STALL's args fit an event");
		pftrace__event(te->w, &ev);
	} else {
		te_slice(te, th, PFTRACE_SLICE_BEGIN, it->start, "iteration", "loop", a, 4);
	}
}

static void write_poll_wait(struct trace_export *te, const struct te_thread *th,
			    const struct ls_iteration *it)
{
	struct pftrace_arg a[] = {
		{ .name = "syscall", .type = PFTRACE_ARG_STR, .s = ls_syscall_name(it->poll_sys) },
		{ .name = "timeout_ms", .type = PFTRACE_ARG_INT, .i = it->poll_timeout },
		{ .name = "ready", .type = PFTRACE_ARG_INT, .i = it->poll_ret },
	};

	te_slice(te, th, PFTRACE_SLICE_BEGIN, it->poll_start, "poll wait", "loop", a, 3);
	te_slice(te, th, PFTRACE_SLICE_END, it->end, NULL, NULL, NULL, 0);
}

static void on_phase(void *ctx, const struct ls_thread *t, const struct ls_phase_span *p)
{
	struct trace_export *te = ctx;
	struct te_thread *th = te_get_thread(te, p->tid, t);

	if (th && !te_hold(th, &(struct te_held){ .kind = TE_HELD_PHASE, .phase = *p }))
		te_set_err(te, -ENOMEM);
}

static void on_iteration(void *ctx, const struct ls_thread *t, const struct ls_iteration *it)
{
	struct trace_export *te = ctx;
	struct te_thread *th = te_get_thread(te, it->tid, t);
	struct pftrace_event cnt = { .type = PFTRACE_COUNTER, .ts = it->end };

	if (!th)
		return;
	th->is_loop = true;
	te_seen_ts(te, it->start, it->end);
	te_describe_thread(te, th, it->start);
	if (!te->default_is_loop) {	/* most events are on the loop thread */
		pftrace__set_default_track(te->w, th->uuid);
		te->default_is_loop = true;
	}
	describe_counter(te, th, it->start);
	te_release_before(te, th, it->seq);	/* of iterations never reported */
	te->counts.iterations++;
	te->counts.stalls += it->stall;
	write_iteration_begin(te, th, it);
	if (it->stall)
		te_write_stall_stacks(te, th, it);
	te_write_busy(te, th, it);
	if (it->stall)
		te_slice(te, th, PFTRACE_INSTANT, it->poll_start, "stall", "loop,stall", NULL, 0);
	write_poll_wait(te, th, it);
	te_slice(te, th, PFTRACE_SLICE_END, it->end, NULL, NULL, NULL, 0);
	cnt.track_uuid = th->counter_uuid;
	cnt.value = ls_iteration_busy(it) / 1e6;
	pftrace__event(te->w, &cnt);
}

/* Its last held calls written, an exited thread's state goes. */
static void on_thread_exit(void *ctx, const struct ls_thread *t)
{
	struct trace_export *te = ctx;
	struct te_thread *th = ls_table_find(&te->threads, tid_hash(t->tid), &t->tid);

	if (!th)
		return;
	te_release_all(te, th);
	te_held_free(th);
	ls_table_remove(&te->threads, th);
	te->exits++;
}

struct ls_sink trace_export__sink(struct trace_export *te)
{
	return (struct ls_sink){
		.ctx = te, .on_process = te_on_process, .on_thread = on_thread, .on_thread_exit = on_thread_exit,
		.on_call = on_call, .on_iteration = on_iteration,
		.on_phase = on_phase, .on_work = te_on_work, .on_pool = te_on_pool,
		.on_sample = te_on_sample, .on_overflow = te_on_overflow,
		.on_js_callback = te_on_js_callback,
	};
}

struct trace_export *trace_export__new(struct pftrace *w, const struct trace_export_opts *opts)
{
	struct trace_export *te;

	if (!w || !opts) {
		errno = EINVAL;
		return NULL;
	}
	te = calloc(1, sizeof(*te));
	if (!te)
		goto nomem;
	te->w = w;
	ls_table_init(&te->threads, sizeof(struct te_thread), 64, SIZE_MAX, thread_eq);
	te_procs_init(te);
	te->pid = opts->pid;
	te->stall_threshold_ns = opts->stall_threshold_ns;
	te->stacks = stack_export__new(w, opts->resolve, opts->resolve_ctx);
	te->resolve = opts->resolve;
	te->resolve_ctx = opts->resolve_ctx;
	te->folded = opts->folded;
	if (!te->stacks)
		goto nomem;
	te->process_name = opts->process_name ? strdup(opts->process_name) : NULL;
	te->cmdline = opts->cmdline ? strdup(opts->cmdline) : NULL;
	if ((opts->process_name && !te->process_name) || (opts->cmdline && !te->cmdline))
		goto nomem;
	return te;
nomem:
	trace_export__free(te);
	errno = ENOMEM;
	return NULL;
}

void trace_export__free(struct trace_export *te)
{
	size_t i;

	if (!te)
		return;
	for (i = 0; i < ls_table_cap(&te->threads); i++) {
		struct te_thread *th = ls_table_slot(&te->threads, i);

		if (th)
			te_held_free(th);
	}
	stack_export__free(te->stacks);
	ls_table_free(&te->threads);
	ls_table_free(&te->procs);
	free(te->process_name);
	free(te->cmdline);
	free(te);
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts))
		return 1;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Losses go on a counter track (a step from 0 to the total over the trace,
 * visible at a glance) and, itemised, on an instant of the process track.
 */
static void write_drops(struct trace_export *te, const struct ls_export_stats *st)
{
	uint64_t end = te->last_ts ? te->last_ts : boottime_ns();
	uint64_t start = te->first_ts ? te->first_ts : end;
	uint64_t total = st->rb_drops + st->inflight_full + st->missed_exit + st->bad_records;
	uint64_t proc = pftrace__track_uuid(PFTRACE_UUID_PROCESS, te->pid, 0);
	struct pftrace_track tr = {
		.kind = PFTRACE_TRACK_COUNTER, .parent_uuid = proc, .name = "loopscope drops",
		.uuid = pftrace__track_uuid(PFTRACE_UUID_COUNTER, te->pid, 0),
		.description = "Events lost by loopscope: ring buffer, in-flight map, missed exits, bad records",
	};
	struct pftrace_arg a[] = {
		{ .name = "ring_buffer", .type = PFTRACE_ARG_UINT, .u = st->rb_drops },
		{ .name = "inflight_full", .type = PFTRACE_ARG_UINT, .u = st->inflight_full },
		{ .name = "missed_exit", .type = PFTRACE_ARG_UINT, .u = st->missed_exit },
		{ .name = "bad_records", .type = PFTRACE_ARG_UINT, .u = st->bad_records },
		{ .name = "calls", .type = PFTRACE_ARG_UINT, .u = te->counts.calls },
		{ .name = "iterations", .type = PFTRACE_ARG_UINT, .u = te->counts.iterations },
		{ .name = "stall_threshold_ms", .type = PFTRACE_ARG_DOUBLE,
		  .d = te->stall_threshold_ns / 1e6 },
	};
	struct pftrace_event ev = {
		.type = PFTRACE_COUNTER, .ts = start, .track_uuid = tr.uuid, .int_counter = true,
	};

	te_describe_process(te, te->pid, start);
	pftrace__track(te->w, start, &tr);
	if (start < end) {
		pftrace__event(te->w, &ev);
		ev.ts = end;
	}
	ev.value = (double)total;
	pftrace__event(te->w, &ev);
	ev = (struct pftrace_event){
		.type = PFTRACE_INSTANT, .ts = end, .track_uuid = proc, .name = "loopscope stats",
		.categories = total ? "loopscope,drops" : "loopscope", .args = a, .nargs = 7,
	};
	pftrace__event(te->w, &ev);
}

int trace_export__finish(struct trace_export *te, const struct ls_export_stats *st)
{
	static const struct ls_export_stats none;
	size_t i;
	int err;

	/* Calls of an iteration the trace ended in: no parent to nest in. */
	for (i = 0; i < ls_table_cap(&te->threads); i++) {
		struct te_thread *th = ls_table_slot(&te->threads, i);

		if (th)
			te_release_all(te, th);
	}
	write_drops(te, st ? st : &none);
	err = pftrace__finish(te->w);
	return te->err ? te->err : err;
}

void trace_export__counts(const struct trace_export *te, struct trace_export_counts *c)
{
	*c = te->counts;
}
