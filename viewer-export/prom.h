/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The agent's model (collector/fleet.h) as a scrape: the Prometheus text
 * format (0.0.4) or OpenMetrics 1.0 (asked for by the Accept header), per
 * ../shared/fleet-notes.md. Counters end in _total, durations are seconds,
 * the busy histogram's buckets are cumulative and end with +Inf.
 */
#ifndef LS_PROM_H
#define LS_PROM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "collector/fleet.h"

struct prom_meta {
	bool openmetrics;
	double agent_cpu_s;		/* the agent's own utime + stime */
	double setup_cpu_s;		/* of it, new processes' setup and naming stall causes */
	double cpu_budget;		/* its budget, share of one CPU; 0: none */
	double sample_keep;		/* share of stack samples taken (the budget thins them); 0: none sampled */
	double over_budget_s;		/* at the thinnest and still over the budget */
	uint64_t drops_samples_shed;	/* stack samples the budget skipped */
	uint64_t agent_rss_bytes;
	uint64_t drops_ring_buffer;
	uint64_t drops_inflight_full;
	uint64_t drops_missed_exit;
	uint64_t drops_targets_full;	/* processes the --max-targets cap refused (once each while it stays full) */
	uint64_t drops_stall_log;	/* stall lines over the log's rate */
	uint32_t targets;		/* processes traced now */
};

const char *prom_content_type(bool openmetrics);
/* Writes the scrape; 0, or -EIO when f failed. */
int prom_write(FILE *f, const struct ls_fleet *fl, const struct prom_meta *m);

#endif
