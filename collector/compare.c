/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bootstrap comparison of two histograms (see compare.h). Random numbers
 * come from splitmix64; normals from the polar method; Gamma(a >= 1) from
 * Marsaglia and Tsang (ACM TOMS 26(3), 2000); Beta(a, b) = X / (X + Y).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "compare.h"

#define DEFAULT_REPLICATES	2000
#define DEFAULT_SEED		0x6c6f6f7073636f70ull	/* "loopscop" */

struct rng {
	uint64_t s;
};

static uint64_t next_u64(struct rng *g)
{
	uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in (0, 1): never 0, so its logarithm is finite. */
static double uniform(struct rng *g)
{
	return ((double)(next_u64(g) >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(struct rng *g)
{
	double u, v, s;

	do {
		u = 2 * uniform(g) - 1;
		v = 2 * uniform(g) - 1;
		s = u * u + v * v;
	} while (s >= 1 || s == 0);
	return u * sqrt(-2 * log(s) / s);
}

static double gamma_ge1(struct rng *g, double a)
{
	double d = a - 1.0 / 3, c = 1 / sqrt(9 * d), z, v;

	for (;;) {
		z = normal(g);
		v = 1 + c * z;
		if (v <= 0)
			continue;
		v = v * v * v;
		if (log(uniform(g)) < 0.5 * z * z + d - d * v + d * log(v))
			return d * v;
	}
}

static double beta(struct rng *g, double a, double b)
{
	double x = gamma_ge1(g, a), y = gamma_ge1(g, b);

	return x / (x + y);
}

/* A histogram as its non-empty buckets: cumulative counts and display values. */
struct cdf {
	uint64_t n;
	unsigned len;
	uint64_t *cum;
	double *val;
};

static int cdf_init(struct cdf *c, const struct ls_hist *h)
{
	uint64_t seen = 0, lo, hi, mid;
	unsigned i;

	c->cum = malloc(LS_HIST_BUCKETS * sizeof(*c->cum));
	c->val = malloc(LS_HIST_BUCKETS * sizeof(*c->val));
	if (!c->cum || !c->val)
		return -ENOMEM;
	for (i = 0; i < LS_HIST_BUCKETS; i++) {
		if (!h->buckets[i])
			continue;
		seen += h->buckets[i];
		/* the bucket midpoint clamped to [min, max], as ls_hist_quantile() */
		lo = ls_hist_bucket_low(i);
		hi = i + 1 < LS_HIST_BUCKETS ? ls_hist_bucket_low(i + 1) : lo;
		mid = lo + (hi > lo ? (hi - lo - 1) / 2 : 0);
		mid = mid < h->min ? h->min : mid > h->max ? h->max : mid;
		c->cum[c->len] = seen;
		c->val[c->len++] = (double)mid;
	}
	c->n = seen;
	return 0;
}

static void cdf_free(struct cdf *c)
{
	free(c->cum);
	free(c->val);
}

/* The value of rank k (1-based), by binary search over the cumulative counts. */
static double cdf_rank(const struct cdf *c, uint64_t k)
{
	unsigned lo = 0, hi = c->len - 1, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (c->cum[mid] >= k)
			hi = mid;
		else
			lo = mid + 1;
	}
	return c->val[lo];
}

static uint64_t rank_of(double q, uint64_t n)
{
	uint64_t k = (uint64_t)(q * (double)n + 0.999999);

	return k < 1 ? 1 : k > n ? n : k;
}

/* A resampled k-th order statistic: F^-1 of a Beta(k, n + 1 - k) draw. */
static double resampled(struct rng *g, const struct cdf *c, uint64_t k)
{
	double u = beta(g, (double)k, (double)(c->n + 1 - k));

	return cdf_rank(c, rank_of(u, c->n));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double change_of(double base, double cur)
{
	return base == cur ? 0 : (cur + 1) / (base + 1) - 1;	/* +1 ns: no 0 divisor */
}

/* Sorts the replicates of change and reads the interval off them. */
static void interval(double *rep, unsigned n, double conf, struct cmp_result *r)
{
	double alpha = (1 - conf) / 2;
	unsigned lo = (unsigned)(alpha * n), hi = (unsigned)((1 - alpha) * n);

	qsort(rep, n, sizeof(*rep), cmp_double);
	r->lo = rep[lo < n ? lo : n - 1];
	r->hi = rep[hi < n ? hi : n - 1];
}

static void defaults(const struct cmp_opts *o, unsigned *reps, double *conf, struct rng *g)
{
	*reps = o && o->replicates ? o->replicates : DEFAULT_REPLICATES;
	*conf = o && o->confidence > 0 && o->confidence < 1 ? o->confidence : 0.95;
	g->s = o && o->seed ? o->seed : DEFAULT_SEED;
}

/* Standard error of the mean, from bucket midpoints. */
static double mean_se(const struct cdf *c, double mean)
{
	double var = 0, d;
	uint64_t prev = 0;
	unsigned i;

	for (i = 0; i < c->len; i++) {
		d = c->val[i] - mean;
		var += (double)(c->cum[i] - prev) * d * d;
		prev = c->cum[i];
	}
	return c->n > 1 ? sqrt(var / (double)(c->n - 1) / (double)c->n) : 0;
}

/*
 * One side: a cdf per run, and per run the rank (quantile) or the mean and
 * its standard error. stat() draws one bootstrap value of the side.
 */
struct side {
	unsigned n;
	struct cdf c[CMP_MAX_RUNS];
	uint64_t k[CMP_MAX_RUNS];
	double mean[CMP_MAX_RUNS], se[CMP_MAX_RUNS];
};

static int side_init(struct side *s, const struct ls_hist *const *h, unsigned n, double q)
{
	unsigned i;
	int err;

	if (!n || n > CMP_MAX_RUNS)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!h[i]->count)
			return -EINVAL;
	for (s->n = 0; s->n < n; s->n++) {
		i = s->n;
		err = cdf_init(&s->c[i], h[i]);
		if (err) {
			s->n++;
			return err;
		}
		s->k[i] = rank_of(q, s->c[i].n);
		s->mean[i] = (double)h[i]->sum / (double)h[i]->count;
		s->se[i] = mean_se(&s->c[i], s->mean[i]);
	}
	return 0;
}

static void side_free(struct side *s)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		cdf_free(&s->c[i]);
}

/*
 * g NULL: the point estimate; else one replicate of a two-level bootstrap:
 * the side's runs are drawn with replacement, then each drawn run's
 * iterations. Runs are the unit of noise on a shared CI runner (one run's
 * machine was busier than another's), so the spread between runs widens the
 * interval, not only the sampling within each.
 */
static double side_stat(struct side *s, struct rng *g, bool mean)
{
	double v[CMP_MAX_RUNS];
	unsigned i, j;

	for (i = 0; i < s->n; i++) {
		j = g && s->n > 1 ? (unsigned)(next_u64(g) % s->n) : i;
		if (mean)
			v[i] = s->mean[j] + (g ? s->se[j] * normal(g) : 0);
		else
			v[i] = g ? resampled(g, &s->c[j], s->k[j]) : cdf_rank(&s->c[j], s->k[j]);
	}
	return cmp_median(v, s->n);
}

static int compare_runs(const struct ls_hist *const *base, unsigned nb,
			const struct ls_hist *const *cur, unsigned nc, double q, bool mean,
			const struct cmp_opts *o, struct cmp_result *r)
{
	struct side *sb = calloc(2, sizeof(*sb)), *sc = sb ? sb + 1 : NULL;
	unsigned reps, i;
	double conf, *rep = NULL;
	struct rng g;
	int err = sb ? 0 : -ENOMEM;

	if (!mean && (q <= 0 || q >= 1))
		err = -EINVAL;
	if (!err)
		err = side_init(sb, base, nb, q);
	if (!err)
		err = side_init(sc, cur, nc, q);
	defaults(o, &reps, &conf, &g);
	rep = err ? NULL : malloc(reps * sizeof(*rep));
	if (!err && !rep)
		err = -ENOMEM;
	if (err)
		goto out;
	r->base = side_stat(sb, NULL, mean);
	r->cur = side_stat(sc, NULL, mean);
	r->change = change_of(r->base, r->cur);
	for (i = 0; i < reps; i++)
		rep[i] = change_of(side_stat(sb, &g, mean), side_stat(sc, &g, mean));
	interval(rep, reps, conf, r);
out:
	free(rep);
	if (sb) {
		side_free(sb);
		side_free(sc);
	}
	free(sb);
	return err;
}

int cmp_quantile_runs(const struct ls_hist *const *base, unsigned nb,
		      const struct ls_hist *const *cur, unsigned nc, double q,
		      const struct cmp_opts *o, struct cmp_result *r)
{
	return compare_runs(base, nb, cur, nc, q, false, o, r);
}

int cmp_mean_runs(const struct ls_hist *const *base, unsigned nb,
		  const struct ls_hist *const *cur, unsigned nc, const struct cmp_opts *o,
		  struct cmp_result *r)
{
	return compare_runs(base, nb, cur, nc, 0.5, true, o, r);
}

int cmp_quantile(const struct ls_hist *base, const struct ls_hist *cur, double q,
		 const struct cmp_opts *o, struct cmp_result *r)
{
	return compare_runs(&base, 1, &cur, 1, q, false, o, r);
}

int cmp_mean(const struct ls_hist *base, const struct ls_hist *cur, const struct cmp_opts *o,
	     struct cmp_result *r)
{
	return compare_runs(&base, 1, &cur, 1, 0.5, true, o, r);
}

double cmp_median(double *v, unsigned n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

uint64_t cmp_min_samples(double q, unsigned min_tail)
{
	double n = q > 0 && q < 1 ? (double)min_tail / (1 - q) : (double)min_tail;
	uint64_t k = (uint64_t)(n + 0.999);

	return k < 20 ? 20 : k;
}
