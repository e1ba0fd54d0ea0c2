/* SPDX-License-Identifier: BSD-2-Clause */
/* What `loopscope check` prints: the diff table, and JUnit XML for CI systems. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "viewer-export/summary_text.h"
#include "check.h"
#include "output.h"

const char *verdict_name(enum verdict v)
{
	static const char *const names[] = {
		[V_OK] = "ok", [V_IMPROVED] = "improved", [V_NOISE] = "noise",
		[V_FEW] = "few-samples", [V_REGRESSION] = "REGRESSION",
	};

	return names[v];
}

static const char *fmt_value(char *buf, size_t sz, const struct row *r, double v)
{
	if (r->duration)
		return ls_fmt_duration(buf, sz, v < 0 ? 0 : (uint64_t)(v + 0.5));
	snprintf(buf, sz, v == (double)(uint64_t)v ? "%.0f" : "%.2f", v);
	return buf;
}

static const char *fmt_limit(char *buf, size_t sz, const struct row *r)
{
	if (r->lim.relative)
		snprintf(buf, sz, "%+.0f%%", r->lim.value * 100);
	else
		fmt_value(buf, sz, r, r->lim.value);
	return buf;
}

/* The interval; for a count or a run's total, the per-run rule that stands in for one. */
static const char *fmt_ci(char *buf, size_t sz, const struct row *r)
{
	if (r->rule && r->v != V_FEW)
		snprintf(buf, sz, "%s", !strncmp(r->rule, "exact", 5) ? "exact: 1 run" : "every run");
	else if (!r->has_ci || r->v == V_FEW)
		snprintf(buf, sz, "-");
	else
		snprintf(buf, sz, "%+.1f..%+.1f%%", r->lo * 100, r->hi * 100);
	return buf;
}

const char *check_verdict_colour(enum verdict v)
{
	return v == V_REGRESSION ? "\033[1;31m" : v == V_OK || v == V_IMPROVED ? "\033[32m" :
	       "\033[33m";
}

/* "4.1/2.7%": each side's run-to-run spread; "-" for a side of one run. */
const char *check_fmt_spread(char *buf, size_t sz, const struct row *r)
{
	char b[16] = "-", c[16] = "-";

	if (r->spread_base < 0 && r->spread_cur < 0)
		return snprintf(buf, sz, "-"), buf;
	if (r->spread_base >= 0)
		snprintf(b, sizeof(b), "%.1f", r->spread_base * 100);
	if (r->spread_cur >= 0)
		snprintf(c, sizeof(c), "%.1f", r->spread_cur * 100);
	snprintf(buf, sz, "%s/%s%%", b, c);
	return buf;
}

void check_print_table(FILE *f, const struct row *rows, unsigned n, double conf, bool color)
{
	char b[24], c[24], ci[32], lim[24], ch[16], hdr[16], sp[40];
	unsigned i;

	snprintf(hdr, sizeof(hdr), "%.0f%% CI", conf * 100);
	fprintf(f, "%-16s %10s %10s %8s %-15s %-11s %7s  %s\n", "METRIC", "BASELINE", "CURRENT",
		"CHANGE", hdr, "SPREAD", "LIMIT", "VERDICT");
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		if (r->v == V_FEW && !r->nbase && !r->ncur)
			snprintf(ch, sizeof(ch), "-");
		else
			snprintf(ch, sizeof(ch), "%+.1f%%", r->change * 100);
		fprintf(f, "%-16s %10s %10s %8s %-15s %-11s %7s  %s%s%s\n", r->lim.metric,
			fmt_value(b, sizeof(b), r, r->base), fmt_value(c, sizeof(c), r, r->cur), ch,
			fmt_ci(ci, sizeof(ci), r), check_fmt_spread(sp, sizeof(sp), r),
			fmt_limit(lim, sizeof(lim), r),
			color ? check_verdict_colour(r->v) : "", verdict_name(r->v), color ? "\033[0m" : "");
		if (r->v == V_FEW && r->rule)
			fprintf(f, "%16s   %s\n", "", r->rule);
		else if (r->v == V_FEW)
			fprintf(f, "%16s   needs %" PRIu64 " samples, has %" PRIu64 " and %" PRIu64 "\n",
				"", r->nmin, r->nbase, r->ncur);
	}
}

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
			fputc(*s, f);
	}
}

static void junit_case(FILE *f, const struct row *r)
{
	char b[24], c[24], lim[24], msg[512], name[CHECK_CAUSE_TEXT + 16];

	if (r->cause[0]) {	/* a stall cause: named by its frames, judged by its rule */
		snprintf(name, sizeof(name), "stall cause: %s", r->cause);
		snprintf(msg, sizeof(msg), "%s: baseline %s, current %s, limit %s (%s): %s", name,
			 r->nbase ? fmt_value(b, sizeof(b), r, r->base) : "none",
			 r->ncur ? fmt_value(c, sizeof(c), r, r->cur) : "none",
			 fmt_limit(lim, sizeof(lim), r), r->rule, verdict_name(r->v));
	} else {
		snprintf(name, sizeof(name), "%s", r->lim.metric);
		snprintf(msg, sizeof(msg), "%s: baseline %s, current %s (%+.1f%%), limit %s%s%s%s: %s",
			 r->lim.metric, fmt_value(b, sizeof(b), r, r->base),
			 fmt_value(c, sizeof(c), r, r->cur), r->change * 100,
			 fmt_limit(lim, sizeof(lim), r), r->rule ? " (" : "", r->rule ? r->rule : "",
			 r->rule ? ")" : "", verdict_name(r->v));
	}
	fputs("    <testcase classname=\"loopscope.check\" name=\"", f);
	xml_text(f, name);
	fputs("\" time=\"0\">", f);
	if (r->v == V_REGRESSION) {
		fputs("\n      <failure type=\"regression\" message=\"", f);
		xml_text(f, msg);
		fputs("\">", f);
		xml_text(f, msg);
		fputs("</failure>\n    ", f);
	} else if (r->v == V_FEW) {
		fputs("<skipped message=\"", f);
		xml_text(f, msg);
		fputs("\"/>", f);
	} else {
		fputs("<system-out>", f);
		xml_text(f, msg);
		fputs("</system-out>", f);
	}
	fputs("</testcase>\n", f);
}

struct junit {
	const struct row *rows;
	unsigned n;
};

static int junit_body(FILE *f, void *ctx)
{
	const struct junit *j = ctx;
	const struct row *rows = j->rows;
	unsigned i, n = j->n, failures = 0, skipped = 0;

	errno = 0;	/* a failed write leaves its reason (ENOSPC...) here */
	for (i = 0; i < n; i++) {
		failures += rows[i].v == V_REGRESSION;
		skipped += rows[i].v == V_FEW;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"loopscope check\" tests=\"%u\" failures=\"%u\" skipped=\"%u\">\n"
		"  <testsuite name=\"loopscope check\" tests=\"%u\" failures=\"%u\" errors=\"0\" "
		"skipped=\"%u\">\n", n, failures, skipped, n, failures, skipped);
	for (i = 0; i < n; i++)
		junit_case(f, &rows[i]);
	fputs("  </testsuite>\n</testsuites>\n", f);
	if (fflush(f) || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}

int check_write_junit(const char *path, const struct row *rows, unsigned n)
{
	return output__write(path, junit_body, &(struct junit){ rows, n });
}
