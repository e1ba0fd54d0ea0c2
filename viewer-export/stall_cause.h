/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stall's cause: its on-CPU samples and off-CPU periods merged into a
 * call tree by function, root (outermost) to leaf; the cause is the
 * deepest node holding more than half of the stall's weight. An on-CPU
 * sample weighs the on-CPU time over the samples, an off-CPU period its
 * length. Pure: frames are named through the resolver, no I/O.
 */
#ifndef LS_STALL_CAUSE_H
#define LS_STALL_CAUSE_H

#include <stddef.h>
#include "collector/cause.h"
#include "collector/correlator.h"
#include "collector/model.h"
#include "collector/symbolize.h"

typedef int (*ls_cause_resolve_fn)(void *ctx, uint32_t pid, uint64_t ip, bool kernel,
				   struct ls_frame_info *out);

struct ls_cause_ctx {
	ls_cause_resolve_fn resolve;	/* NULL: frames are addresses */
	void *resolve_ctx;
	uint32_t pid;			/* the process whose addresses the stacks are */
};

/*
 * The cause of a stall of busy_ns with nsamples on-CPU samples (ws may
 * hold fewer: those beyond the kept stacks only weigh against the cause)
 * and offcpu_ns off CPU. Samples without any stack (not copied) weigh
 * for no side. 0 or -ENOMEM; out->nframes 0: no cause.
 */
int ls_stall_cause(const struct ls_cause_ctx *cx, const struct ls_weighted_stack *ws, uint32_t n,
		   uint32_t nsamples, uint64_t busy_ns, uint64_t offcpu_ns, struct ls_cause *out);
/*
 * The same for an iteration as the sink sees it (its weighted stacks),
 * malloc'd: NULL when it has no stacks or memory ran out; nframes 0: none.
 */
struct ls_cause *ls_iteration_cause(const struct ls_cause_ctx *cx, const struct ls_iteration *it);
/* The same for a kept stall, its stack ids looked up in corr. */
int ls_stall_cause_kept(const struct ls_cause_ctx *cx, const struct correlator *corr,
			const struct ls_stall *st, struct ls_cause *out);

/*
 * Adds a stall of busy_ns and cause c to the groups g[*n] (at most max):
 * its own group, or a new one. Returns the group's index, -1 if full.
 */
int ls_cause_group_add(struct ls_cause_group *g, uint32_t *n, uint32_t max,
		       const struct ls_cause *c, uint64_t busy_ns);
/* Groups by their stalls' total busy time, largest first. */
void ls_cause_groups_sort(struct ls_cause_group *g, uint32_t n);
/*
 * The causes of a loop's kept stalls (causes[], one per stall) and their
 * groups (groups[LS_CAUSE_GROUPS], largest first). Returns the number of
 * groups or -ENOMEM.
 */
int ls_loop_causes(const struct ls_cause_ctx *cx, const struct correlator *corr,
		   const struct ls_loop_summary *l, struct ls_cause *causes,
		   struct ls_cause_group *groups);

/*
 * The frames of c to show in at most maxframes (idx[], at most maxframes + 1
 * entries; -1 is a "..."): the first maxframes, or, when the first JS frame
 * lies beyond them, the first maxframes - 2, "...", that JS frame and its
 * caller. Returns the number of entries.
 */
unsigned ls_cause_shown(const struct ls_cause *c, unsigned maxframes, int *idx);
/* "busy_spin <- handle_block <- loop_run", the frames ls_cause_shown() picks. */
const char *ls_cause_line(const struct ls_cause *c, unsigned maxframes, char *buf, size_t sz);
/*
 * What an off-CPU cause waited on, appended to a line: " on file /var/x
 * (read, fd 7)", " on pipe fd 5 (read)", " (futex)". The path is the
 * target's: the line must be escaped. Returns snprintf()'s count.
 */
int ls_wait_on_text(const struct ls_wait_on *w, char *buf, size_t sz);
/*
 * An off-CPU cause's tail, written over buf: " in __x64_sys_read on pipe fd 5
 * (read), woken by tid 12 (node)"; "" on CPU. The caller escapes the line.
 */
int ls_cause_wait_text(const struct ls_cause *c, char *buf, size_t sz);
/*
 * How much the cause holds: "9/9 samples, 100%" when on CPU alone, else
 * "62% of 80.1 ms, off CPU in __x64_sys_read on pipe fd 5 (read), woken by tid
 * 12 (node)".
 * samples/nsamples/weight/total: one stall's or a group's sums.
 */
const char *ls_cause_share(const struct ls_cause *c, uint64_t samples, uint64_t nsamples,
			   double weight, double total, char *buf, size_t sz);

#endif
