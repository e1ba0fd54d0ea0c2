/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `loopscope check`'s stall causes: the kept stalls of each run grouped by
 * cause (the summary's "stall_causes"), the same cause found across runs
 * and sides, and a verdict per cause. Stalls are rare, large and mostly
 * deterministic, so they are judged by their own durations, not by a
 * bootstrap over iterations: one run a side is exact (past the limit
 * fails); several runs a side fail only when every current run's mean
 * stall is past every baseline run's. A cause in most current runs and in
 * no baseline run is a new stall (fails); one gone is an improvement.
 */
#ifndef LS_CLI_CHECK_CAUSES_H
#define LS_CLI_CHECK_CAUSES_H

#include "collector/cause.h"
#include "collector/model.h"
#include "check.h"

#define CHECK_MAX_CAUSES	64	/* causes followed across all runs; more are counted apart */

struct cause_class {
	struct ls_cause rep;		/* the first seen: frames and offcpu */
	uint32_t count[2][CHECK_MAX_FILES];	/* [side: 0 baseline, 1 current][run] */
	uint64_t total_ns[2][CHECK_MAX_FILES];
};

struct cause_table {
	struct cause_class *c;
	unsigned n;
	unsigned untracked;		/* causes past CHECK_MAX_CAUSES */
};

/* The causes of run `run` of side (0 baseline, 1 current). 0 or -ENOMEM. */
int check_causes_add(struct cause_table *t, int side, unsigned run, const struct ls_summary *s);
/* One row per cause into rows[0..max): verdicts under limit (relative); returns the rows written. */
unsigned check_causes_eval(const struct cause_table *t, unsigned nb, unsigned nc, double limit,
			   struct row *rows, unsigned max);
void check_causes_free(struct cause_table *t);
/* The causes' table (rows with a cause). */
void check_print_causes(FILE *f, const struct row *rows, unsigned n, bool color);

#endif
