/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `loopscope check`: metrics, limits and verdicts, shared by the command
 * (cli/check.c) and its output (cli/check_out.c).
 */
#ifndef LS_CLI_CHECK_H
#define LS_CLI_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "collector/hist.h"
#include "collector/record.h"
#include "collector/summary_read.h"

#define CHECK_MAX_FILES		32
#define CHECK_MAX_LIMITS	64
#define CHECK_METRIC_LEN	48

enum verdict {
	V_OK,		/* within the limit */
	V_IMPROVED,	/* better beyond the limit, and beyond noise */
	V_NOISE,	/* past the limit, but the interval includes no change */
	V_FEW,		/* too few samples to compare: never fails the gate */
	V_REGRESSION,	/* past the limit, and the interval excludes no change */
};

struct limit {
	char metric[CHECK_METRIC_LEN];
	bool relative;		/* value is a fraction of the baseline (0.05 = +5%) */
	double value;		/* relative: fraction; absolute: ns or a count */
};

#define CHECK_CAUSE_TEXT	200

struct row {
	struct limit lim;
	char cause[CHECK_CAUSE_TEXT];	/* a stall cause's row (check_causes.h): its frames, the target's */
	const char *rule;		/* what decided a cause's or a per-run metric's verdict */
	bool duration;		/* values are ns (else counts or rates) */
	bool has_ci;
	double base, cur, change, lo, hi;
	double spread_base, spread_cur;	/* run to run: (most - least) / median; -1 = one run */
	uint64_t nbase, ncur, nmin;	/* samples of the smallest run per side */
	enum verdict v;
};

enum src { S_BUSY, S_POLL, S_SYS, S_STALLS, S_STALL_RATE, S_FILE_IO, S_DROPS, S_STALL_CAUSE,
	   S_STALL_TIME };
/* ST_TOTAL: a duration summed over a run (stall_time), judged per run like a count. */
enum stat_kind { ST_QUANTILE, ST_MEAN, ST_MAX, ST_COUNT, ST_TOTAL };

struct metric {
	enum src src;
	enum stat_kind stat;
	unsigned sys;		/* enum ls_syscall for S_SYS */
	double q;		/* ST_QUANTILE */
};

#define CHECK_RUN_COMMS		8	/* process names of a run's loops kept, for the workload check */
#define CHECK_LABEL_LEN		(SUMMARY_LABEL_MAX + 1)

/* One run (file): its loop threads merged. */
struct merged {
	struct ls_hist busy, poll, sys[LS_SYS_MAX];
	uint64_t iterations, stalls, file_io, drops;
	uint64_t stall_ns;		/* the stalls' busy time */
	bool stall_ns_partial;		/* some loop's file had no stall_ns and more stalls than it lists */
	char label[CHECK_LABEL_LEN];	/* record --label, "" = none */
	unsigned ncomms;
	char comms[CHECK_RUN_COMMS][LS_COMM_LEN];	/* its loops' processes, distinct */
};

/* One side of the comparison: its runs, compared through their median. */
struct runs {
	struct merged *m;
	unsigned n;
};

struct eval_opts {
	unsigned min_tail;	/* samples needed beyond a quantile */
	double confidence;
};

/* 0 or -EINVAL. */
int parse_metric(const char *name, struct metric *m);
/* "METRIC=LIMIT"; on -EINVAL *why says what is wrong. */
int parse_limit(const char *spec, struct limit *l, const char **why);
/* Fills r (r->lim set by the caller). 0 or -ENOMEM. */
int check_eval(const struct runs *b, const struct runs *c, const struct eval_opts *o,
	       struct row *r);

/* 0: one workload; 1: not (why says how, escaped), check_workload.c. */
int check_same_workload(const struct runs *b, const struct runs *c, char *why, size_t sz);

/* (most - least) / median of n sorted values; -1 with one run or a median of 0. */
double check_spread(const double *sorted, unsigned n, double median);
const char *verdict_name(enum verdict v);
/* The terminal colour of a verdict: red regression, yellow noise, green the rest. */
const char *check_verdict_colour(enum verdict v);
/* A row's run-to-run spread per side, "4.1/2.7%", "-/2.7%" or "-". */
const char *check_fmt_spread(char *buf, size_t sz, const struct row *r);
void check_print_table(FILE *f, const struct row *rows, unsigned n, double conf, bool color);
/* 0 or -errno. */
int check_write_junit(const char *path, const struct row *rows, unsigned n);

#endif
