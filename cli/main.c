/* SPDX-License-Identifier: BSD-2-Clause */
/* loopscope: dispatches to one command; each command owns its options. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "exitcodes.h"

static const char usage[] =
	"loopscope " LS_VERSION ": trace event loops (epoll, libuv, node) with eBPF\n"
	"\n"
	"USAGE: loopscope COMMAND [OPTIONS]\n"
	"\n"
	"COMMANDS:\n"
	"  record   trace a process (-p PID or -- CMD) into a Perfetto trace\n"
	"  report   show a summary JSON (record --summary) as tables\n"
	"  top      live view of the loops of a running process\n"
	"  agent    trace until stopped; serve the loops' counters to Prometheus\n"
	"  check    compare two summaries; exit 1 on a regression (CI gate)\n"
	"  replay   rebuild a trace and a summary from a raw capture (record --raw)\n"
	"  help     show help for a command: loopscope help check\n"
	"\n"
	"OPTIONS:\n"
	"  -h, --help     this help\n"
	"  -V, --version  print the version\n"
	"\n"
	"EXAMPLES:\n"
	"    loopscope record -p 1234 -d 10    # trace PID 1234 for 10 seconds\n"
	"    loopscope record -- node app.js   # start node and trace it\n"
	"    loopscope report run.json         # tables of a recorded summary\n"
	"    loopscope top -p 1234             # live, refreshed every second\n"
	"    loopscope agent -p 1234 --listen 127.0.0.1:9464   # GET /metrics\n"
	"    loopscope check --baseline base.json cur.json   # CI regression gate\n"
	"\n" LS_EXIT_CODES_HELP;

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "record", cmd_record },
	{ "report", cmd_report },
	{ "top", cmd_top },
	{ "agent", cmd_agent },
	{ "check", cmd_check },
	{ "replay", cmd_replay },
};

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	char *help_argv[] = { NULL, "--help", NULL };
	const struct command *cmd;

	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fputs(usage, stderr);
		return LS_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, stdout);
		return LS_EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("loopscope %s\n", LS_VERSION);
		return LS_EXIT_OK;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			fputs(usage, stdout);
			return LS_EXIT_OK;
		}
		cmd = find_command(argv[2]);
		if (!cmd) {
			fprintf(stderr, "loopscope: no help for unknown command '%s'\n", argv[2]);
			return LS_EXIT_USAGE;
		}
		/* argp names the program after argv[0]: "loopscope CMD" */
		help_argv[0] = argv[2];
		return cmd->fn(2, help_argv);
	}
	cmd = find_command(argv[1]);
	if (cmd)
		return cmd->fn(argc - 1, argv + 1);
	fprintf(stderr, "loopscope: unknown command '%s' (see loopscope --help)\n", argv[1]);
	return LS_EXIT_USAGE;
}
