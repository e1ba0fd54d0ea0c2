/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pftrace_stacks.h"
#include "stack_export.h"

#define PAIR_SLOTS (1u << 16)	/* (user, kernel) id pairs cached; ids are < 2^14 */

struct stack_export {
	struct pftrace_stacks *ps;
	ls_resolve_fn resolve;
	void *ctx;
	uint64_t *iids;		/* by pair: 0 = not yet */
	struct ls_frame_info frames[2 * LS_MAX_STACK_DEPTH];
};

struct stack_export *stack_export__new(struct pftrace *w, ls_resolve_fn resolve, void *ctx)
{
	struct stack_export *se = calloc(1, sizeof(*se));

	if (!se)
		return NULL;
	se->ps = pftrace_stacks__new(w);
	se->iids = calloc(PAIR_SLOTS, sizeof(*se->iids));
	se->resolve = resolve;
	se->ctx = ctx;
	if (!se->ps || !se->iids) {
		stack_export__free(se);
		return NULL;
	}
	return se;
}

void stack_export__free(struct stack_export *se)
{
	if (!se)
		return;
	pftrace_stacks__free(se->ps);
	free(se->iids);
	free(se);
}

/* Stack ids + 1 (0 = none), each < 2^15: one 32-bit key per pair. */
static uint32_t pair_key(const struct ls_stack *user, const struct ls_stack *kern)
{
	return (user ? (uint32_t)user->id + 1 : 0) << 16 | (kern ? (uint32_t)kern->id + 1 : 0);
}

static size_t add_frames(struct stack_export *se, uint32_t pid, size_t n, const struct ls_stack *st)
{
	uint32_t i;

	for (i = 0; st && i < st->nframes && n < 2 * LS_MAX_STACK_DEPTH; i++) {
		struct ls_frame_info *f = &se->frames[n++];

		memset(f, 0, sizeof(*f));
		f->ip = st->ips[i];
		f->rel_pc = st->ips[i];
		f->kind = st->kernel ? LS_FRAME_KERNEL : LS_FRAME_NATIVE;
		if (se->resolve)
			se->resolve(se->ctx, pid, st->ips[i], st->kernel, f);	/* unnamed frames stay */
	}
	return n;
}

size_t stack_export__frames(struct stack_export *se, uint32_t pid, const struct ls_stack *user,
			    const struct ls_stack *kern, const struct ls_frame_info **frames)
{
	*frames = se->frames;
	return add_frames(se, pid, add_frames(se, pid, 0, kern), user);	/* leaf first: kernel on top */
}

uint64_t stack_export__callstack(struct stack_export *se, uint32_t pid,
				 const struct ls_stack *user, const struct ls_stack *kern)
{
	uint32_t key = pair_key(user, kern);
	size_t slot, n;
	uint64_t iid = 0;

	if ((!user || !user->nframes) && (!kern || !kern->nframes))
		return 0;
	/* a direct-mapped cache: each slot remembers the pair its iid is for */
	slot = (key * 2654435761u) & (PAIR_SLOTS - 1);
	if (se->iids[slot] && se->iids[slot] >> 32 == key)
		return se->iids[slot] & 0xffffffffu;
	n = add_frames(se, pid, add_frames(se, pid, 0, kern), user);	/* leaf first: kernel on top */
	if (pftrace_stacks__callstack(se->ps, se->frames, n, &iid) || iid > 0xffffffffu)
		return 0;
	se->iids[slot] = (uint64_t)key << 32 | iid;
	return iid;
}

int stack_export__sample(struct stack_export *se, const struct ls_sample *s)
{
	struct pftrace_sample smp = {
		.ts = s->ts, .pid = s->pid, .tid = s->tid, .cpu = s->cpu, .kernel = s->kern != NULL,
	};

	smp.callstack_iid = stack_export__callstack(se, s->pid, s->user, s->kern);
	if (!smp.callstack_iid)
		return 0;	/* a sample without a stack shows nothing */
	return pftrace_stacks__sample(se->ps, &smp);
}
