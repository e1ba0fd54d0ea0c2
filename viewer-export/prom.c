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
 * A label value from the target's bytes (a thread's comm, a cgroup path),
 * appended to buf: the format escapes only backslash, quote and newline,
 * and wants UTF-8; any other byte outside printable ASCII becomes '?', so
 * a name cannot break the exposition or a consumer's terminal. buf has
 * room for every byte escaped.
 */
static size_t label_value(char *buf, size_t at, const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' || c == '"')
			buf[at++] = '\\';
		buf[at++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	return at;
}

/* pid, tid, comm and cgroup: '{' and the labels, without the closing brace. */
#define LOOP_LABELS_LEN	(64 + 2 * (LS_COMM_LEN + LS_FLEET_CGROUP_LEN))

static void loop_labels(char buf[LOOP_LABELS_LEN], const struct ls_fleet *fl, const struct ls_fleet_loop *l)
{
	size_t at = (size_t)snprintf(buf, 64, "{pid=\"%u\",tid=\"%u\",comm=\"", l->pid, l->tid);

	at = label_value(buf, at, l->comm, sizeof(l->comm));
	memcpy(buf + at, "\",cgroup=\"", 10);
	at = label_value(buf, at + 10, ls_fleet_cgroup_of(fl, l->pid), LS_FLEET_CGROUP_LEN);
	buf[at++] = '"';
	buf[at] = 0;
}

static void pool_labels(char *buf, size_t sz, const struct ls_fleet_pool *p)
{
	snprintf(buf, sz, "{pid=\"%u\",kind=\"%s\"", p->pid, ls_work_kind_name(p->kind));
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
	char lab[LOOP_LABELS_LEN];
	uint32_t i;

	family(f, m, name, "counter", help);
	for (i = 0; i < fl->nloops; i++) {
		loop_labels(lab, fl, &fl->loops[i]);
		fprintf(f, "%s%s} %.9g\n", name, lab, value(&fl->loops[i]));
	}
}

/*
 * Busy share of each loop's timeline since the last scrape (busy_window.h);
 * no sample for a loop none of whose iterations ended since: it is waiting
 * or stalled, and which is known only when its wait returns.
 */
static void utilization(FILE *f, const struct ls_fleet *fl, const struct prom_meta *m)
{
	char lab[LOOP_LABELS_LEN];
	uint32_t i;
	double share;

	family(f, m, "loopscope_loop_utilization", "gauge",
	       "Busy time / wall time of the loop since the last scrape (its completed iterations).");
	for (i = 0; i < fl->nloops; i++) {
		share = ls_busy_window_share(&fl->loops[i].win);
		if (share < 0)
			continue;
		loop_labels(lab, fl, &fl->loops[i]);
		fprintf(f, "loopscope_loop_utilization%s} %.6f\n", lab, share);
	}
}

/* One series of a histogram: cumulative buckets, +Inf, sum, count. */
struct hist_series {
	const char *name;
	const char *lab;	/* "{..." without the closing brace */
	const uint64_t *le;	/* per bucket, not cumulated */
	uint64_t count, sum_ns;
};

static void hist_series(FILE *f, const struct hist_series *h)
{
	uint64_t cum = 0;
	uint32_t b;

	for (b = 0; b < LS_FLEET_BUCKETS; b++) {
		cum += h->le[b];
		fprintf(f, "%s_bucket%s,le=\"%.9g\"} %" PRIu64 "\n", h->name, h->lab,
			(double)ls_fleet_bucket_ns[b] / 1e9, cum);
	}
	fprintf(f, "%s_bucket%s,le=\"+Inf\"} %" PRIu64 "\n", h->name, h->lab, h->count);
	fprintf(f, "%s_sum%s} %.9g\n", h->name, h->lab, (double)h->sum_ns / 1e9);
	fprintf(f, "%s_count%s} %" PRIu64 "\n", h->name, h->lab, h->count);
}

static void histograms(FILE *f, const struct ls_fleet *fl, const struct prom_meta *m)
{
	char lab[LOOP_LABELS_LEN];
	struct hist_series h = { .name = "loopscope_loop_busy_seconds", .lab = lab };
	uint32_t i;

	family(f, m, h.name, "histogram", "Busy time of each loop iteration (from its wait's return to the next wait).");
	for (i = 0; i < fl->nloops; i++) {
		h.le = fl->loops[i].le;
		h.count = fl->loops[i].iterations;
		h.sum_ns = fl->loops[i].busy_ns;
		loop_labels(lab, fl, &fl->loops[i]);
		hist_series(f, &h);
	}
	h.name = "loopscope_threadpool_queue_seconds";
	family(f, m, h.name, "histogram", "Time a thread-pool item waited for a worker (libuv), by kind of work.");
	for (i = 0; i < fl->npools; i++) {
		h.le = fl->pools[i].le;
		h.count = fl->pools[i].items;
		h.sum_ns = fl->pools[i].queue_ns;
		pool_labels(lab, sizeof(lab), &fl->pools[i]);
		hist_series(f, &h);
	}
}

static void agent_own(FILE *f, const struct ls_fleet *fl, const struct prom_meta *m)
{
	family(f, m, "loopscope_drops_total", "counter",
	       "Records the kernel side could not deliver; processes, loop threads, pools and stall lines past the agent's caps.");
	fprintf(f, "loopscope_drops_total{reason=\"ring_buffer\"} %" PRIu64 "\n"
		"loopscope_drops_total{reason=\"inflight_full\"} %" PRIu64 "\n"
		"loopscope_drops_total{reason=\"missed_exit\"} %" PRIu64 "\n"
		"loopscope_drops_total{reason=\"targets_full\"} %" PRIu64 "\n"
		"loopscope_drops_total{reason=\"cpu_budget_samples\"} %" PRIu64 "\n"
		"loopscope_drops_total{reason=\"loops_full\"} %" PRIu64 "\n"
		"loopscope_drops_total{reason=\"pools_full\"} %" PRIu64 "\n"
		"loopscope_drops_total{reason=\"stall_log_rate\"} %" PRIu64 "\n",
		m->drops_ring_buffer, m->drops_inflight_full, m->drops_missed_exit, m->drops_targets_full,
		m->drops_samples_shed, fl->loops_full,
		fl->pools_full, m->drops_stall_log);
	family(f, m, "loopscope_targets", "gauge", "Processes traced now.");
	fprintf(f, "loopscope_targets %u\n", m->targets);
	family(f, m, "loopscope_agent_cpu_seconds_total", "counter", "The agent's own CPU time (user + system).");
	fprintf(f, "loopscope_agent_cpu_seconds_total %.6f\n", m->agent_cpu_s);
	family(f, m, "loopscope_agent_setup_cpu_seconds_total", "counter",
	       "Of the agent's CPU time, what went to new processes' setup (libuv probes, symbols) and to naming "
	       "stall causes: outside the CPU budget.");
	fprintf(f, "loopscope_agent_setup_cpu_seconds_total %.6f\n", m->setup_cpu_s);
	family(f, m, "loopscope_agent_cpu_budget_ratio", "gauge", "The agent's CPU budget, share of one CPU (0: none).");
	fprintf(f, "loopscope_agent_cpu_budget_ratio %.6g\n", m->cpu_budget);
	family(f, m, "loopscope_agent_sample_keep_ratio", "gauge",
	       "Share of stack samples taken: the budget thins them by halves (0: not sampling).");
	fprintf(f, "loopscope_agent_sample_keep_ratio %.6g\n", m->sample_keep);
	family(f, m, "loopscope_agent_over_budget_seconds_total", "counter",
	       "Time over the CPU budget with samples at their thinnest.");
	fprintf(f, "loopscope_agent_over_budget_seconds_total %.3f\n", m->over_budget_s);
	family(f, m, "loopscope_agent_resident_bytes", "gauge", "The agent's resident memory.");
	fprintf(f, "loopscope_agent_resident_bytes %" PRIu64 "\n", m->agent_rss_bytes);
}

int prom_write(FILE *f, const struct ls_fleet *fl, const struct prom_meta *m)
{
	per_loop(f, fl, m, "loopscope_loop_iterations_total", "Loop iterations (one poll wait and what follows it).",
		 iterations);
	histograms(f, fl, m);
	utilization(f, fl, m);
	per_loop(f, fl, m, "loopscope_loop_stalls_total", "Iterations busy at least the stall threshold.", stalls);
	per_loop(f, fl, m, "loopscope_loop_stall_seconds_total", "Busy time of the stalls.", stall_s);
	agent_own(f, fl, m);
	if (m->openmetrics)
		fputs("# EOF\n", f);
	return fflush(f) || ferror(f) ? -EIO : 0;
}
