/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals of the Perfetto exporter, shared by trace_export.c (threads,
 * calls, iterations, phases), trace_export_pool.c (libuv thread pool) and
 * trace_export_stacks.c (samples, overflows).
 */
#ifndef LS_TRACE_EXPORT_INT_H
#define LS_TRACE_EXPORT_INT_H

#include "stack_export.h"
#include "trace_export.h"

/* Held-back calls per thread, beyond which they are written at once (see top). */
#define TE_MAX_HELD	65536

struct te_thread {
	bool used;
	bool described;
	bool rename_pending;
	bool counter_described;
	bool js_described;		/* its "JS callbacks" track */
	bool is_loop;
	uint32_t pid;
	uint32_t tid;
	uint64_t gen;			/* exits seen before it: tells reused tids apart */
	uint64_t uuid;
	uint64_t counter_uuid;
	char comm[LS_COMM_LEN + 1];
	struct ls_call *held;
	size_t nheld;
	size_t capheld;
	struct ls_phase_span *phases;	/* of the current iteration, held like calls */
	size_t nphases;
	size_t capphases;
};

struct trace_export {
	struct pftrace *w;
	int err;
	uint32_t pid;
	char *process_name;
	char *cmdline;
	uint64_t stall_threshold_ns;
	struct te_thread *threads;	/* open addressing by tid */
	size_t mask;
	size_t nthreads;
	uint64_t exits;			/* threads let go at their exit */
	uint32_t *pids;			/* processes already described */
	size_t npids;
	size_t cappids;
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

/* Exporter-private ls_call.flags marking held thread-pool events (see write_pool_event). */
#define TE_POOL_SUBMIT		0x10000
#define TE_POOL_DONE_BEGIN	0x20000
#define TE_POOL_DONE_END	0x40000
#define TE_POOL_RUN_BEGIN	0x80000
#define TE_POOL_RUN_END		0x100000
#define TE_POOL_ANY		(TE_POOL_SUBMIT | TE_POOL_DONE_BEGIN | TE_POOL_DONE_END | \
				 TE_POOL_RUN_BEGIN | TE_POOL_RUN_END)



void te_set_err(struct trace_export *te, int err);
void te_seen_ts(struct trace_export *te, uint64_t start, uint64_t end);
/* The thread's state, created from t (which may be NULL) when first seen. */
struct te_thread *te_get_thread(struct trace_export *te, uint32_t tid, const struct ls_thread *t);
uint64_t te_thread_uuid(const struct te_thread *th, enum pftrace_uuid_kind kind);
void te_describe_process(struct trace_export *te, uint32_t pid, uint64_t ts);
void te_describe_thread(struct trace_export *te, struct te_thread *th, uint64_t ts);
void te_slice(struct trace_export *te, const struct te_thread *th, enum pftrace_event_type type,
	      uint64_t ts, const char *name, const char *cats,
	      const struct pftrace_arg *args, unsigned nargs);
/* Keeps c to be written with its iteration; false if it must be written now. */
bool te_hold_call(struct te_thread *th, const struct ls_call *c);

/* trace_export_pool.c */
void te_write_pool_event(struct trace_export *te, const struct te_thread *th, const struct ls_call *c);
void te_on_pool(void *ctx, uint32_t pid, uint64_t ts, int32_t queued, int32_t running);
void te_on_work(void *ctx, const struct ls_work_item *w, uint32_t event, uint64_t iter);

/* trace_export_stacks.c */
void te_on_sample(void *ctx, const struct ls_thread *t, const struct ls_sample *smp);
void te_on_overflow(void *ctx, const struct ls_thread *t, const struct ls_overflow *o);
void te_on_js_callback(void *ctx, const struct ls_thread *t, const struct ls_phase_span *p);

#endif
