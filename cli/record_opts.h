/* SPDX-License-Identifier: BSD-2-Clause */
/* The options of `loopscope record` (record_opts.c), for the recording (record.c). */
#ifndef LS_CLI_RECORD_OPTS_H
#define LS_CLI_RECORD_OPTS_H

#include <stdbool.h>
#include <sys/types.h>
#include "collector/debuginfo.h"
#include "collector/summary_read.h"
#include "cli_util.h"
#include "target.h"

#define DEFAULT_OUTPUT "loopscope.pftrace"
#define LS_LABEL_MAX	SUMMARY_LABEL_MAX	/* --label: bytes, of LS_LABEL_CHARS (safe in a terminal, a file name, XML) */
#define LS_LABEL_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:/+-"

struct record_opts {
	struct target_spec targets;	/* -p, --cgroup, --no-children */
	char **cmd;
	const char *output;
	const char *summary;
	double duration_s;
	double stall_ms;
	struct cli_common common;	/* -v, -q */
	bool no_compress;
	bool no_libuv;
	bool no_js_names;	/* --no-js-names: V8's heap not read */
	const char *label;	/* --label: names the workload in the summary, for check */
	unsigned sample_hz;
	const char *folded;
	bool js_callbacks;
	const char *raw;
	bool output_set;
	bool fp_stacks;		/* --call-graph fp: user stacks walked by frame pointer in the kernel */
	bool summary_only;	/* --summary without -o: no trace, in-kernel aggregation */
	/* --debug-dir, --no-debuginfod, --debuginfod-timeout; .debuginfod is set by record */
	struct debuginfo_opts debuginfo;
	unsigned ndebug_dirs;
	bool no_debuginfod;
};

/*
 * Parses record's argv into o: everything after "--" is the command, the
 * rest its options, checked together (one target, distinct outputs). 0 or
 * the exit code; most usage errors exit from the parser, with their line.
 */
int record_opts__parse(struct record_opts *o, int argc, char **argv);

#endif
