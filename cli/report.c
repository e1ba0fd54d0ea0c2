/* SPDX-License-Identifier: BSD-2-Clause */
/* `loopscope report FILE.json`: the summary as tables, or as normalised JSON. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "collector/summary_read.h"
#include "viewer-export/report_text.h"
#include "viewer-export/summary_json.h"
#include "cli_util.h"
#include "commands.h"
#include "exitcodes.h"

struct report_opts {
	const char *file;
	unsigned top;
	bool json, no_hist;
	struct cli_common common;	/* -q; -v does nothing */
};

static const char report_doc[] =
	"Show a summary written by `record --summary` as tables.\n"
	"\n"
	"USAGE: loopscope report FILE.json [--json] [--top N] [--no-hist]\n"
	"\n"
	"EXAMPLES:\n"
	"    loopscope report run.json            # loops, latencies, syscalls, stalls\n"
	"    loopscope report --top 3 run.json    # at most 3 rows per table\n"
	"    loopscope report --json run.json     # the validated summary, for machines\n"
	"    loopscope report - < run.json        # read standard input\n"
	"\v" LS_EXIT_CODES_HELP;

enum { OPT_JSON = 1000, OPT_TOP, OPT_NO_HIST };

static const struct argp_option report_options[] = {
	{ "json", OPT_JSON, NULL, 0, "Write the validated summary JSON instead of tables", 0 },
	{ "top", OPT_TOP, "N", 0, "At most N rows per table (loops, syscalls, stalls)", 0 },
	{ "no-hist", OPT_NO_HIST, NULL, 0, "Leave out the busy-time histograms", 0 },
	{},
};

static error_t parse_report_opt(int key, char *arg, struct argp_state *state)
{
	struct report_opts *o = state->input;

	switch (key) {
	case OPT_JSON:
		o->json = true;
		break;
	case OPT_TOP:
		o->top = (unsigned)cli_integer(state, "--top", arg, 1, 100000);
		break;
	case OPT_NO_HIST:
		o->no_hist = true;
		break;
	case ARGP_KEY_ARG:
		if (o->file)
			cli_usage_error(state, "one summary file at a time (got '%s' and '%s')", o->file,
				   arg);
		o->file = arg;
		break;
	case ARGP_KEY_END:
		if (!o->file)
			cli_usage_error(state, "no summary file: give FILE.json (from record --summary)");
		if (o->common.quiet && o->json)
			cli_usage_error(state, "--quiet and --json conflict");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/*
 * The validated document as it was read: the model holds what the tables
 * need, the file also holds libuv phases, the thread pool and named stacks.
 */
static int write_json(const struct summary_file *sf)
{
	if (fwrite(sf->raw, 1, sf->raw_len, stdout) != sf->raw_len || fflush(stdout)) {
		fprintf(stderr, "loopscope report: writing JSON: %s\n", strerror(errno));
		return LS_EXIT_OUTPUT;
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	struct report_opts o = { 0 };
	const struct cli_command cmd = {
		report_options, parse_report_opt, "FILE.json", report_doc,
		"Accepted for symmetry with the other commands",
		"Only check that the file reads; print nothing",
	};
	struct report_text_opts ro;
	struct summary_file *sf;
	int rc;

	if (cli_parse(&cmd, argc, argv, &o, &o.common))
		return LS_EXIT_USAGE;
	rc = cli_load_summary("report", o.file, &sf);
	if (rc)
		return rc;
	if (o.json) {
		rc = write_json(sf);
	} else if (!o.common.quiet) {
		ro = (struct report_text_opts){ .name = o.file, .top = o.top, .hist = !o.no_hist,
						.color = cli_color(STDOUT_FILENO) };
		report_text__write(stdout, sf, &ro);
		if (fflush(stdout) || ferror(stdout)) {
			fprintf(stderr, "loopscope report: writing the report: %s\n", strerror(errno));
			rc = LS_EXIT_OUTPUT;
		}
	}
	summary_file_free(sf);
	return rc;
}
