/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The agent's CPU budget: its own CPU time (user + system) over a window,
 * as a share of one CPU; over the budget, stack samples are thinned by
 * halves (one in 2^shift taken, in the kernel, before any copy or unwind:
 * the costliest thing the agent does per event) once two windows in a row
 * were over it (one alone is a spike: a new process's symbols read once),
 * back by halves once the share falls under a quarter of the budget (a half would oscillate: the
 * cost of samples is about linear in their rate). At the thinnest, time
 * still over the budget is counted: what is left (the loops' records) is
 * what the metrics are made of. Pure: times passed in.
 */
#ifndef LS_CPU_BUDGET_H
#define LS_CPU_BUDGET_H

#include <stdbool.h>

#define LS_BUDGET_WINDOW_S	2.0
#define LS_BUDGET_MAX_SHIFT	10	/* 1 sample in 1024 */

struct ls_cpu_budget {
	double share;		/* of one CPU, > 0 */
	double from_cpu_s, from_wall_s;	/* the window's start */
	unsigned shift;
	double over_s;		/* wall time at the thinnest and still over the budget */
	double last_share;	/* the last window's */
	bool was_over;		/* the window before it was over the budget */
};

void ls_cpu_budget_init(struct ls_cpu_budget *b, double share, double cpu_s, double wall_s);
/* At any time; acts once a window has passed. True when shift changed. */
bool ls_cpu_budget_tick(struct ls_cpu_budget *b, double cpu_s, double wall_s);

#endif
