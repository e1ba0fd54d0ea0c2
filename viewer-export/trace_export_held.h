/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a loop thread's track holds back until its iteration completes (see
 * trace_export.c for why): calls, thread-pool events and phases, each kind
 * with its own fields. trace_export_held.c alone holds, releases and nests
 * them; the renderers of each kind only write one event.
 */
#ifndef LS_TRACE_EXPORT_HELD_H
#define LS_TRACE_EXPORT_HELD_H

#include <stddef.h>
#include <stdint.h>
#include "collector/model.h"

/* Held calls and pool events per thread, beyond which they are written at once. */
#define TE_MAX_HELD	65536

/* The steps of a thread-pool item that land on a loop thread's track. */
enum te_pool_step {
	TE_POOL_SUBMIT,		/* an instant, starting the item's flow */
	TE_POOL_DONE_BEGIN,	/* the done callback, ending the flow */
	TE_POOL_DONE_END,
	TE_POOL_RUN_BEGIN,	/* run on the loop thread itself (sync fs) */
	TE_POOL_RUN_END,
};

struct te_pool_event {
	uint64_t ts;
	uint64_t iter;		/* the iteration in progress on the thread */
	uint64_t flow_id;
	uint32_t step;		/* enum te_pool_step */
	uint32_t work_kind;	/* enum ls_work_kind */
	int32_t queued;		/* queue depth at submit, this item included */
};

enum te_held_kind {
	TE_HELD_CALL,
	TE_HELD_POOL,
	TE_HELD_PHASE,		/* a parent: the calls and pool events it spans nest in it */
};

struct te_held {
	enum te_held_kind kind;
	union {
		struct ls_call call;
		struct te_pool_event pool;
		struct ls_phase_span phase;
	};
};

/* One thread's held events, in the thread's order (phases after what they span). */
struct te_held_queue {
	struct te_held *ev;
	size_t n;
	size_t cap;
	size_t nnested;		/* calls and pool events, at most TE_MAX_HELD */
};

#endif
