/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The metrics of `loopscope check`: names, limits, and the verdict of one
 * metric on merged baseline and current histograms.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collector/compare.h"
#include "collector/record.h"
#include "check.h"

/* p50, p90, p99: two digits of percent; p999, p9999: 99.9 %, 99.99 %. */
static int parse_quantile(const char *s, double *q)
{
	double scale = 1;
	unsigned long v = 0;
	size_t i, n = strlen(s);

	if (s[0] != 'p' || n < 3 || n > 7 || (n > 3 && strncmp(s + 1, "99", 2)))
		return -EINVAL;
	for (i = 1; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
		scale *= 10;
	}
	*q = (double)v / scale;
	return *q > 0 && *q < 1 ? 0 : -EINVAL;
}

static int parse_stat(const char *s, struct metric *m)
{
	if (!strcmp(s, "mean"))
		m->stat = ST_MEAN;
	else if (!strcmp(s, "max"))
		m->stat = ST_MAX;
	else if (!parse_quantile(s, &m->q))
		m->stat = ST_QUANTILE;
	else
		return -EINVAL;
	return 0;
}

int parse_metric(const char *name, struct metric *m)
{
	static const char *const counts[] = { "stalls", "stall_rate", "sync_file_io", "drops" };
	static const enum src count_src[] = { S_STALLS, S_STALL_RATE, S_FILE_IO, S_DROPS };
	char sys[CHECK_METRIC_LEN];
	const char *dot;
	unsigned i;

	memset(m, 0, sizeof(*m));
	if (!strcmp(name, "stall_cause")) {	/* its limit only: check_causes.c judges causes */
		m->src = S_STALL_CAUSE;
		m->stat = ST_COUNT;
		return 0;
	}
	if (!strcmp(name, "stall_time")) {
		m->src = S_STALL_TIME;
		m->stat = ST_TOTAL;
		return 0;
	}
	for (i = 0; i < 4; i++)
		if (!strcmp(name, counts[i])) {
			m->src = count_src[i];
			m->stat = ST_COUNT;
			return 0;
		}
	if (!strncmp(name, "busy.", 5))
		return parse_stat(name + 5, m);
	if (!strncmp(name, "poll_wait.", 10)) {
		m->src = S_POLL;
		return parse_stat(name + 10, m);
	}
	dot = strncmp(name, "syscall.", 8) ? NULL : strchr(name + 8, '.');
	if (!dot || (size_t)(dot - name - 8) >= sizeof(sys))
		return -EINVAL;
	snprintf(sys, sizeof(sys), "%.*s", (int)(dot - name - 8), name + 8);
	for (m->sys = 1; m->sys < LS_SYS_MAX && strcmp(ls_syscall_name(m->sys), sys); m->sys++)
		;
	m->src = S_SYS;
	return m->sys < LS_SYS_MAX ? parse_stat(dot + 1, m) : -EINVAL;
}

static bool is_duration(const struct metric *m)
{
	return m->stat != ST_COUNT;
}

/* "+5%" / "5%" relative; "2ms" "500us" "1s" "100ns" absolute; "3" a count. */
int parse_limit(const char *spec, struct limit *l, const char **why)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
	};
	const char *eq = strchr(spec, '=');
	struct metric m;
	char *end;
	unsigned i;

	*why = "expected METRIC=LIMIT";
	if (!eq || eq == spec)
		return -EINVAL;
	*why = "unknown metric (see loopscope help check)";
	if ((size_t)(eq - spec) >= sizeof(l->metric))
		return -EINVAL;
	snprintf(l->metric, sizeof(l->metric), "%.*s", (int)(eq - spec), spec);
	*why = "unknown metric (see loopscope help check)";
	if (parse_metric(l->metric, &m))
		return -EINVAL;
	*why = "bad limit: expected +N%, a duration such as 2ms, or a count";
	errno = 0;
	l->value = strtod(eq + 1, &end);
	if (errno || end == eq + 1 || l->value < 0 || l->value > 1e15)
		return -EINVAL;
	l->relative = !strcmp(end, "%");
	if (l->relative) {
		l->value /= 100;
		return 0;
	}
	for (i = 0; i < 4 && is_duration(&m); i++)
		if (!strcmp(end, units[i].unit)) {
			l->value *= units[i].ns;
			return 0;
		}
	*why = is_duration(&m) ? "a duration limit needs a unit (ns, us, ms, s) or %" :
	       "a count limit is a plain number or N%";
	return *end || is_duration(&m) ? -EINVAL : 0;
}

static double rel_change(double base, double cur)
{
	return base == cur ? 0 : (cur + 1) / (base + 1) - 1;	/* +1: a 0 baseline divides */
}

static const struct ls_hist *hist_of(const struct merged *s, const struct metric *m)
{
	return m->src == S_BUSY ? &s->busy : m->src == S_POLL ? &s->poll : &s->sys[m->sys];
}

static double count_of(const struct merged *s, const struct metric *m)
{
	switch (m->src) {
	case S_STALLS:
		return (double)s->stalls;
	case S_STALL_RATE:
		return s->iterations ? 1000.0 * (double)s->stalls / (double)s->iterations : 0;
	case S_FILE_IO:
		return (double)s->file_io;
	case S_STALL_TIME:
		return (double)s->stall_ns;
	default:
		return (double)s->drops;
	}
}

/* (most - least) / median of n sorted values; -1 with one run or a median of 0 (no spread to say). */
double check_spread(const double *sorted, unsigned n, double median)
{
	if (n < 2 || median <= 0)
		return -1;
	return (sorted[n - 1] - sorted[0]) / median;
}

/* A side's per-run values: their median, least, most and spread, and the fewest samples of a run. */
struct side_vals {
	double median, least, most, spread;
	uint64_t fewest;
};

static bool per_run(const struct metric *m)
{
	return m->stat == ST_COUNT || m->stat == ST_TOTAL;
}

static void side_value(const struct runs *s, const struct metric *m, struct side_vals *sv)
{
	uint64_t *fewest = &sv->fewest;
	double v[CMP_MAX_RUNS];
	const struct ls_hist *h;
	unsigned i;

	*fewest = UINT64_MAX;
	for (i = 0; i < s->n; i++) {
		h = hist_of(&s->m[i], m);
		if (per_run(m)) {
			v[i] = count_of(&s->m[i], m);
			*fewest = s->m[i].iterations < *fewest ? s->m[i].iterations : *fewest;
			continue;
		}
		*fewest = h->count < *fewest ? h->count : *fewest;
		v[i] = m->stat == ST_MEAN ? (h->count ? (double)h->sum / (double)h->count : 0) :
		       m->stat == ST_MAX ? (double)h->max : (double)ls_hist_quantile(h, m->q);
	}
	sv->median = cmp_median(v, s->n);	/* sorts v */
	sv->least = s->n ? v[0] : 0;
	sv->most = s->n ? v[s->n - 1] : 0;
	sv->spread = check_spread(v, s->n, sv->median);
}

/*
 * Past the limit is not enough to fail: when there is an interval, it must
 * also exclude "no change", or the difference may be the runner's noise.
 */
static enum verdict judge(const struct row *r)
{
	bool past = r->lim.relative ? r->change > r->lim.value : r->cur > r->lim.value;

	if (!r->lim.relative)
		return past ? V_REGRESSION : V_OK;
	if (past)
		return !r->has_ci || r->lo > 0 ? V_REGRESSION : V_NOISE;
	if (r->change < -r->lim.value && (!r->has_ci || r->hi < 0))
		return V_IMPROVED;
	return V_OK;
}

static int eval_dist(const struct runs *b, const struct runs *c, const struct metric *m,
		     const struct eval_opts *o, struct row *r)
{
	const struct ls_hist *hb[CMP_MAX_RUNS], *hc[CMP_MAX_RUNS];
	struct cmp_opts co = { .confidence = o->confidence };
	struct cmp_result cr;
	unsigned i;
	int err = 0;

	for (i = 0; i < b->n; i++)
		hb[i] = hist_of(&b->m[i], m);
	for (i = 0; i < c->n; i++)
		hc[i] = hist_of(&c->m[i], m);
	r->nmin = m->stat == ST_QUANTILE ? cmp_min_samples(m->q, o->min_tail) :
		  m->stat == ST_MEAN ? 30 : 1;
	if (r->nbase < r->nmin || r->ncur < r->nmin) {
		r->v = V_FEW;
		return 0;
	}
	if (m->stat == ST_QUANTILE)
		err = cmp_quantile_runs(hb, b->n, hc, c->n, m->q, &co, &cr);
	else if (m->stat == ST_MEAN)
		err = cmp_mean_runs(hb, b->n, hc, c->n, &co, &cr);
	if (err)
		return err;
	if (m->stat != ST_MAX) {
		r->has_ci = true;
		r->lo = cr.lo;
		r->hi = cr.hi;
	}
	r->v = judge(r);
	return 0;
}

static bool any_partial(const struct runs *s)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->m[i].stall_ns_partial)
			return true;
	return false;
}

/*
 * A count or a run's total against a relative limit, like a stall cause:
 * exact with one run on a side; with several, it fails only when every
 * current run is past every baseline run (a run-level noise rule: no
 * iteration-level bootstrap models how often a stall comes).
 */
static void judge_per_run(struct row *r, const struct side_vals *b, const struct side_vals *c,
			  unsigned nb, unsigned nc)
{
	bool apart;

	if (nb == 1 || nc == 1) {
		r->rule = "exact: one run on a side";
		r->v = judge(r);
		return;
	}
	r->rule = "every run past the other side's";
	r->v = judge(r);
	apart = r->v == V_REGRESSION ? c->least > b->most : r->v == V_IMPROVED ? c->most < b->least : true;
	if (!apart)
		r->v = V_NOISE;
}

int check_eval(const struct runs *b, const struct runs *c, const struct eval_opts *o,
	       struct row *r)
{
	struct side_vals sb, sc;
	struct metric m;

	if (parse_metric(r->lim.metric, &m) || b->n > CMP_MAX_RUNS || c->n > CMP_MAX_RUNS)
		return -EINVAL;
	r->duration = is_duration(&m);
	side_value(b, &m, &sb);
	side_value(c, &m, &sc);
	r->base = sb.median, r->cur = sc.median;
	r->nbase = sb.fewest, r->ncur = sc.fewest;
	r->spread_base = sb.spread, r->spread_cur = sc.spread;
	r->change = rel_change(r->base, r->cur);
	if (!per_run(&m))
		return eval_dist(b, c, &m, o, r);
	if (m.src == S_STALL_TIME && (any_partial(b) || any_partial(c))) {
		r->rule = "an older summary without stall_ns lists only its longest stalls";
		r->v = V_FEW;
		return 0;
	}
	if (r->lim.relative)
		judge_per_run(r, &sb, &sc, b->n, c->n);
	else
		r->v = judge(r);
	return 0;
}
