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

typedef int (*user_stacks_emit_fn)(void *ctx, void *data, size_t len);

struct user_stacks_stats {
	uint64_t pending_missing;	/* a record named a copy that never came (dropped) */
	uint64_t ids_full;		/* LS_MAX_UNWOUND_STACKS distinct stacks: no id left */
	uint64_t empty;			/* unwound to nothing */
	struct unwinder_stats unwind;
};

struct user_stacks;

struct user_stacks *user_stacks__new(pid_t pid);
/* One ring-buffer record: kept, or handed on (rewritten) through emit. emit's result. */
int user_stacks__on_record(struct user_stacks *us, void *data, size_t len,
			   user_stacks_emit_fn emit, void *ctx);
void user_stacks__stats(const struct user_stacks *us, struct user_stacks_stats *st);
void user_stacks__free(struct user_stacks *us);

#endif
