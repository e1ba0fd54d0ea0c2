/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Between the ring buffer and the collector, for CFI unwinding: keeps each
 * thread's last copied user stack (LS_REC_USTACK), and when a sample,
 * off-CPU or overflow record names it (user_stack == LS_STACK_DUMPED),
 * unwinds it while the target's maps are current, hands on the frames as
 * an LS_REC_STACK under an id of its own (once per distinct stack), and the
 * record with that id. Downstream (collector, raw files, replay) sees
 * stack ids only, as with stacks the kernel walked.
 */
#ifndef LS_USER_STACKS_H
#define LS_USER_STACKS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "collector/unwind.h"
#include "js_frames.h"

typedef int (*user_stacks_emit_fn)(void *ctx, void *data, size_t len);

struct user_stacks_stats {
	uint64_t pending_missing;	/* a record named a copy that never came (dropped) */
	uint64_t ids_full;		/* LS_MAX_UNWOUND_STACKS distinct stacks: no id left */
	uint64_t empty;			/* unwound to nothing */
	uint64_t unwinders_full;	/* a process past LS_MAX_UNWOUND_PROCS: its stacks not unwound */
	struct unwinder_stats unwind;	/* all processes' together, the gone ones' too */
	struct js_frames_stats js;	/* JavaScript frames named from V8's heap */
};

struct user_stacks;

/* Processes unwound at once: each holds its modules' files and CFI. */
#define LS_MAX_UNWOUND_PROCS	64

/* An unwinder is made per process at its first copy, and goes at its exit or exec. */
struct user_stacks *user_stacks__new(bool js_names);
/* One ring-buffer record: kept, or handed on (rewritten) through emit. emit's result. */
int user_stacks__on_record(struct user_stacks *us, void *data, size_t len,
			   user_stacks_emit_fn emit, void *ctx);
void user_stacks__stats(const struct user_stacks *us, struct user_stacks_stats *st);
void user_stacks__free(struct user_stacks *us);

#endif
