/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stall's cause and the groups of stalls with the same cause, as the
 * summary writes them (viewer-export/stall_cause.c makes them from the
 * stacks) and the reader reads them back for `report`. Frames are names,
 * not ips: a cause outlives the process whose addresses it came from.
 */
#ifndef LS_CAUSE_H
#define LS_CAUSE_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "../bpf/loopscope.h"
#include "model.h"

#define LS_CAUSE_FRAMES		16	/* the cause and up to 15 callers: room for V8's
					 * and node's C++ frames between a JS caller and a
					 * leaf deep in the runtime */
#define LS_CAUSE_LABEL		160	/* bytes of one frame's name, NUL included */
#define LS_CAUSE_GROUPS		32	/* at most one per kept stall (LS_TOP_STALLS) */

struct ls_cause {
	uint32_t nframes;	/* 0: no frame holds more than half of the stall */
	char frames[LS_CAUSE_FRAMES][LS_CAUSE_LABEL];	/* the cause first, then its callers */
	double share;		/* of the stall's weight under the cause, 0..1 */
	uint32_t samples;	/* on-CPU samples under the cause */
	uint32_t nsamples;	/* the stall's on-CPU samples */
	uint64_t off_ns;	/* off-CPU time under the cause */
	double weight;		/* ns under the cause: its samples' share of the on-CPU time, plus off_ns */
	double total;		/* ns of the stall's weight: on-CPU time if sampled, plus off-CPU time */
	bool offcpu;		/* off-CPU time is most of the cause's weight */
	char waited[LS_CAUSE_LABEL];	/* off CPU: the syscall or kernel function it waited in */
	uint32_t waker_tid;	/* off CPU: who woke it from its longest wait under the cause */
	char waker_comm[LS_COMM_LEN];
	struct ls_wait_on wait_on;	/* off CPU: the call of that wait (sys LS_SYS_NONE: unknown) */
};

/* Stalls of one loop with the same cause (same frames, on or off CPU alike). */
struct ls_cause_group {
	struct ls_cause cause;	/* of its longest stall */
	uint32_t count;
	uint64_t min_ns, max_ns, total_ns;	/* busy time of its stalls */
	uint64_t samples;	/* on-CPU samples under the cause, all its stalls */
	uint64_t nsamples;	/* on-CPU samples of its stalls */
	double weight;		/* the cause's weight (ns), all its stalls */
	double total_weight;	/* the stalls' weight (ns) */
	double share;		/* reader: total_ns over the loop's busy time, as written */
};

/* Two frames of causes are one function: JS:~f, JS:^f, JS:+f, JS:*f alike, whichever tier V8 ran it in. */
bool ls_cause_frame_same(const char *a, const char *b);
/* One cause: the same frames (ls_cause_frame_same), on or off CPU alike. */
bool ls_cause_same(const struct ls_cause *a, const struct ls_cause *b);
/*
 * One stall in two runs: the same kind (on or off CPU) and the same chain
 * of callers, outermost first, as far as the shorter goes (two frames at
 * least, or both of one frame). The deepest frame holding most of a stall
 * can move a level between runs (JSON.parse's time splits between its
 * callees one way or the other); its callers do not.
 */
bool ls_cause_same_stall(const struct ls_cause *a, const struct ls_cause *b);

#endif
