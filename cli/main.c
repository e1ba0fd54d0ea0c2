/* SPDX-License-Identifier: BSD-2-Clause */
/* loopscope: dispatches to one command; each command owns its options. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "exitcodes.h"
#include "record.h"

static const char usage[] =
	"loopscope " LS_VERSION ": trace event loops (epoll, libuv, node) with eBPF\n"
	"\n"
	"USAGE: loopscope COMMAND [OPTIONS]\n"
	"\n"
	"COMMANDS:\n"
	"  record   trace a process (-p PID or -- CMD) into a Perfetto trace\n"
	"  help     show help for a command: loopscope help record\n"
	"\n"
	"OPTIONS:\n"
	"  -h, --help     this help\n"
	"  -V, --version  print the version\n"
	"\n"
	"EXAMPLES:\n"
	"    loopscope record -p 1234 -d 10    # trace PID 1234 for 10 seconds\n"
	"    loopscope record -- node app.js   # start node and trace it\n"
	"\n" LS_EXIT_CODES_HELP;

int main(int argc, char **argv)
{
	char *help_argv[] = { argv[0], "--help", NULL };

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
		if (!strcmp(argv[2], "record"))
			return cmd_record(2, help_argv);
		fprintf(stderr, "loopscope: no help for unknown command '%s'\n", argv[2]);
		return LS_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "record"))
		return cmd_record(argc - 1, argv + 1);
	fprintf(stderr, "loopscope: unknown command '%s' (see loopscope --help)\n", argv[1]);
	return LS_EXIT_USAGE;
}
