/* SPDX-License-Identifier: BSD-2-Clause */
/* `loopscope record`: its options, checked before anything is opened. */
#include <argp.h>
#include <stdio.h>
#include <string.h>
#include "exitcodes.h"
#include "output.h"
#include "record_opts.h"

static const char record_doc[] =
	"Trace the event loops of a process into a Perfetto trace.\n"
	"\n"
	"USAGE: loopscope record (-p PID[,PID...] | --cgroup DIR | -- CMD [ARGS...])\n"
	"                        [--no-children] [-o FILE] [-d SECONDS] [--stall-ms N]\n"
	"                        [--summary FILE.json]\n"
	"\n"
	"EXAMPLES:\n"
	"    loopscope record -p 1234 -d 10          # trace PID 1234 for 10 s\n"
	"    loopscope record -o srv.pftrace -- ./server --port 8080\n"
	"                                            # start and trace a command\n"
	"    loopscope record -p 1234 --stall-ms 20 --summary s.json\n"
	"                                            # stalls are busy >= 20 ms\n"
	"    loopscope record -p $(pgrep -o nginx) -d 10\n"
	"                                            # nginx's master and its workers\n"
	"    loopscope record --cgroup /sys/fs/cgroup/system.slice/redis.service\n"
	"                                            # a service or container\n"
	"\n"
	"The processes a target forks are traced too (--no-children: not).\n"
	"Recording stops after -d, on Ctrl-C or SIGTERM, or when every traced\n"
	"process has exited (with --cgroup: after -d or Ctrl-C only).\n"
	"The trace opens in https://ui.perfetto.dev.\n"
	"\v" LS_EXIT_CODES_HELP;

enum { OPT_STALL_MS = 1000, OPT_SUMMARY, OPT_NO_COMPRESS, OPT_NO_LIBUV, OPT_SAMPLE_HZ,
       OPT_FOLDED, OPT_JS_CALLBACKS, OPT_RAW, OPT_CALL_GRAPH, OPT_DEBUG_DIR, OPT_NO_DEBUGINFOD,
       OPT_DEBUGINFOD_TIMEOUT, OPT_NO_JS_NAMES, OPT_LABEL };

static const struct argp_option record_options[] = {
	{ "pid", 'p', "PID[,PID]", 0, "Trace these running processes (repeatable), and the processes "
	  "they fork", 0 },
	{ "cgroup", CLI_OPT_CGROUP, "DIR", 0, "Trace every process of this cgroup v2 directory and below "
	  "it (a container, a systemd unit), those started later too", 0 },
	{ "no-children", CLI_OPT_NO_CHILDREN, NULL, 0, "Trace only the processes named, not their "
	  "descendants", 0 },
	{ "output", 'o', "FILE", 0, "Perfetto trace to write (default " DEFAULT_OUTPUT ")", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after this long (default: until Ctrl-C or exit)", 0 },
	{ "stall-ms", OPT_STALL_MS, "MS", 0, "Busy time that makes a stall (default 50)", 0 },
	{ "summary", OPT_SUMMARY, "FILE", 0, "Write the summary as JSON; without -o, only the summary "
	  "(summary mode: most syscalls counted in the kernel, no trace)", 0 },
	{ "label", OPT_LABEL, "TEXT", 0, "Name the workload in the summary: check refuses to compare "
	  "runs of different labels", 0 },
	{ "no-compress", OPT_NO_COMPRESS, NULL, 0, "Write the trace without zlib packets", 0 },
	{ "no-libuv", OPT_NO_LIBUV, NULL, 0, "Do not probe libuv (phases, thread pool); "
	  "they cost ~3 us per loop iteration and work item", 0 },
	{ "no-js-names", OPT_NO_JS_NAMES, NULL, 0, "node: do not name JavaScript frames from V8's "
	  "objects in the target's memory (a perf map, where node writes one, still names them)", 0 },
	{ "js-callbacks", OPT_JS_CALLBACKS, NULL, 0, "node: a slice per JS callback entered from native "
	  "code (a uprobe per callback: ~3 us each, costly on busy servers)", 0 },
	{ "sample-hz", OPT_SAMPLE_HZ, "HZ", 0, "On-CPU stack samples per second per CPU (default 99, 0 = off)", 0 },
	{ "call-graph", OPT_CALL_GRAPH, "dwarf|fp", 0, "How user stacks are unwound: dwarf (default: a copy "
	  "of the stack unwound with each binary's .eh_frame, needs no frame pointers) or fp (frame "
	  "pointers walked in the kernel, cheaper; wrong where a binary has none)", 0 },
	{ "debug-dir", OPT_DEBUG_DIR, "DIR[:DIR]", 0, "Where separate debug files are looked for by "
	  "build-id and debuglink (repeatable; replaces the default " LS_DEBUG_DIR_DEFAULT ")", 0 },
	{ "no-debuginfod", OPT_NO_DEBUGINFOD, NULL, 0, "Do not ask debuginfod for debug files "
	  "(asked only when DEBUGINFOD_URLS is set)", 0 },
	{ "debuginfod-timeout", OPT_DEBUGINFOD_TIMEOUT, "SECONDS", 0, "Give up on a debuginfod "
	  "download after this long (default 5)", 0 },
	{ "raw", OPT_RAW, "FILE", 0, "Also save the raw record stream, for `loopscope replay`", 0 },
	{ "folded", OPT_FOLDED, "FILE", 0, "Also write on-CPU stacks in folded (flamegraph) format", 0 },
	{},
};

/*
 * Every file this run writes, and the command it starts when named by a
 * path: no output may replace another, or the program being traced.
 */
static void check_record_paths(const struct argp_state *state, const struct record_opts *o)
{
	const struct path_use u[] = {
		{ o->summary_only ? NULL : o->output, o->output_set ? "-o" : "the trace (default -o)", true },
		{ o->summary, "--summary", true },
		{ o->folded, "--folded", true },
		{ o->raw, "--raw", true },
		{ o->cmd && strchr(o->cmd[0], '/') ? o->cmd[0] : NULL, "the command", false },
	};

	cli_distinct_paths(state, u, sizeof(u) / sizeof(u[0]));
}

/* The options together, once all are known. */
static void check_record_opts(const struct argp_state *state, struct record_opts *o)
{
	if (!o->targets.npids && !o->cmd && !o->targets.cgroup)
		cli_usage_error(state, "nothing to trace: give -p PID, --cgroup DIR or -- CMD");
	if (o->js_callbacks && o->no_libuv)
		cli_usage_error(state, "--js-callbacks needs the libuv probes: drop --no-libuv");
	if ((o->targets.npids || o->targets.cgroup) && o->cmd)
		cli_usage_error(state, "%s and -- CMD conflict: give one target",
				o->targets.npids ? "-p" : "--cgroup");
	o->summary_only = o->summary && !o->output_set && !o->folded;
	check_record_paths(state, o);
}

/* Each DIR of a colon list, in order; arg is argv's, so it is split in place. */
static void add_debug_dirs(struct argp_state *state, struct record_opts *o, char *arg)
{
	char *dir, *save = NULL;

	for (dir = strtok_r(arg, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		if (o->ndebug_dirs >= LS_DEBUG_MAX_DIRS)
			cli_usage_error(state, "at most %d debug directories", LS_DEBUG_MAX_DIRS);
		if (dir[0] != '/')
			cli_usage_error(state, "--debug-dir needs an absolute path, not '%s'", dir);
		o->debuginfo.debug_dirs[o->ndebug_dirs++] = dir;
	}
	if (!o->ndebug_dirs)
		cli_usage_error(state, "empty --debug-dir");
}

static error_t parse_record_opt(int key, char *arg, struct argp_state *state)
{
	struct record_opts *o = state->input;

	if (cli_target_option(key, arg, state, &o->targets))
		return 0;
	switch (key) {
	case 'o':
		if (!*arg)
			cli_usage_error(state, "empty output file name");
		o->output = arg;
		o->output_set = true;
		break;
	case 'd':
		o->duration_s = cli_number(state, "duration", arg, 0.001, 365.0 * 86400);
		break;
	case OPT_STALL_MS:
		o->stall_ms = cli_number(state, "stall threshold", arg, 0.001, 3600.0 * 1000);
		break;
	case OPT_SUMMARY:
		o->summary = arg;
		break;
	case OPT_NO_COMPRESS:
		o->no_compress = true;
		break;
	case OPT_NO_LIBUV:
		o->no_libuv = true;
		break;
	case OPT_NO_JS_NAMES:
		o->no_js_names = true;
		break;
	case OPT_LABEL:
		if (!*arg || strlen(arg) > LS_LABEL_MAX || strspn(arg, LS_LABEL_CHARS) != strlen(arg))
			cli_usage_error(state, "--label: 1 to %d characters of [A-Za-z0-9._:/+-]",
					LS_LABEL_MAX);
		o->label = arg;
		break;
	case OPT_SAMPLE_HZ:
		o->sample_hz = (unsigned)cli_integer(state, "sample rate", arg, 0, 10000);
		break;
	case OPT_FOLDED:
		o->folded = arg;
		break;
	case OPT_JS_CALLBACKS:
		o->js_callbacks = true;
		break;
	case OPT_CALL_GRAPH:
		if (strcmp(arg, "dwarf") && strcmp(arg, "fp"))
			cli_usage_error(state, "--call-graph takes dwarf or fp, not '%s'", arg);
		o->fp_stacks = !strcmp(arg, "fp");
		break;
	case OPT_DEBUG_DIR:
		add_debug_dirs(state, o, arg);
		break;
	case OPT_NO_DEBUGINFOD:
		o->no_debuginfod = true;
		break;
	case OPT_DEBUGINFOD_TIMEOUT:
		o->debuginfo.debuginfod_timeout_s = cli_number(state, "debuginfod timeout", arg, 0.1, 600);
		break;
	case OPT_RAW:
		if (!*arg)
			cli_usage_error(state, "empty raw file name");
		o->raw = arg;
		break;
	case ARGP_KEY_ARG:
		cli_usage_error(state, "unexpected argument '%s' (put the command after --)", arg);
		break;
	case ARGP_KEY_END:
		check_record_opts(state, o);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int record_opts__parse(struct record_opts *o, int argc, char **argv)
{
	const struct cli_command cmd = {
		record_options, parse_record_opt, NULL, record_doc,
		"More diagnostics (twice: libbpf debug)", "No status line or end summary",
	};
	int i;

	*o = (struct record_opts){ .output = DEFAULT_OUTPUT, .stall_ms = 50, .sample_hz = 99,
				   .debuginfo.sz = sizeof(o->debuginfo) };
	/* everything after "--" is the command, argp must not see its options */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "loopscope record: -- needs a command after it\n");
				return LS_EXIT_USAGE;
			}
			o->cmd = &argv[i + 1];
			argc = i;
			break;
		}
	}
	return cli_parse(&cmd, argc, argv, o, &o->common);
}
