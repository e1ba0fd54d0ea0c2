/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * trace_export: renders the correlator's model (collector/model.h) as a
 * Perfetto trace through a pftrace writer, while recording.
 *
 * Layout: one process track per traced process (named from the model's
 * processes, on_process; the root from the opts), one thread track per
 * thread that has events, under its own process,
 * and per loop thread a counter track "busy ms <tid>". On a loop thread each
 * iteration is a slice ("iteration", or "STALL <n> ms") with the children
 * "busy" (holding the syscalls made by callbacks) and "poll wait". Syscalls
 * of other threads are slices on their thread track. Drop counters are
 * written by trace_export__finish() so lost data shows in the trace.
 *
 * Errors of the sink callbacks are sticky; trace_export__finish() returns
 * the first one.
 */
#ifndef LS_TRACE_EXPORT_H
#define LS_TRACE_EXPORT_H

#include <stdint.h>
#include "collector/model.h"
#include "pftrace.h"
#include "collector/symbolize.h"
#include "folded.h"

struct trace_export_opts {
	uint32_t pid;			/* the root process; 0: the first thread's */
	const char *process_name;	/* the root's; NULL: its comm from the model */
	const char *cmdline;		/* the root's; NULL: its command line from the model */
	uint64_t stall_threshold_ns;	/* shown in the stats instant */
	/*
	 * names frames of samples and stall stacks in process pid; NULL: frames
	 * stay addresses. A stack id shared by processes is named once, in the
	 * process of the first record that used it.
	 */
	int (*resolve)(void *ctx, uint32_t pid, uint64_t ip, bool kernel, struct ls_frame_info *out);
	void *resolve_ctx;
	struct folded *folded;		/* also fold on-CPU samples into it; NULL = no */
};

/* What the kernel side and the correlator could not deliver. */
struct ls_export_stats {
	uint64_t rb_drops;		/* ring buffer full */
	uint64_t inflight_full;		/* in-flight map full */
	uint64_t missed_exit;		/* a call's exit never seen */
	uint64_t bad_records;		/* rejected by the correlator */
};

struct trace_export_counts {
	uint64_t threads;		/* thread tracks described */
	uint64_t calls;			/* calls received, including folded polls */
	uint64_t polls_folded;		/* loop waits shown as "poll wait" instead */
	uint64_t iterations;
	uint64_t stalls;
};

/* w must outlive te; opts strings are copied. NULL + errno on failure. */
struct trace_export *trace_export__new(struct pftrace *w, const struct trace_export_opts *opts);
void trace_export__free(struct trace_export *te);
/* The callbacks to hand to the correlator; ctx is te. */
struct ls_sink trace_export__sink(struct trace_export *te);
/*
 * Writes what was held back, the drop counters (st may be NULL) and flushes
 * the writer. Returns the first error of the export or the writer, or 0.
 */
int trace_export__finish(struct trace_export *te, const struct ls_export_stats *st);
void trace_export__counts(const struct trace_export *te, struct trace_export_counts *c);

#endif
