/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary_json: the machine-readable end-of-run summary (--summary FILE).
 *
 * One JSON object, "schema_version": 1. Durations are in the unit their key
 * names (_ms, _us, _ns, _s); quantiles come from the summary's histograms
 * and are accurate to about 1.6%. Strings are escaped for JSON and any
 * invalid UTF-8 in them (thread names are raw kernel bytes) becomes U+FFFD.
 *
 * Per loop: "stalls" is the count, "stalls_top" the longest ones (at most
 * LS_TOP_STALLS, longest first), "sync_file_io" the regular-file I/O findings.
 * Every distribution carries its histogram ("hist": the non-empty buckets as
 * [index, count] pairs, layout in "hist_scheme"), so runs can be merged and
 * compared. The contract is docs/summary-schema.md.
 */
#ifndef LS_SUMMARY_JSON_H
#define LS_SUMMARY_JSON_H

#include <stdint.h>
#include <stdio.h>
#include "collector/model.h"
#include "trace_export.h"
#include "collector/correlator.h"
#include "collector/symbolize.h"

struct summary_json_meta {
	uint32_t pid;
	const char *command;		/* NULL: null */
	uint64_t duration_ns;		/* 0: the span of the summary's records */
	struct ls_export_stats drops;	/* bad_records: the larger of this and the summary's */
	const char *trace_path;		/* NULL: null (no trace written) */
	const char *version;		/* NULL: LS_VERSION of the build */
	const char *label;		/* record --label; NULL: none */
	/* to name stack frames, in the process of pid (a stall's loop, an
	 * overflow's thread); NULL: stacks are written as addresses */
	const struct correlator *corr;
	int (*resolve)(void *ctx, uint32_t pid, uint64_t ip, bool kernel, struct ls_frame_info *out);
	void *resolve_ctx;
};

/* Writes the summary and flushes f; 0 or -errno. m may be NULL. */
int summary_json__write(FILE *f, const struct ls_summary *s, const struct summary_json_meta *m);

#endif
