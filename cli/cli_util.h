/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the commands share: usage errors and option arguments, the path
 * checks made before anything is opened, the checks made before loading
 * BPF, and the exit codes of outputs. Every one of them says one line.
 */
#ifndef LS_CLI_UTIL_H
#define LS_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct argp_state;
struct path_use;
struct summary_file;
struct trace_export;
struct pftrace;
struct ls_export_stats;

/* One line "loopscope CMD: message" on stderr, then exit 2 (argp adds a second line). */
void cli_usage_error(const struct argp_state *state, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
/*
 * After option parsing, before anything is opened: when a written path of
 * u is the same file as another path of u (by identity, not spelling,
 * output__check_distinct()), a usage error naming both options: one line,
 * exit 2. A written path behind another user's link: one line, exit 6.
 * Otherwise returns.
 */
void cli_distinct_paths(const struct argp_state *state, const struct path_use *u, size_t n);
/*
 * For ARGP_KEY_ERROR under ARGP_NO_ERRS: argp's own message is two lines and
 * names the command without "loopscope"; this is one line, naming the argument.
 */
void cli_bad_option(const struct argp_state *state) __attribute__((noreturn));
/* -h/--help under ARGP_NO_HELP (ARGP_NO_ERRS would silence argp's own). */
void cli_help(const struct argp_state *state) __attribute__((noreturn));

/*
 * The options every command shares, -v, -q and -h, parsed by one argp
 * child: a command's parser sees only its own options, and finds these in
 * its struct cli_common (set before its ARGP_KEY_END). What -v and -q do
 * is the command's, so it says so in their help; a NULL text leaves the
 * option out (replay has no -v). A bad option is one line and exit 2
 * (cli_bad_option()), -h the help and exit 0.
 */
struct cli_common {
	int verbose;		/* -v, counted */
	bool quiet;		/* -q */
};

struct cli_command {
	const struct argp_option *options;	/* the command's own */
	error_t (*parser)(int key, char *arg, struct argp_state *state);
	const char *args_doc, *doc;
	const char *verbose_doc, *quiet_doc;
};

/*
 * argp_parse() of argv: input is what the command's parser finds in
 * state->input, common where the shared options go. 0 or LS_EXIT_USAGE
 * (most usage errors exit from the parsers, with their line).
 */
int cli_parse(const struct cli_command *cmd, int argc, char **argv, void *input,
	      struct cli_common *common);
/* A number in [lo, hi] from an option's argument, or a usage error naming what. */
double cli_number(const struct argp_state *state, const char *what, const char *arg, double lo,
		  double hi);
long cli_integer(const struct argp_state *state, const char *what, const char *arg, long lo, long hi);
struct target_spec;
/* -p PID[,PID...]: each PID added to ts (repeatable); a bad one or too many is a usage error. */
void cli_add_pids(const struct argp_state *state, char *arg, struct target_spec *ts);
/* The keys of --cgroup and --no-children, the same in every tracing command. */
enum { CLI_OPT_CGROUP = 900, CLI_OPT_NO_CHILDREN = 901 };
/* -p, --cgroup and --no-children into ts: true when key was one of them. */
bool cli_target_option(int key, char *arg, const struct argp_state *state, struct target_spec *ts);
/* Loads one summary; on failure prints the one-line reason. 0 or LS_EXIT_USAGE. */
int cli_load_summary(const char *cmd, const char *file, struct summary_file **sf);

/* Before loading BPF: capabilities, then kernel BTF. 0 or an exit code, with one line said. */
int cli_check_privileges(const char *cmd);
int cli_check_btf(const char *cmd);

/* Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
bool cli_color(int fd);
/* CLOCK_BOOTTIME now, the records' clock, in ns; 0 if unreadable. */
uint64_t cli_boottime_ns(void);
/* Our own CPU time, user + system, of all our threads; a syscall: not per record. */
double cli_own_cpu_seconds(void);

/*
 * Finishes a trace: the exporter flushes the writer, once. 0 or the error
 * that decides: the writer's (-ENOSPC...) before the exporter's (-ENOMEM).
 */
int cli_finish_trace(struct trace_export *te, const struct pftrace *pf,
		     const struct ls_export_stats *es);
/* The exit code of an output that failed: 1 for -ENOMEM, -EMFILE, -ENFILE, else 6. */
int cli_write_exit(int err);

#endif
