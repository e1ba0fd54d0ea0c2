/* SPDX-License-Identifier: BSD-2-Clause */
/* A scrape of the agent's model (prom.h). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "collector/record.h"
#include "prom.h"

const char *prom_content_type(bool openmetrics)
{
	return openmetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
			   : "text/plain; version=0.0.4; charset=utf-8";
}

/*
 * A label value from the target's bytes (a thread's comm): the format
 * escapes only backslash, quote and newline, and wants UTF-8; any other
 * byte outside printable ASCII becomes '?', so a name cannot break the
 * exposition or a consumer's terminal.
 */
static void label_value(FILE *f, const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' || c == '"')
			fprintf(f, "\\%c", c);
		else
			fputc(c >= 0x20 && c < 0x7f ? c : '?', f);
	}
}

static void labels(FILE *f, const struct ls_fleet_loop *l)
{
	fprintf(f, "{pid=\"%u\",tid=\"%u\",comm=\"", l->pid, l->tid);
	label_value(f, l->comm, sizeof(l->comm));
	fputs("\"", f);
}

static void pool_labels(FILE *f, const struct ls_fleet_pool *p)
{
	fprintf(f, "{pid=\"%u\",kind=\"%s\"", p->pid, ls_work_kind_name(p->kind));
}

/*
 * The family's header. OpenMetrics names a counter family without its
 * _total suffix; the text format names it as its samples are named.
 */
static void family(FILE *f, const struct prom_meta *m, const char *name, const char *type,
		   const char *help)
{
	int n = (int)strlen(name);

	if (m->openmetrics && !strcmp(type, "counter") && n > 6 && !strcmp(name + n - 6, "_total"))
		n -= 6;
	fprintf(f, "# HELP %.*s %s\n# TYPE %.*s %s\n", n, name, help, n, name, type);
	if (m->openmetrics && strstr(name, "_seconds"))
		fprintf(f, "# UNIT %.*s seconds\n", n, name);
}

typedef double (*loop_value_fn)(const struct ls_fleet_loop *l);

static double iterations(const struct ls_fleet_loop *l) { return (double)l->iterations; }
static double stalls(const struct ls_fleet_loop *l) { return (double)l->stalls; }
static double stall_s(const struct ls_fleet_loop *l) { return (double)l->stall_ns / 1e9; }

static void per_loop(FILE *f, const struct ls_fleet *fl, const struct prom_meta *m, const char *name,
		     const char *help, loop_value_fn value)
{
	uint32_t i;

	family(f, m, name, "counter", help);
	for (i = 0; i < fl->nloops; i++) {
		fputs(name, f);
		labels(f, &fl->loops[i]);
		fprintf(f, "} %.9g\n", value(&fl->loops[i]));
	}
}

/* One series of a histogram: cumulative buckets, +Inf, sum, count; lab writes "{...". */
struct hist_series {
	const char *name;
	const uint64_t *le;	/* per bucket, not cumulated */
	uint64_t count, sum_ns;
};

static void hist_series(FILE *f, const struct hist_series *h, void (*lab)(FILE *, const void *),
			const void *row)
{
	uint64_t cum = 0;
	uint32_t b;

	for (b = 0; b < LS_FLEET_BUCKETS; b++) {
		cum += h->le[b];
		fprintf(f, "%s_bucket", h->name);
		lab(f, row);
		fprintf(f, ",le=\"%.9g\"} %" PRIu64 "\n", (double)ls_fleet_bucket_ns[b] / 1e9, cum);
	}
	fprintf(f, "%s_bucket", h->name);
	lab(f, row);
	fprintf(f, ",le=\"+Inf\"} %" PRIu64 "\n%s_sum", h->count, h->name);
	lab(f, row);
	fprintf(f, "} %.9g\n%s_count", (double)h->sum_ns / 1e9, h->name);
	lab(f, row);
	fprintf(f, "} %" PRIu64 "\n", h->count);
}

static void loop_lab(FILE *f, const void *row) { labels(f, row); }
static void pool_lab(FILE *f, const void *row) { pool_labels(f, row); }

static void histograms(FILE *f, const struct ls_fleet *fl, const struct prom_meta *m)
{
	struct hist_series h = { .name = "loopscope_loop_busy_seconds" };
	uint32_t i;

	family(f, m, h.name, "histogram", "Busy time of each loop iteration (from its wait's return to the next wait).");
	for (i = 0; i < fl->nloops; i++) {
		h.le = fl->loops[i].le;
		h.count = fl->loops[i].iterations;
		h.sum_ns = fl->loops[i].busy_ns;
		hist_series(f, &h, loop_lab, &fl->loops[i]);
	}
	h.name = "loopscope_threadpool_queue_seconds";
	family(f, m, h.name, "histogram", "Time a thread-pool item waited for a worker (libuv), by kind of work.");
	for (i = 0; i < fl->npools; i++) {
		h.le = fl->pools[i].le;
		h.count = fl->pools[i].items;
		h.sum_ns = fl->pools[i].queue_ns;
		hist_series(f, &h, pool_lab, &fl->pools[i]);
	}
}

static void agent_own(FILE *f, const struct ls_fleet *fl, const struct prom_meta *m)
{
	family(f, m, "loopscope_drops_total", "counter",
	       "Records the kernel side could not deliver; loop threads, pools and stall lines past the agent's caps.");
	fprintf(f, "loopscope_drops_total{reason=\"ring_buffer\"} %" PRIu64 "\n"
		"loopscope_drops_total{reason=\"inflight_full\"} %" PRIu64 "\n"
		"loopscope_drops_total{reason=\"missed_exit\"} %" PRIu64 "\n"
		"loopscope_drops_total{reason=\"loops_full\"} %" PRIu64 "\n"
		"loopscope_drops_total{reason=\"pools_full\"} %" PRIu64 "\n"
		"loopscope_drops_total{reason=\"stall_log_rate\"} %" PRIu64 "\n",
		m->drops_ring_buffer, m->drops_inflight_full, m->drops_missed_exit, fl->loops_full,
		fl->pools_full, m->drops_stall_log);
	family(f, m, "loopscope_targets", "gauge", "Processes traced now.");
	fprintf(f, "loopscope_targets %u\n", m->targets);
	family(f, m, "loopscope_agent_cpu_seconds_total", "counter", "The agent's own CPU time (user + system).");
	fprintf(f, "loopscope_agent_cpu_seconds_total %.6f\n", m->agent_cpu_s);
	family(f, m, "loopscope_agent_resident_bytes", "gauge", "The agent's resident memory.");
	fprintf(f, "loopscope_agent_resident_bytes %" PRIu64 "\n", m->agent_rss_bytes);
}

int prom_write(FILE *f, const struct ls_fleet *fl, const struct prom_meta *m)
{
	per_loop(f, fl, m, "loopscope_loop_iterations_total", "Loop iterations (one poll wait and what follows it).",
		 iterations);
	histograms(f, fl, m);
	per_loop(f, fl, m, "loopscope_loop_stalls_total", "Iterations busy at least the stall threshold.", stalls);
	per_loop(f, fl, m, "loopscope_loop_stall_seconds_total", "Busy time of the stalls.", stall_s);
	agent_own(f, fl, m);
	if (m->openmetrics)
		fputs("# EOF\n", f);
	return fflush(f) || ferror(f) ? -EIO : 0;
}
