/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * collector/compare: the statistics behind `loopscope check`, on synthetic
 * histograms with known answers.
 */
#include <errno.h>
#include "../harness.h"
#include "collector/compare.h"

#define US 1000ull

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* n values spread uniformly over [lo, lo + width) ns, times factor. */
static void fill(struct ls_hist *h, unsigned n, uint64_t lo, uint64_t width, double factor,
		 uint64_t seed)
{
	unsigned i;

	ls_hist_init(h);
	for (i = 0; i < n; i++)
		ls_hist_add(h, (uint64_t)((double)(lo + lcg(&seed) % width) * factor));
}

TEST(check_same_distribution_is_no_change)
{
	static struct ls_hist a, b;
	struct cmp_result r;

	fill(&a, 5000, 100 * US, 900 * US, 1.0, 1);
	fill(&b, 5000, 100 * US, 900 * US, 1.0, 2);	/* same law, other sample */
	ASSERT_EQ(cmp_quantile(&a, &b, 0.99, NULL, &r), 0);
	if (!(r.lo < 0 && r.hi > 0))
		LS_FAIL("p99 interval [%g, %g] should contain 0", r.lo, r.hi);
	ASSERT_NEAR(r.change, 0, 0.02);
	ASSERT_EQ(cmp_mean(&a, &b, NULL, &r), 0);
	if (!(r.lo < 0 && r.hi > 0))
		LS_FAIL("mean interval [%g, %g] should contain 0", r.lo, r.hi);
}

TEST(check_ten_percent_slower_is_seen)
{
	static struct ls_hist a, b;
	struct cmp_result r;

	fill(&a, 5000, 100 * US, 900 * US, 1.0, 1);
	fill(&b, 5000, 100 * US, 900 * US, 1.1, 2);
	ASSERT_EQ(cmp_quantile(&a, &b, 0.99, NULL, &r), 0);
	ASSERT_NEAR(r.change, 0.10, 0.03);
	if (!(r.lo > 0.05 && r.hi < 0.15))
		LS_FAIL("p99 interval [%g, %g] should be around +10%%", r.lo, r.hi);
	ASSERT_EQ(cmp_quantile(&a, &b, 0.5, NULL, &r), 0);
	ASSERT(r.lo > 0.05);
	ASSERT_EQ(cmp_mean(&a, &b, NULL, &r), 0);
	ASSERT_NEAR(r.change, 0.10, 0.02);
	ASSERT(r.lo > 0.05);
}

TEST(check_few_samples_give_wide_intervals)
{
	static struct ls_hist a, b;
	struct cmp_result r;

	/* 30 samples: p99 is the maximum, a 10% shift is not distinguishable */
	fill(&a, 30, 100 * US, 900 * US, 1.0, 3);
	fill(&b, 30, 100 * US, 900 * US, 1.1, 4);
	ASSERT_EQ(cmp_quantile(&a, &b, 0.99, NULL, &r), 0);
	if (!(r.lo < 0))
		LS_FAIL("interval [%g, %g] should include no change", r.lo, r.hi);
	ASSERT_U64_EQ(cmp_min_samples(0.99, 10), 1000);
	ASSERT_U64_EQ(cmp_min_samples(0.5, 10), 20);
	ASSERT_U64_EQ(cmp_min_samples(0.9, 10), 100);
}

TEST(check_is_reproducible_and_rejects_empty)
{
	static struct ls_hist a, b, empty;
	struct cmp_result r1, r2;

	fill(&a, 2000, 10 * US, 90 * US, 1.0, 5);
	fill(&b, 2000, 10 * US, 90 * US, 1.02, 6);
	ASSERT_EQ(cmp_quantile(&a, &b, 0.9, NULL, &r1), 0);
	ASSERT_EQ(cmp_quantile(&a, &b, 0.9, NULL, &r2), 0);
	ASSERT(r1.lo == r2.lo && r1.hi == r2.hi);
	ls_hist_init(&empty);
	ASSERT_EQ(cmp_quantile(&a, &empty, 0.9, NULL, &r1), -EINVAL);
	ASSERT_EQ(cmp_mean(&empty, &b, NULL, &r1), -EINVAL);
	ASSERT_EQ(cmp_quantile(&a, &b, 1.0, NULL, &r1), -EINVAL);
}

TEST(check_median_of_runs_ignores_one_slow_run)
{
	static struct ls_hist b[3], c[3];
	const struct ls_hist *pb[3] = { &b[0], &b[1], &b[2] }, *pc[3] = { &c[0], &c[1], &c[2] };
	struct cmp_result r;
	unsigned i;

	for (i = 0; i < 3; i++) {
		fill(&b[i], 2000, 100 * US, 900 * US, 1.0, 10 + i);
		fill(&c[i], 2000, 100 * US, 900 * US, i == 1 ? 1.3 : 1.0, 20 + i);
	}
	ASSERT_EQ(cmp_quantile_runs(pb, 3, pc, 3, 0.99, NULL, &r), 0);
	ASSERT_NEAR(r.change, 0, 0.03);		/* one run 30% slower does not count */
	ASSERT(r.lo < 0.03);
	for (i = 0; i < 3; i++)
		fill(&c[i], 2000, 100 * US, 900 * US, 1.1, 30 + i);
	ASSERT_EQ(cmp_quantile_runs(pb, 3, pc, 3, 0.99, NULL, &r), 0);
	ASSERT(r.lo > 0.05);			/* all three 10% slower: seen */
	ASSERT_EQ(cmp_mean_runs(pb, 3, pc, 3, NULL, &r), 0);
	ASSERT_NEAR(r.change, 0.10, 0.02);
	ASSERT_EQ(cmp_quantile_runs(pb, 0, pc, 3, 0.99, NULL, &r), -EINVAL);
}

TEST(check_run_to_run_spread_widens_the_interval)
{
	static struct ls_hist b[3], c[3];
	const struct ls_hist *pb[3] = { &b[0], &b[1], &b[2] }, *pc[3] = { &c[0], &c[1], &c[2] };
	static const double bf[3] = { 1.0, 1.1, 1.2 }, cf[3] = { 1.1, 1.2, 1.3 };
	struct cmp_result r;
	unsigned i;

	/*
	 * Each run has 5000 iterations, so within a run p99 and the mean are
	 * known to a percent or two; the runs themselves spread by 20%. The
	 * medians differ by +9%, which resampling iterations alone would call
	 * certain; resampling runs too, the interval must hold no change.
	 */
	for (i = 0; i < 3; i++) {
		fill(&b[i], 5000, 100 * US, 900 * US, bf[i], 40 + i);
		fill(&c[i], 5000, 100 * US, 900 * US, cf[i], 50 + i);
	}
	ASSERT_EQ(cmp_quantile_runs(pb, 3, pc, 3, 0.99, NULL, &r), 0);
	ASSERT_NEAR(r.change, 0.09, 0.03);
	if (!(r.lo < 0 && r.hi > 0.09))
		LS_FAIL("p99 interval [%g, %g] should span the runs' spread", r.lo, r.hi);
	ASSERT_EQ(cmp_mean_runs(pb, 3, pc, 3, NULL, &r), 0);
	if (!(r.lo < 0 && r.hi > 0.09))
		LS_FAIL("mean interval [%g, %g] should span the runs' spread", r.lo, r.hi);
}
