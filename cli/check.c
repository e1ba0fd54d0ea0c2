/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `loopscope check`: compares the current run(s) with a baseline, metric by
 * metric, and fails (exit 1) only on a regression that is both past its
 * limit and outside sampling noise. The loop threads of one file are merged
 * (histograms add); several files on a side are several runs, compared
 * through their median, so one run slowed by a busy machine cannot decide.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "collector/compare.h"
#include "collector/record.h"
#include "collector/summary_read.h"
#include "viewer-export/text_escape.h"
#include "check.h"
#include "check_causes.h"
#include "cli_util.h"
#include "commands.h"
#include "exitcodes.h"
#include "output.h"

#define CHECK_EXIT_REGRESSION	LS_EXIT_FAIL	/* `check` gives exit 1 this meaning */

/*
 * Applied when neither --max nor --config names a metric (stall_cause aside).
 * The stall limits (stalls, stall_time) then follow stall_cause's, so that one
 * --max stall_cause=+N% loosens or tightens the whole stall verdict.
 */
static const char *const default_limits[] = { "busy.p99=+5%", "busy.mean=+5%", "stalls=+5%",
					      "stall_time=+5%" };

struct check_opts {
	const char *base[CHECK_MAX_FILES], *cur[CHECK_MAX_FILES];
	unsigned nbase, ncur, nlimits, min_tail;
	struct limit limits[CHECK_MAX_LIMITS];
	const char *config, *junit;
	double confidence;
	double cause_limit;	/* stall_cause=+N%: a cause's mean stall may grow this much */
	bool no_causes;
	bool force;		/* compare runs of different workloads */
	struct cli_common common;	/* -v, -q */
};

static const char check_doc[] =
	"Compare summaries (record --summary) and fail on a regression: a CI gate.\n"
	"\n"
	"USAGE: loopscope check --baseline BASE.json [--baseline ...] CURRENT.json [...]\n"
	"                       [--max METRIC=LIMIT ...] [--config FILE] [--junit FILE]\n"
	"\n"
	"EXAMPLES:\n"
	"    loopscope check --baseline base.json cur.json     # default limits\n"
	"    loopscope check --baseline base.json cur.json --max busy.p99=+10% \\\n"
	"        --max syscall.read.p99=2ms --max stalls=0     # relative, absolute, count\n"
	"    loopscope check --baseline b1.json --baseline b2.json cur.json --junit perf.xml\n"
	"\n"
	"METRICS (all loop threads merged): busy.STAT, poll_wait.STAT and\n"
	"syscall.NAME.STAT with STAT = pNN (p50 p90 p99...), p999, p9999, mean, max;\n"
	"stalls, stall_rate (per 1000 iterations), stall_time (the stalls' busy time),\n"
	"sync_file_io (calls), drops.\n"
	"LIMIT: +5% (relative to the baseline), 2ms / 500us / 1s (absolute), 0 (count).\n"
	"Default: busy.p99=+5% busy.mean=+5% stalls=+5% stall_time=+5% (the stall ones\n"
	"follow stall_cause's limit). A quantile or mean fails only when it is past its\n"
	"limit AND the bootstrap confidence interval of the change excludes 0; with\n"
	"several runs a side, the bootstrap resamples runs as well as iterations.\n"
	"Counts and stall_time against a relative limit: past it fails with one run on a\n"
	"side; with several, only if every current run is past every baseline run.\n"
	"STALL CAUSES (unless --no-stall-causes): each cause's mean stall, per run; its\n"
	"limit is stall_cause=+N% (default +5%). One run on a side: past the limit fails;\n"
	"several: only if every current run is past every baseline run. A cause in most\n"
	"current runs and no baseline run is a new stall and fails.\n"
	"\n"
	"Runs of different workloads (labels, record --label, that differ, or no loop\n"
	"process name in common) are refused unless --force.\n"
	"\n"
	"EXIT STATUS: 0 no regression, 1 regression, 2 usage or input error.\n";

enum { OPT_BASELINE = 1000, OPT_MAX, OPT_CONFIG, OPT_JUNIT, OPT_MIN_TAIL, OPT_CONF, OPT_NO_CAUSES,
       OPT_FORCE };

static const struct argp_option check_options[] = {
	{ "baseline", OPT_BASELINE, "FILE", 0, "Baseline summary; repeat for several runs (median)", 0 },
	{ "max", OPT_MAX, "METRIC=LIMIT", 0, "Limit for a metric (repeatable)", 0 },
	{ "config", OPT_CONFIG, "FILE", 0, "Limits, one METRIC = LIMIT per line (# comments)", 0 },
	{ "junit", OPT_JUNIT, "FILE", 0, "Also write the verdicts as JUnit XML", 0 },
	{ "min-tail", OPT_MIN_TAIL, "N", 0, "Samples needed beyond a quantile (default 10)", 0 },
	{ "confidence", OPT_CONF, "C", 0, "Two-sided confidence level (default 0.95)", 0 },
	{ "no-stall-causes", OPT_NO_CAUSES, NULL, 0, "Do not compare the stalls cause by cause", 0 },
	{ "force", OPT_FORCE, NULL, 0, "Compare runs of different workloads (labels, or no process "
	  "name in common)", 0 },
	{},
};

/* Adds l, or replaces the limit of the same metric (the later one wins). */
static int put_limit(struct check_opts *o, const struct limit *l)
{
	unsigned i;

	for (i = 0; i < o->nlimits; i++)
		if (!strcmp(o->limits[i].metric, l->metric))
			break;
	if (i == CHECK_MAX_LIMITS)
		return -E2BIG;
	o->limits[i] = *l;
	o->nlimits += i == o->nlimits;
	return 0;
}

static int add_limit(struct check_opts *o, const char *spec, const char **why)
{
	struct limit l;

	if (parse_limit(spec, &l, why))
		return -EINVAL;
	*why = "too many limits";
	return put_limit(o, &l);
}

static void add_file(struct argp_state *state, const char **files, unsigned *n, const char *f)
{
	if (*n >= CHECK_MAX_FILES)
		cli_usage_error(state, "more than %d files on one side", CHECK_MAX_FILES);
	files[(*n)++] = f;
}

/* --junit may replace no input: not a baseline, a current summary or the config. */
static void check_paths(const struct argp_state *state, const struct check_opts *o)
{
	struct path_use u[2 + 2 * CHECK_MAX_FILES];
	size_t n = 0;
	unsigned i;

	u[n++] = (struct path_use){ o->junit, "--junit", true };
	u[n++] = (struct path_use){ o->config, "--config", false };
	/* "-" reads standard input: no file by that name */
	for (i = 0; i < o->nbase; i++)
		u[n++] = (struct path_use){ strcmp(o->base[i], "-") ? o->base[i] : NULL,
					    "--baseline", false };
	for (i = 0; i < o->ncur; i++)
		u[n++] = (struct path_use){ strcmp(o->cur[i], "-") ? o->cur[i] : NULL,
					    "a current summary", false };
	cli_distinct_paths(state, u, n);
}

static error_t parse_check_opt(int key, char *arg, struct argp_state *state)
{
	struct check_opts *o = state->input;
	const char *why;

	switch (key) {
	case OPT_BASELINE:
		add_file(state, o->base, &o->nbase, arg);
		break;
	case OPT_MAX:
		if (add_limit(o, arg, &why))
			cli_usage_error(state, "--max '%s': %s", arg, why);
		break;
	case OPT_CONFIG:
		o->config = arg;
		break;
	case OPT_JUNIT:
		o->junit = arg;
		break;
	case OPT_MIN_TAIL:
		o->min_tail = (unsigned)cli_number(state, "--min-tail", arg, 1, 1000000);
		break;
	case OPT_CONF:
		o->confidence = cli_number(state, "--confidence", arg, 0.5, 0.999);
		break;
	case OPT_NO_CAUSES:
		o->no_causes = true;
		break;
	case OPT_FORCE:
		o->force = true;
		break;
	case ARGP_KEY_ARG:
		add_file(state, o->cur, &o->ncur, arg);
		break;
	case ARGP_KEY_END:
		if (!o->nbase)
			cli_usage_error(state, "no baseline: give --baseline BASE.json");
		if (!o->ncur)
			cli_usage_error(state, "no current summary: give CURRENT.json");
		if (o->common.quiet && o->common.verbose)
			cli_usage_error(state, "--quiet and --verbose conflict");
		check_paths(state, o);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && strchr(" \t\r\n", e[-1]))
		*--e = '\0';
	return s;
}

#define CHECK_CONFIG_MAX	(1 << 20)

/*
 * The whole config into a new NUL-terminated buffer, or LS_EXIT_USAGE with
 * the reason said. The user names the file, so a symbolic link is fine;
 * but it must be a regular file (O_NONBLOCK: a FIFO cannot hang us, and
 * /dev/zero is refused, not read forever) of at most CHECK_CONFIG_MAX bytes.
 */
static int load_config(const char *path, char **out, size_t *len)
{
	const char *why = NULL;
	size_t n = 0;
	struct stat st;
	char *buf = NULL;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), err = 0;

	if (fd < 0 || fstat(fd, &st)) {
		err = errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = EISDIR;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		why = "not a regular file";
		goto out;
	}
	if (st.st_size > CHECK_CONFIG_MAX) {
		why = "larger than 1 MiB";
		goto out;
	}
	buf = malloc(CHECK_CONFIG_MAX + 1);
	if (!buf) {
		err = ENOMEM;
		goto out;
	}
	/* to the end, not to st_size: the file may be growing */
	while (n <= CHECK_CONFIG_MAX && (got = read(fd, buf + n, CHECK_CONFIG_MAX + 1 - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = errno;
			goto out;
		}
		n += (size_t)got;
	}
	if (n > CHECK_CONFIG_MAX)
		why = "larger than 1 MiB";
	else if (memchr(buf, '\0', n))
		why = "not a text file (a NUL byte)";
out:
	if (fd >= 0)
		close(fd);
	if (err || why) {
		fprintf(stderr, "loopscope check: %s: %s\n", path, why ? why : strerror(err));
		free(buf);
		return LS_EXIT_USAGE;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* Lines "METRIC = LIMIT" of any length, blank lines and # comments. 0 or LS_EXIT_USAGE. */
static int read_config(struct check_opts *o)
{
	char *buf = NULL, *line, *next, *s, *eq, *name;
	const char *why;
	unsigned lineno = 0;
	size_t len = 0, n;
	int rc = load_config(o->config, &buf, &len);

	for (line = buf; !rc && line < buf + len; line = next) {
		next = memchr(line, '\n', (size_t)(buf + len - line));
		if (next)
			*next++ = '\0';
		else
			next = buf + len;
		lineno++;
		why = "expected METRIC = LIMIT";	/* not the previous line's reason */
		line[strcspn(line, "#")] = '\0';
		s = name = trim(line);
		if (!*s)
			continue;
		eq = strchr(s, '=');
		if (eq) {
			/* "METRIC=LIMIT" in place: the limit moves left, over the blanks */
			*eq = '\0';
			name = trim(s);
			n = strlen(name);
			s = trim(eq + 1);
			name[n] = '=';
			memmove(name + n + 1, s, strlen(s) + 1);
		}
		if (!eq || add_limit(o, name, &why)) {
			fprintf(stderr, "loopscope check: %s:%u: %s\n", o->config, lineno, why);
			rc = LS_EXIT_USAGE;
		}
	}
	free(buf);
	return rc;
}

/* stall_cause's limit out of the metrics' list; 0 or LS_EXIT_USAGE. */
static int take_cause_limit(struct check_opts *o)
{
	unsigned i, k = 0;

	for (i = 0; i < o->nlimits; i++) {
		if (strcmp(o->limits[i].metric, "stall_cause")) {
			o->limits[k++] = o->limits[i];
			continue;
		}
		if (!o->limits[i].relative) {
			fprintf(stderr, "loopscope check: stall_cause: the limit is relative, +N%%\n");
			return LS_EXIT_USAGE;
		}
		o->cause_limit = o->limits[i].value;
	}
	o->nlimits = k;
	return 0;
}

/* The limits: defaults, or the config file's with --max on top. */
static int gather_limits(struct check_opts *o)
{
	struct limit cli[CHECK_MAX_LIMITS];
	unsigned ncli = o->nlimits, i;
	const char *why;
	int rc;

	memcpy(cli, o->limits, sizeof(cli));
	o->nlimits = 0;
	if (o->config && (rc = read_config(o)))
		return rc;
	for (i = 0; i < ncli; i++)
		put_limit(o, &cli[i]);
	if ((rc = take_cause_limit(o)))
		return rc;
	if (o->nlimits)
		return 0;
	for (i = 0; i < sizeof(default_limits) / sizeof(*default_limits); i++)
		add_limit(o, default_limits[i], &why);
	for (i = 0; i < o->nlimits; i++)
		if (!strncmp(o->limits[i].metric, "stall", 5))
			o->limits[i].value = o->cause_limit;
	return 0;
}

static void add_comm(struct merged *m, const char *comm)
{
	unsigned i;

	for (i = 0; i < m->ncomms; i++)
		if (!strncmp(m->comms[i], comm, LS_COMM_LEN))
			return;
	if (m->ncomms < CHECK_RUN_COMMS)
		snprintf(m->comms[m->ncomms++], LS_COMM_LEN, "%s", comm);
}

static void merge_file(struct merged *m, const struct summary_file *sf)
{
	const struct ls_loop_summary *l;
	uint32_t i, k;

	m->drops += summary_file_drops(sf);
	if (sf->label)
		snprintf(m->label, sizeof(m->label), "%s", sf->label);
	for (i = 0; i < sf->s.nloops; i++) {
		l = sf->s.loops[i];
		if (l->iterations)
			add_comm(m, ls_loop_proc_comm(&sf->s, l));
		ls_hist_merge(&m->busy, &l->busy);
		ls_hist_merge(&m->poll, &l->poll);
		for (k = 0; k < LS_SYS_MAX; k++)
			if (l->sys[k])
				ls_hist_merge(&m->sys[k], &l->sys[k]->dur);
		m->iterations += l->iterations;
		m->stalls += l->stalls;
		m->stall_ns += l->stall_total_ns;
		m->stall_ns_partial |= l->stall_total_partial;
		m->file_io += l->file_io_calls;
	}
}

/* Loads one side (0 baseline, 1 current), a run per file; 0 or LS_EXIT_USAGE (the reason printed). */
static int load_side(const char *const *files, unsigned n, int which, struct runs *side,
		     struct cause_table *causes)
{
	struct summary_file *sf;
	struct merged *m;
	unsigned i, k;
	int rc;

	side->m = calloc(n, sizeof(*side->m));
	if (!side->m)
		return LS_EXIT_FAIL;
	for (i = 0; i < n; i++) {
		m = &side->m[side->n++];
		ls_hist_init(&m->busy);
		ls_hist_init(&m->poll);
		for (k = 0; k < LS_SYS_MAX; k++)
			ls_hist_init(&m->sys[k]);
		rc = cli_load_summary("check", files[i], &sf);
		if (rc)
			return rc;
		merge_file(m, sf);
		rc = causes ? check_causes_add(causes, which, i, &sf->s) : 0;
		summary_file_free(sf);
		if (rc) {
			fprintf(stderr, "loopscope check: stall causes: %s\n", strerror(-rc));
			return LS_EXIT_FAIL;
		}
	}
	return 0;
}

static uint64_t side_sum(const struct runs *s, bool drops)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < s->n; i++)
		v += drops ? s->m[i].drops : s->m[i].iterations;
	return v;
}

static unsigned count_verdict(const struct row *rows, unsigned n, enum verdict v)
{
	unsigned i, k = 0;

	for (i = 0; i < n; i++)
		k += rows[i].v == v;
	return k;
}

/* The verdicts: metrics rows[0..n), then causes rows[n..n + ncauses). */
static void print_summary(const struct check_opts *o, const struct row *rows, unsigned n,
			  unsigned ncauses, const struct runs *b, const struct runs *c)
{
	unsigned i, regressions = count_verdict(rows, n + ncauses, V_REGRESSION);
	unsigned few = count_verdict(rows, n, V_FEW);
	bool color = cli_color(STDOUT_FILENO);

	if (!o->common.quiet) {
		check_print_table(stdout, rows, n, o->confidence, color);
		check_print_causes(stdout, rows + n, ncauses, color);
		if (o->common.verbose)
			printf("baseline: %u file(s), %llu iterations; current: %u file(s), %llu "
			       "iterations\n", o->nbase, (unsigned long long)side_sum(b, false), o->ncur,
			       (unsigned long long)side_sum(c, false));
	} else {
		for (i = 0; i < n; i++)
			if (rows[i].v == V_REGRESSION)
				check_print_table(stdout, &rows[i], 1, o->confidence, color);
		for (i = n; i < n + ncauses; i++)
			if (rows[i].v == V_REGRESSION)
				check_print_causes(stdout, &rows[i], 1, color);
	}
	if (side_sum(b, true) || side_sum(c, true))
		fprintf(stderr, "loopscope check: WARNING: %s lost data (%llu drops): the comparison "
			"may be off\n", side_sum(b, true) ? "the baseline" : "the current run",
			(unsigned long long)(side_sum(b, true) ? side_sum(b, true) : side_sum(c, true)));
	if (o->nbase == 1 || o->ncur == 1)
		printf("check: one run on a side: run-to-run noise is not measured, so the verdict is "
		       "weaker than with 3 or more runs a side\n");
	if (regressions)
		printf("check: FAIL: %u regression%s in %u metric%s and %u stall cause%s\n", regressions,
		       regressions == 1 ? "" : "s", n, n == 1 ? "" : "s", ncauses, ncauses == 1 ? "" : "s");
	else
		printf("check: pass: %u metric%s and %u stall cause%s within limits%s\n", n,
		       n == 1 ? "" : "s", ncauses, ncauses == 1 ? "" : "s",
		       few ? " (some not compared: too few samples)" : "");
}

static int eval_metrics(const struct check_opts *o, const struct runs *b, const struct runs *c,
			struct row *rows)
{
	struct eval_opts eo = { .min_tail = o->min_tail, .confidence = o->confidence };
	unsigned i;
	int err;

	for (i = 0; i < o->nlimits; i++) {
		rows[i].lim = o->limits[i];
		err = check_eval(b, c, &eo, &rows[i]);
		if (err) {
			fprintf(stderr, "loopscope check: %s: %s\n", rows[i].lim.metric, strerror(-err));
			return LS_EXIT_FAIL;
		}
	}
	return 0;
}

static int run_check(struct check_opts *o)
{
	static struct row rows[CHECK_MAX_LIMITS + CHECK_MAX_CAUSES];
	struct cause_table causes = { 0 };
	struct runs b = { 0 }, c = { 0 };
	unsigned ncauses = 0;
	char why[LS_ESC_SIZE(2 * CHECK_LABEL_LEN) + 64];
	int rc, err;

	memset(rows, 0, sizeof(rows));
	rc = load_side(o->base, o->nbase, 0, &b, o->no_causes ? NULL : &causes);
	if (!rc)
		rc = load_side(o->cur, o->ncur, 1, &c, o->no_causes ? NULL : &causes);
	if (!rc && !o->force && check_same_workload(&b, &c, why, sizeof(why))) {
		fprintf(stderr, "loopscope check: not the same workload: %s (--force compares them "
			"anyway)\n", why);
		rc = LS_EXIT_USAGE;
	}
	if (!rc)
		rc = eval_metrics(o, &b, &c, rows);
	if (!rc)
		ncauses = check_causes_eval(&causes, o->nbase, o->ncur, o->cause_limit, rows + o->nlimits,
					    CHECK_MAX_CAUSES);
	if (!rc && causes.untracked)
		fprintf(stderr, "loopscope check: %u stall causes past the %d followed were not compared\n",
			causes.untracked, CHECK_MAX_CAUSES);
	if (!rc)
		print_summary(o, rows, o->nlimits, ncauses, &b, &c);
	if (!rc && o->junit && (err = check_write_junit(o->junit, rows, o->nlimits + ncauses))) {
		fprintf(stderr, "loopscope check: cannot write %s: %s\n", o->junit, output__strerror(err));
		rc = LS_EXIT_OUTPUT;
	}
	check_causes_free(&causes);
	free(b.m);
	free(c.m);
	if (rc)
		return rc;
	return count_verdict(rows, o->nlimits + ncauses, V_REGRESSION) ? CHECK_EXIT_REGRESSION : LS_EXIT_OK;
}

int cmd_check(int argc, char **argv)
{
	struct check_opts o = { .min_tail = 10, .confidence = 0.95, .cause_limit = 0.05 };
	const struct cli_command cmd = {
		check_options, parse_check_opt, "CURRENT.json...", check_doc,
		"Also print sample counts per metric", "Print only regressions and the verdict line",
	};
	int rc;

	if (cli_parse(&cmd, argc, argv, &o, &o.common))
		return LS_EXIT_USAGE;
	rc = gather_limits(&o);
	return rc ? rc : run_check(&o);
}
