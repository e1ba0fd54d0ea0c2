/* SPDX-License-Identifier: BSD-2-Clause */
/* `loopscope check`'s stall causes (check_causes.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "collector/compare.h"
#include "viewer-export/stall_cause.h"
#include "viewer-export/summary_text.h"
#include "viewer-export/text_escape.h"
#include "check_causes.h"

#define CAUSE_SHOWN_FRAMES	3	/* in the table: the cause and 2 callers (or "..." to JS) */

static struct cause_class *class_of(struct cause_table *t, const struct ls_cause *c)
{
	unsigned i;

	for (i = 0; i < t->n; i++)
		if (ls_cause_same_stall(&t->c[i].rep, c))
			return &t->c[i];
	if (t->n == CHECK_MAX_CAUSES)
		return NULL;
	memset(&t->c[t->n], 0, sizeof(t->c[t->n]));
	t->c[t->n].rep = *c;
	return &t->c[t->n++];
}

int check_causes_add(struct cause_table *t, int side, unsigned run, const struct ls_summary *s)
{
	struct cause_class *cc;
	uint32_t i, k;

	if (side < 0 || side > 1 || run >= CHECK_MAX_FILES)
		return -EINVAL;
	if (!t->c && !(t->c = calloc(CHECK_MAX_CAUSES, sizeof(*t->c))))
		return -ENOMEM;
	for (i = 0; i < s->nloops; i++)
		for (k = 0; k < s->loops[i]->ncauses; k++) {
			const struct ls_cause_group *g = &s->loops[i]->causes[k];

			if (!(cc = class_of(t, &g->cause))) {
				t->untracked++;
				continue;
			}
			cc->count[side][run] += g->count;
			cc->total_ns[side][run] += g->total_ns;
		}
	return 0;
}

/* The runs of a side that have the cause, and the median, least, most and spread of their mean stalls. */
static unsigned side_stats(const struct cause_class *cc, int side, unsigned nruns, double *median,
			   double *least, double *most, double *spread)
{
	double v[CHECK_MAX_FILES];
	unsigned i, n = 0;

	for (i = 0; i < nruns; i++)
		if (cc->count[side][i])
			v[n++] = (double)cc->total_ns[side][i] / cc->count[side][i];
	*least = *most = n ? v[0] : 0;
	for (i = 1; i < n; i++) {
		*least = v[i] < *least ? v[i] : *least;
		*most = v[i] > *most ? v[i] : *most;
	}
	*median = n ? cmp_median(v, n) : 0;
	*spread = check_spread(v, n, *median);
	return n;
}

/* A cause in both: exact on one run a side, else every current run past every baseline run. */
static void judge_both(struct row *r, unsigned nb, unsigned nc, double blo, double bhi, double clo,
		       double chi)
{
	double lim = r->lim.value;

	r->change = r->cur / r->base - 1;
	if (nb == 1 || nc == 1) {
		r->rule = "exact: one run on a side";
		r->v = r->change > lim ? V_REGRESSION : r->change < -lim ? V_IMPROVED : V_OK;
		return;
	}
	r->rule = "every run past the other side's";
	if (r->change > lim)
		r->v = clo > bhi ? V_REGRESSION : V_NOISE;
	else if (r->change < -lim)
		r->v = chi < blo ? V_IMPROVED : V_NOISE;
	else
		r->v = V_OK;
}

static void eval_class(const struct cause_class *cc, unsigned nb, unsigned nc, struct row *r)
{
	double blo, bhi, clo, chi;
	unsigned inb = side_stats(cc, 0, nb, &r->base, &blo, &bhi, &r->spread_base);
	unsigned inc = side_stats(cc, 1, nc, &r->cur, &clo, &chi, &r->spread_cur);

	r->duration = true;
	r->nbase = inb;
	r->ncur = inc;
	if (inb && inc) {
		judge_both(r, nb, nc, blo, bhi, clo, chi);
	} else if (inc) {	/* a stall the baseline never had */
		r->change = 1;
		r->rule = 2 * inc >= nc ? "new: in no baseline run" : "new, in a minority of runs";
		r->v = 2 * inc >= nc ? V_REGRESSION : V_NOISE;
	} else {
		r->change = -1;
		r->rule = 2 * inb >= nb ? "gone: in no current run" : "gone, from a minority of runs";
		r->v = 2 * inb >= nb ? V_IMPROVED : V_OK;
	}
}

unsigned check_causes_eval(const struct cause_table *t, unsigned nb, unsigned nc, double limit,
			   struct row *rows, unsigned max)
{
	unsigned i, n = 0;

	for (i = 0; i < t->n && n < max; i++) {
		struct row *r = &rows[n++];

		memset(r, 0, sizeof(*r));
		snprintf(r->lim.metric, sizeof(r->lim.metric), "stall_cause");
		r->lim.relative = true;
		r->lim.value = limit;
		ls_cause_line(&t->c[i].rep, CAUSE_SHOWN_FRAMES, r->cause, sizeof(r->cause));
		eval_class(&t->c[i], nb, nc, r);
	}
	return n;
}

void check_causes_free(struct cause_table *t)
{
	free(t->c);
	t->c = NULL;
	t->n = 0;
}

static const char *fmt_ms(char *buf, size_t sz, double v, uint64_t runs)
{
	if (!runs)
		return snprintf(buf, sz, "-"), buf;
	return ls_fmt_duration(buf, sz, v < 0 ? 0 : (uint64_t)(v + 0.5));
}

void check_print_causes(FILE *f, const struct row *rows, unsigned n, bool color)
{
	char b[24], c[24], ch[16], sp[40], esc[LS_ESC_SIZE(CHECK_CAUSE_TEXT)];
	unsigned i;

	if (!n)
		return;
	fprintf(f, "\nSTALL CAUSES: mean stall, median of the runs that have it (limit %+.0f%%)\n",
		rows[0].lim.value * 100);
	fprintf(f, "%10s %10s %8s %-5s  %-11s %-34s %s\n", "BASELINE", "CURRENT", "CHANGE", "RUNS",
		"SPREAD", "RULE", "VERDICT");
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		if (r->nbase && r->ncur)
			snprintf(ch, sizeof(ch), "%+.1f%%", r->change * 100);
		else
			snprintf(ch, sizeof(ch), r->ncur ? "new" : "gone");
		fprintf(f, "%10s %10s %8s %2llu/%-2llu  %-11s %-34s %s%s%s\n",
			fmt_ms(b, sizeof(b), r->base, r->nbase), fmt_ms(c, sizeof(c), r->cur, r->ncur), ch,
			(unsigned long long)r->nbase, (unsigned long long)r->ncur,
			check_fmt_spread(sp, sizeof(sp), r), r->rule,
			color ? check_verdict_colour(r->v) : "",
			verdict_name(r->v), color ? "\033[0m" : "");
		/* frame names come from the summaries, which the targets named: escaped */
		fprintf(f, "  %s\n", ls_esc_str(LS_ESC_TEXT, esc, sizeof(esc), r->cause, sizeof(r->cause)));
	}
}
