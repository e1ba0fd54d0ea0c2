/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals of the Perfetto exporter, shared by trace_export.c (threads,
 * calls, iterations), trace_export_held.c (what a loop thread holds back
 * until its iteration completes, and its nesting), trace_export_pool.c
 * (libuv thread pool) and trace_export_stacks.c (samples, overflows).
 */
#ifndef LS_TRACE_EXPORT_INT_H
#define LS_TRACE_EXPORT_INT_H

#include "collector/table.h"
#include "stack_export.h"
#include "trace_export.h"
#include "trace_export_held.h"

struct te_thread {
	bool described;
	bool rename_pending;
	bool counter_described;
	bool js_described;		/* its "JS callbacks" track */
	bool stall_stacks_described;	/* its "stall stacks" track */
	bool is_loop;
	uint32_t pid;
	uint32_t tid;
	uint64_t gen;			/* exits seen before it: tells reused tids apart */
	uint64_t uuid;
	uint64_t counter_uuid;
	char comm[LS_COMM_LEN + 1];
	struct te_held_queue held;	/* of a loop thread's iterations in progress */
};

struct trace_export {
	struct pftrace *w;
	int err;
	uint32_t pid;
	char *process_name;
	char *cmdline;
	uint64_t stall_threshold_ns;
	/* names frames for a stall's cause (stall_cause.c), as the stacks do */
	int (*resolve)(void *ctx, uint32_t pid, uint64_t ip, bool kernel, struct ls_frame_info *out);
	void *resolve_ctx;
	struct ls_table threads;	/* of struct te_thread, by tid */
	uint64_t exits;			/* threads let go at their exit */
	struct ls_table procs;		/* of struct te_proc, by pid: names, described (_procs.c) */
	uint64_t first_ts;
	uint64_t last_ts;
	bool pool_described;
	/* the writer's default track: the first thread seen, then the first loop */
	bool default_set;
	bool default_is_loop;
	struct stack_export *stacks;
	struct folded *folded;
	struct trace_export_counts counts;
};

void te_set_err(struct trace_export *te, int err);
void te_seen_ts(struct trace_export *te, uint64_t start, uint64_t end);
/* The thread's state, created from t (which may be NULL) when first seen. */
struct te_thread *te_get_thread(struct trace_export *te, uint32_t tid, const struct ls_thread *t);
uint64_t te_thread_uuid(const struct te_thread *th, enum pftrace_uuid_kind kind);
void te_describe_thread(struct trace_export *te, struct te_thread *th, uint64_t ts);
void te_slice(struct trace_export *te, const struct te_thread *th, enum pftrace_event_type type,
	      uint64_t ts, const char *name, const char *cats,
	      const struct pftrace_arg *args, unsigned nargs);
/* One call as a slice, clamped to [lo, hi] so it nests in its parent. */
void te_write_call(struct trace_export *te, const struct te_thread *th,
		   const struct ls_call *c, uint64_t lo, uint64_t hi);

/* trace_export_held.c */
/* Keeps h to be written with its iteration; false if it must be written now. */
bool te_hold(struct te_thread *th, const struct te_held *h);
/* Writes the held calls and pool events of iterations before seq (never reported). */
void te_release_before(struct trace_export *te, struct te_thread *th, uint64_t seq);
/* Writes every held call and pool event, unnested; drops the phases. */
void te_release_all(struct trace_export *te, struct te_thread *th);
/* The iteration's "busy" slice, its phases and held events nested, then lets them go. */
void te_write_busy(struct trace_export *te, struct te_thread *th, const struct ls_iteration *it);
void te_held_free(struct te_thread *th);

/* trace_export_procs.c */
void te_procs_init(struct trace_export *te);
/* The process track of pid, described (named from what is known) on first use. */
void te_describe_process(struct trace_export *te, uint32_t pid, uint64_t ts);
void te_on_process(void *ctx, const struct ls_process *p);

/* trace_export_pool.c */
void te_write_pool_event(struct trace_export *te, const struct te_thread *th,
			 const struct te_pool_event *p);
void te_on_pool(void *ctx, uint32_t pid, uint64_t ts, int32_t queued, int32_t running);
void te_on_work(void *ctx, const struct ls_work_item *w, uint32_t event, uint64_t iter);

/* trace_export_stacks.c */
void te_on_sample(void *ctx, const struct ls_thread *t, const struct ls_sample *smp);
void te_on_overflow(void *ctx, const struct ls_thread *t, const struct ls_overflow *o);
/* A stall's stacks, weighted by the time each holds: the stall's own flamegraph. */
void te_write_stall_stacks(struct trace_export *te, struct te_thread *th, const struct ls_iteration *it);
void te_on_js_callback(void *ctx, const struct ls_thread *t, const struct ls_phase_span *p);

#endif
