/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A loop thread's busy share over a window of its own timeline, in the
 * kernel's clock (top's intervals, the agent's scrapes). An iteration is
 * known only when its wait returns, so its busy part may lie in a window
 * already reported (a stall longer than the window, a wait that spans the
 * window's end). A window covers [acct_to, known_to): from where the last
 * one stopped to the end of the loop's last complete iteration, and counts
 * only the busy time inside it. A thread's busy parts do not overlap, so
 * the share cannot pass 1, and no busy nanosecond is counted twice or
 * dropped. (Counting an iteration's whole busy time in the window where it
 * ends, against the window's wall length, gave 300% for a 3 s stall in a
 * 1 s window.)
 */
#ifndef LS_BUSY_WINDOW_H
#define LS_BUSY_WINDOW_H

#include <stdint.h>
#include "model.h"

struct ls_busy_window {
	uint64_t acct_to;	/* CLOCK_BOOTTIME: where this window starts (0: no iteration yet) */
	uint64_t known_to;	/* the end of the last complete iteration */
	uint64_t busy_ns;	/* busy time inside [acct_to, known_to) */
};

void ls_busy_window_add(struct ls_busy_window *w, const struct ls_iteration *it);
/* busy / wall of the window, in [0, 1]; -1 when no iteration ended in it (waiting or stalled). */
double ls_busy_window_share(const struct ls_busy_window *w);
/* The next window starts where this one's knowledge ends. */
void ls_busy_window_next(struct ls_busy_window *w);

#endif
