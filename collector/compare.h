/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * compare: is a distribution of the current run worse than the baseline's,
 * beyond sampling noise? Works on the log-linear histograms alone, so it
 * needs no raw samples and runs can be merged first.
 *
 * Quantiles: a bootstrap of the ratio current/baseline. The k-th smallest of
 * n values resampled from a histogram is F^-1(U(k)) with U(k) ~ Beta(k,
 * n+1-k), so one replicate costs two Beta draws and two bucket lookups, not
 * n draws: 2000 replicates take well under a millisecond.
 * Means: the same with the normal law of a mean of n values (CLT).
 * The generator is seeded, so a verdict is reproducible run to run.
 */
#ifndef LS_COMPARE_H
#define LS_COMPARE_H

#include <stdbool.h>
#include <stdint.h>
#include "hist.h"
#include "model.h"

struct cmp_opts {
	unsigned replicates;		/* 0: 2000 */
	double confidence;		/* two-sided, 0: 0.95 */
	uint64_t seed;			/* 0: a fixed default */
};

struct cmp_result {
	double base, cur;		/* point estimates, ns */
	double change;			/* cur / base - 1; 0 when both are 0 */
	double lo, hi;			/* confidence interval of change */
};

/* q in (0, 1). -EINVAL if either histogram is empty. */
int cmp_quantile(const struct ls_hist *base, const struct ls_hist *cur, double q,
		 const struct cmp_opts *o, struct cmp_result *r);
int cmp_mean(const struct ls_hist *base, const struct ls_hist *cur, const struct cmp_opts *o,
	     struct cmp_result *r);

/*
 * Several runs per side: the statistic of a side is the median of its runs',
 * so one run slowed by a busy machine moves the estimate little. The
 * bootstrap is hierarchical: each replicate draws the runs with replacement
 * and then each drawn run's values, so the interval holds the run-to-run
 * spread as well as the sampling noise within runs. At most CMP_MAX_RUNS.
 */
#define CMP_MAX_RUNS	32
int cmp_quantile_runs(const struct ls_hist *const *base, unsigned nb,
		      const struct ls_hist *const *cur, unsigned nc, double q,
		      const struct cmp_opts *o, struct cmp_result *r);
int cmp_mean_runs(const struct ls_hist *const *base, unsigned nb,
		  const struct ls_hist *const *cur, unsigned nc, const struct cmp_opts *o,
		  struct cmp_result *r);
/* The median of n values (sorts v). */
double cmp_median(double *v, unsigned n);

/*
 * Which loop of a run is which loop of the baseline (compare_match.c).
 * Indexes into the summaries' loops; -1 = no counterpart on that side.
 */
struct cmp_loop_pair {
	int32_t base;
	int32_t cur;
};

/*
 * Pairs the loops that iterated. When both sides' loops are of the same
 * pids (a baseline of the same processes), by tid. Otherwise (another run:
 * other pids) by (the process's comm, the process's rank by pid among the
 * processes of that comm, the loop's rank by tid within its process), so
 * the second nginx worker's first loop meets the second worker's first
 * loop; the merged entries (exited loops) meet each other. Pairs of base's
 * loops first, in its order, then the run's unpaired loops. Returns the
 * pairs written (at most max).
 */
unsigned cmp_match_loops(const struct ls_summary *base, const struct ls_summary *cur,
			 struct cmp_loop_pair *out, unsigned max);

/* Samples a quantile needs: at least min_tail values beyond it (and 20 in all). */
uint64_t cmp_min_samples(double q, unsigned min_tail);

#endif
