/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `loopscope replay RAW`: feeds a raw capture (record --raw) through the
 * correlator and the exporters again, offline: a trace and a summary from
 * an old capture, and the collector's throughput on a real stream (the
 * figure `make bench` reports). Native frames stay unnamed (the process
 * and its maps are gone); JavaScript frames keep the names the capture holds.
 */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "collector/correlator.h"
#include "collector/js_names.h"
#include "viewer-export/folded.h"
#include "viewer-export/pftrace.h"
#include "viewer-export/summary_json.h"
#include "viewer-export/trace_export.h"
#include "cli_util.h"
#include "commands.h"
#include "exitcodes.h"
#include "output.h"
#include "rawfile.h"

struct replay_opts {
	const char *raw;
	const char *output;
	const char *summary;
	const char *folded;
	double stall_ms;
	struct cli_common common;	/* -q */
};

static const char replay_doc[] =
	"Rebuild a trace and a summary from a raw capture (record --raw).\n"
	"\n"
	"USAGE: loopscope replay RAW [-o TRACE] [--summary FILE.json] [--folded FILE] [--stall-ms N]\n"
	"\n"
	"EXAMPLES:\n"
	"    loopscope record -p 1234 -d 10 --raw run.raw --summary s.json\n"
	"    loopscope replay run.raw -o run.pftrace      # the trace, later\n"
	"    loopscope replay run.raw                     # collector throughput only\n"
	"\v" LS_EXIT_CODES_HELP;

enum { OPT_SUMMARY = 1000, OPT_STALL_MS, OPT_FOLDED };

static const struct argp_option replay_options[] = {
	{ "output", 'o', "FILE", 0, "Perfetto trace to write (default: none)", 0 },
	{ "summary", OPT_SUMMARY, "FILE", 0, "Write the summary JSON", 0 },
	{ "folded", OPT_FOLDED, "FILE", 0, "Write the on-CPU stacks in folded (flamegraph) format", 0 },
	{ "stall-ms", OPT_STALL_MS, "MS", 0, "Busy time that makes a stall (default 50)", 0 },
	{},
};

static error_t parse_replay_opt(int key, char *arg, struct argp_state *state)
{
	struct replay_opts *o = state->input;

	switch (key) {
	case 'o':
		o->output = arg;
		break;
	case OPT_SUMMARY:
		o->summary = arg;
		break;
	case OPT_FOLDED:
		o->folded = arg;
		break;
	case OPT_STALL_MS:
		o->stall_ms = cli_number(state, "stall threshold", arg, 0.001, 3600.0 * 1000);
		break;
	case ARGP_KEY_ARG:
		if (o->raw)
			cli_usage_error(state, "one raw file at a time");
		o->raw = arg;
		break;
	case ARGP_KEY_END:
		if (!o->raw)
			cli_usage_error(state, "no raw file: give RAW (from record --raw)");
		cli_distinct_paths(state, (const struct path_use[]){
			{ o->output, "-o", true }, { o->summary, "--summary", true },
			{ o->folded, "--folded", true }, { o->raw, "RAW", false } }, 4);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static bool to_stdout(const struct replay_opts *o)
{
	return (o->output && !strcmp(o->output, "-")) || (o->summary && !strcmp(o->summary, "-")) ||
	       (o->folded && !strcmp(o->folded, "-"));
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A frame of the capture: JavaScript frames by the names it holds, the rest unnamed. */
static int resolve_frame(void *ctx, uint32_t pid, uint64_t ip, bool kernel, struct ls_frame_info *out)
{
	return !kernel && LS_IS_JS_FRAME(ip) ? js_names__frame(ctx, pid, ip, out) : -ENOENT;
}

/* All records of f into c (names into js); the count, or -EINVAL with the record's number in *bad. */
static int64_t feed(FILE *f, struct correlator *c, struct js_names *js, uint64_t *bad)
{
	static uint64_t buf[LS_RAW_MAX_RECORD / 8];
	int64_t n = 0;
	size_t len;
	int err;

	while (!(err = rawfile__read(f, buf, sizeof(buf), &len))) {
		__u32 type;

		memcpy(&type, buf, sizeof(type));
		if (type == LS_REC_JS_FRAME && len == sizeof(struct ls_rec_js_frame))
			js_names__add(js, (const void *)buf);	/* -ENOMEM: unnamed */
		correlator__push(c, buf, len);
		n++;
	}
	*bad = (uint64_t)n + 1;
	return err < 0 ? err : n;
}

struct replay_state {
	struct correlator *c;
	struct js_names *js;
	struct folded *folded;
};

/* The correlator holds the stacks the stall causes are made of. */
static int summary_writer(FILE *f, void *ctx)
{
	const struct replay_state *rs = ctx;
	const struct summary_json_meta m = { .corr = rs->c, .version = LS_VERSION,
					     .resolve = resolve_frame, .resolve_ctx = rs->js };

	return summary_json__write(f, correlator__summary(rs->c), &m);
}

/* folded__write carries the failed write's errno itself */
static int folded_writer(FILE *f, void *ctx)
{
	return folded__write(ctx, f);
}

static int write_outputs(const struct replay_opts *o, struct replay_state *rs, struct pftrace *pf,
			 struct trace_export *te, struct output *tout)
{
	int err = 0;

	if (te) {
		err = cli_finish_trace(te, pf, NULL);
		err = err ? err : output__commit(tout);
		if (err) {
			fprintf(stderr, "loopscope replay: writing %s: %s\n", o->output ? o->output : "the trace",
				output__strerror(err));
			return cli_write_exit(err);
		}
	}
	if (o->summary && (err = output__write(o->summary, summary_writer, rs))) {
		fprintf(stderr, "loopscope replay: writing %s: %s\n", o->summary, output__strerror(err));
		return cli_write_exit(err);
	}
	if (o->folded)
		return cli_write_output("loopscope replay", o->folded, folded_writer, rs->folded);
	return 0;
}

/* The trace writer on -o (the folded stacks come from it too: without -o
 * its trace goes to /dev/null); 0 or the exit code, with its line said. */
static int open_trace(const struct replay_opts *o, uint64_t stall_threshold_ns, struct replay_state *rs,
		      struct output *tout, struct pftrace **pf, struct trace_export **te)
{
	const char *path = o->output ? o->output : "/dev/null";
	int err = output__open(tout, path);

	if (!err && o->folded && !(rs->folded = folded__new(&(struct folded_opts){ .annotate = true })))
		err = -ENOMEM;
	*pf = err ? NULL : pftrace__new(tout->fd, &(struct pftrace_opts){ .compress = !!o->output });
	*te = *pf ? trace_export__new(*pf, &(struct trace_export_opts){
		.stall_threshold_ns = stall_threshold_ns, .resolve = resolve_frame, .resolve_ctx = rs->js,
		.folded = rs->folded }) : NULL;
	if (*te)
		return 0;
	err = err ? err : -ENOMEM;
	fprintf(stderr, "loopscope replay: cannot create %s: %s\n", path, output__strerror(err));
	return cli_write_exit(err);
}

static int replay(const struct replay_opts *o)
{
	struct correlator_opts co = { .stall_threshold_ns = (uint64_t)(o->stall_ms * 1e6) };
	struct output tout = { .fd = -1 };
	struct trace_export *te = NULL;
	struct pftrace *pf = NULL;
	struct correlator *c = NULL;
	struct replay_state rs = { 0 };
	uint64_t bad = 0;
	double t0;
	int64_t n;
	int rc = LS_EXIT_FAIL;
	FILE *f = fopen(o->raw, "re");

	if (!f || rawfile__check_header(f)) {
		fprintf(stderr, "loopscope replay: %s: %s\n", o->raw, f ? "not a raw capture" : strerror(errno));
		rc = LS_EXIT_USAGE;	/* bad input, as for report and check */
		goto out;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	rs.js = js_names__new();
	if (!rs.js) {
		fprintf(stderr, "loopscope replay: cannot set up the names: %s\n", strerror(ENOMEM));
		goto out;
	}
	if (o->output || o->folded) {
		rc = open_trace(o, co.stall_threshold_ns, &rs, &tout, &pf, &te);
		if (rc)
			goto out;
		co.sink = trace_export__sink(te);
	}
	rs.c = c = correlator__new(&co);
	if (!c) {
		fprintf(stderr, "loopscope replay: cannot set up the correlator: %s\n", strerror(ENOMEM));
		rc = LS_EXIT_FAIL;
		goto out;
	}
	t0 = cpu_s();
	n = feed(f, c, rs.js, &bad);
	correlator__finish(c);
	if (n < 0) {
		fprintf(stderr, "loopscope replay: %s: corrupt or truncated at record %" PRIu64 "\n",
			o->raw, bad);
		rc = LS_EXIT_USAGE;
		goto out;
	}
	rc = write_outputs(o, &rs, pf, te, &tout);
	/* standard output may carry the trace or the summary ("-"): the figures go beside it */
	if (!rc && !o->common.quiet)
		fprintf(to_stdout(o) ? stderr : stdout, "replay: %" PRId64 " records in %.3f s of CPU: "
			"%.0f records/s per core\n", n, cpu_s() - t0,
			(double)n / (cpu_s() - t0 > 0 ? cpu_s() - t0 : 1e-9));
out:
	if (tout.fd >= 0)
		output__abort(&tout);
	trace_export__free(te);
	pftrace__free(pf);
	correlator__free(c);
	js_names__free(rs.js);
	folded__free(rs.folded);
	if (f)
		fclose(f);
	return rc;
}

int cmd_replay(int argc, char **argv)
{
	struct replay_opts o = { .stall_ms = 50 };
	const struct cli_command cmd = {
		replay_options, parse_replay_opt, "RAW", replay_doc, NULL, "No throughput line",
	};

	if (cli_parse(&cmd, argc, argv, &o, &o.common))
		return LS_EXIT_USAGE;
	return replay(&o);
}
