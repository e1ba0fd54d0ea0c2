/* SPDX-License-Identifier: BSD-2-Clause */
/* What the commands share (cli_util.h): usage errors, option arguments, paths, exit codes. */
#include <argp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "collector/summary_read.h"
#include "viewer-export/pftrace.h"
#include "viewer-export/text_escape.h"
#include "viewer-export/trace_export.h"
#include "cli_util.h"
#include "target.h"
#include "exitcodes.h"
#include "output.h"

void cli_usage_error(const struct argp_state *state, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "loopscope %s: ", state->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(LS_EXIT_USAGE);
}

void cli_distinct_paths(const struct argp_state *state, const struct path_use *u, size_t n)
{
	size_t a, b;

	int err = output__check_distinct(u, n, &a, &b);

	if (err == -ENOLINK || err == -ENOTNAM) {
		fprintf(stderr, "loopscope %s: cannot write %s: %s\n", state->name, u[a].path,
			output__strerror(err));
		exit(LS_EXIT_OUTPUT);
	}
	/* other errors (a directory missing, ...) are the open's to report, with its reason */
	if (err != -EEXIST)
		return;
	if (!strcmp(u[a].path, u[b].path))
		cli_usage_error(state, "%s and %s name the same file (%s)", u[a].what, u[b].what,
				u[a].path);
	cli_usage_error(state, "%s and %s name the same file (%s and %s)", u[a].what, u[b].what,
			u[a].path, u[b].path);
}

void cli_help(const struct argp_state *state)
{
	argp_help(state->root_argp, stdout, ARGP_HELP_STD_HELP, (char *)state->name);
	exit(LS_EXIT_OK);
}

void cli_bad_option(const struct argp_state *state)
{
	const char *arg = state->next > 0 && state->next <= state->argc ? state->argv[state->next - 1] : "?";

	cli_usage_error(state, "unknown option or missing argument at '%s' (see loopscope help %s)",
			arg, state->name);
}

static error_t parse_common(int key, char *arg, struct argp_state *state)
{
	struct cli_common *c = state->input;

	(void)arg;
	switch (key) {
	case 'v':
		c->verbose++;
		break;
	case 'q':
		c->quiet = true;
		break;
	case 'h':
		cli_help(state);
	case ARGP_KEY_ERROR:
		cli_bad_option(state);
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

struct parse_inputs {
	void *command;
	struct cli_common *common;
};

/* The root only hands each child its input: the command's options, then the common ones. */
static error_t parse_root(int key, char *arg, struct argp_state *state)
{
	const struct parse_inputs *in = state->input;

	(void)arg;
	if (key != ARGP_KEY_INIT)
		return ARGP_ERR_UNKNOWN;
	state->child_inputs[0] = in->command;
	state->child_inputs[1] = in->common;
	return 0;
}

int cli_parse(const struct cli_command *cmd, int argc, char **argv, void *input,
	      struct cli_common *common)
{
	struct argp_option opts[4] = {}, *o = opts;
	error_t err;
	const struct argp command = { cmd->options, cmd->parser, NULL, NULL, NULL, NULL, NULL };
	const struct argp shared = { opts, parse_common, NULL, NULL, NULL, NULL, NULL };
	/* no header and group 0: the help lists all options as one sorted table, as before */
	const struct argp_child children[] = { { &command, 0, NULL, 0 }, { &shared, 0, NULL, 0 }, {} };
	const struct argp root = { NULL, parse_root, cmd->args_doc, cmd->doc, children, NULL, NULL };
	struct parse_inputs in = { input, common };

	if (cmd->verbose_doc)
		*o++ = (struct argp_option){ "verbose", 'v', NULL, 0, cmd->verbose_doc, 0 };
	if (cmd->quiet_doc)
		*o++ = (struct argp_option){ "quiet", 'q', NULL, 0, cmd->quiet_doc, 0 };
	*o = (struct argp_option){ "help", 'h', NULL, 0, "Show this help", -1 };
	argp_err_exit_status = LS_EXIT_USAGE;
	err = argp_parse(&root, argc, argv, ARGP_NO_ERRS | ARGP_NO_HELP, NULL, &in);
	if (err == ENOMEM) {	/* not the user's mistake: said, and a runtime failure */
		fprintf(stderr, "loopscope: reading the options: %s (out of memory: a memory limit? "
			"ulimit -v, the memory cgroup)\n", strerror(ENOMEM));
		return LS_EXIT_FAIL;
	}
	return err ? LS_EXIT_USAGE : 0;
}

double cli_number(const struct argp_state *state, const char *what, const char *arg, double lo,
		  double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	/* decimal only: strtod would also take "0x10" and "inf" */
	if (errno || end == arg || *end || strspn(arg, "0123456789.eE+-") != strlen(arg) ||
	    !(v >= lo && v <= hi))
		cli_usage_error(state, "invalid %s '%s': expected a number in [%g, %g]", what, arg, lo, hi);
	return v;
}

long cli_integer(const struct argp_state *state, const char *what, const char *arg, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < lo || v > hi)
		cli_usage_error(state, "invalid %s '%s': expected a whole number in [%ld, %ld]", what, arg,
				lo, hi);
	return v;
}

void cli_add_pids(const struct argp_state *state, char *arg, struct target_spec *ts)
{
	char *tok, *save = NULL;
	unsigned i;
	pid_t pid;

	if (!*arg)
		cli_usage_error(state, "empty PID list");
	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		pid = (pid_t)cli_integer(state, "PID", tok, 1, 4194304);
		for (i = 0; i < ts->npids && ts->pids[i] != pid; i++)
			;
		if (i < ts->npids)
			continue;	/* named twice: traced once */
		if (ts->npids >= LS_MAX_TARGET_PIDS)
			cli_usage_error(state, "at most %d PIDs", LS_MAX_TARGET_PIDS);
		ts->pids[ts->npids++] = pid;
	}
}

bool cli_target_option(int key, char *arg, const struct argp_state *state, struct target_spec *ts)
{
	switch (key) {
	case 'p':
		cli_add_pids(state, arg, ts);
		return true;
	case CLI_OPT_CGROUP:
		if (!*arg)
			cli_usage_error(state, "empty --cgroup directory");
		ts->cgroup = arg;
		return true;
	case CLI_OPT_NO_CHILDREN:
		ts->no_children = true;
		return true;
	}
	return false;
}

bool cli_color(int fd)
{
	const char *nc = getenv("NO_COLOR");

	return isatty(fd) && !(nc && *nc);
}

int cli_load_summary(const char *cmd, const char *file, struct summary_file **sf)
{
	struct summary_error err;
	int rc = summary_read_file(file, sf, &err);

	if (!rc)
		return 0;
	/* the message may quote the file (a duplicate key): escaped, like the name */
	fprintf(stderr, "loopscope %s: ", cmd);
	ls_esc_fputs(stderr, file);
	fputs(": ", stderr);
	ls_esc_fputs(stderr, err.msg);
	fputc('\n', stderr);
	return LS_EXIT_USAGE;
}

int cli_write_exit(int err)
{
	/* memory or file descriptors ran out: not the output's fault */
	return err == -ENOMEM || err == -EMFILE || err == -ENFILE ? LS_EXIT_FAIL : LS_EXIT_OUTPUT;
}

/*
 * The exporter finishes the writer (trace_export__finish flushes it) and
 * returns the first error of either: memory the export ran out of, or the
 * write that failed. The writer's own error comes first when there is one:
 * the exporter reports a failed write as EIO, and the disk's ENOSPC is the
 * reason. The trace written so far is kept either way: the writer cuts it
 * back to its last whole packet.
 */
int cli_finish_trace(struct trace_export *te, const struct pftrace *pf,
		     const struct ls_export_stats *es)
{
	int err = trace_export__finish(te, es);

	return pftrace__err(pf) ? pftrace__err(pf) : err;
}

uint64_t cli_boottime_ns(void)
{
	struct timespec t;

	return clock_gettime(CLOCK_BOOTTIME, &t) ? 0 : (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

double cli_own_cpu_seconds(void)
{
	struct timespec t;

	return clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) ? 0 : (double)t.tv_sec + t.tv_nsec / 1e9;
}
