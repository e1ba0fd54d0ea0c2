/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Operations on a loop's summary (struct ls_loop_summary): keeping its
 * longest stalls, merging one into another, freeing it. Merging is how the
 * correlator bounds its memory when loop threads come and go: after the
 * first LS_KEEP_LOOPS loops, an exited loop thread's summary folds into one entry.
 */
#ifndef LS_LOOP_SUMMARY_H
#define LS_LOOP_SUMMARY_H

#include "model.h"

/* The loop's stats of one syscall / one phase, made on first use; NULL when out of memory. */
struct ls_sys_stats *ls_loop_sys(struct ls_loop_summary *l, uint32_t sys);
struct ls_phase_stats *ls_loop_phase(struct ls_loop_summary *l, uint32_t phase);
/* Adds s to the LS_TOP_STALLS longest, longest first (l->stalls is not counted). */
void ls_loop_keep_stall(struct ls_loop_summary *l, const struct ls_stall *s);
/* dst += src: counts, histograms, syscalls, phases, stalls, file I/O. 0 or -ENOMEM. */
int ls_loop_merge(struct ls_loop_summary *dst, const struct ls_loop_summary *src);
void ls_loop_free(struct ls_loop_summary *l);

#endif
