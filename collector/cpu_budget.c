/* SPDX-License-Identifier: BSD-2-Clause */
/* The agent's CPU budget (cpu_budget.h). */
#include "cpu_budget.h"

void ls_cpu_budget_init(struct ls_cpu_budget *b, double share, double cpu_s, double wall_s)
{
	*b = (struct ls_cpu_budget){ .share = share, .from_cpu_s = cpu_s, .from_wall_s = wall_s };
}

bool ls_cpu_budget_tick(struct ls_cpu_budget *b, double cpu_s, double wall_s)
{
	double wall = wall_s - b->from_wall_s, used;
	unsigned was = b->shift;

	if (wall < LS_BUDGET_WINDOW_S)
		return false;
	used = (cpu_s - b->from_cpu_s) / wall;
	b->last_share = used;
	if (used > b->share && b->was_over) {
		if (b->shift < LS_BUDGET_MAX_SHIFT)
			b->shift++;
		else
			b->over_s += wall;
	} else if (used < b->share / 4 && b->shift > 0) {
		b->shift--;
	}
	b->was_over = used > b->share;
	b->from_cpu_s = cpu_s;
	b->from_wall_s = wall_s;
	return b->shift != was;
}
