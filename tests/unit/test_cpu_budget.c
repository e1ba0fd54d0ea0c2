/* SPDX-License-Identifier: BSD-2-Clause */
/* collector/cpu_budget.c: thinning samples to keep the agent in its CPU budget. */
#include "../harness.h"
#include "collector/cpu_budget.h"

TEST(cpu_budget_thins_by_halves_over_budget_and_back_under_a_quarter)
{
	struct ls_cpu_budget b;
	double cpu = 0, wall = 0;

	ls_cpu_budget_init(&b, 0.01, cpu, wall);
	ASSERT(!ls_cpu_budget_tick(&b, 0.5, 1.0));	/* under a window: nothing yet */
	ASSERT(!ls_cpu_budget_tick(&b, cpu += 0.3, wall += 2));	/* 15%: one window, a spike */
	ASSERT(!ls_cpu_budget_tick(&b, cpu += 0.002, wall += 2));	/* 0.1%: it was */
	ASSERT_EQ(b.shift, 0u);
	ASSERT(!ls_cpu_budget_tick(&b, cpu += 0.08, wall += 2));	/* 4%: over 1%, once */
	ASSERT(ls_cpu_budget_tick(&b, cpu += 0.08, wall += 2));	/* twice: thinned */
	ASSERT_EQ(b.shift, 1u);
	ASSERT(ls_cpu_budget_tick(&b, cpu += 0.04, wall += 2));	/* 2%: still over */
	ASSERT_EQ(b.shift, 2u);
	ASSERT(!ls_cpu_budget_tick(&b, cpu += 0.01, wall += 2));	/* 0.5%: in, not under a quarter */
	ASSERT_EQ(b.shift, 2u);
	ASSERT(ls_cpu_budget_tick(&b, cpu += 0.004, wall += 2));	/* 0.2%: one step back */
	ASSERT_EQ(b.shift, 1u);
	ASSERT_NEAR(b.last_share, 0.002, 1e-9);
	ASSERT_NEAR(b.over_s, 0, 1e-9);
}

TEST(cpu_budget_at_the_thinnest_counts_the_time_still_over)
{
	struct ls_cpu_budget b;
	double cpu = 0, wall = 0;
	int i;

	ls_cpu_budget_init(&b, 0.01, cpu, wall);
	ASSERT(!ls_cpu_budget_tick(&b, cpu += 0.2, wall += 2));
	for (i = 0; i < LS_BUDGET_MAX_SHIFT; i++)
		ASSERT(ls_cpu_budget_tick(&b, cpu += 0.2, wall += 2));	/* 10%, whatever is shed */
	ASSERT_EQ(b.shift, (unsigned)LS_BUDGET_MAX_SHIFT);
	ASSERT(!ls_cpu_budget_tick(&b, cpu += 0.2, wall += 2));
	ASSERT(!ls_cpu_budget_tick(&b, cpu += 0.2, wall += 2.5));
	ASSERT_NEAR(b.over_s, 4.5, 1e-9);
}
