/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The commands main() dispatches to: one function each, given the command's
 * own argv (argv[0] is its name). Each returns an exit code (exitcodes.h).
 * A new command is a file of cli/, a line here and a row of main.c's table.
 */
#ifndef LS_CLI_COMMANDS_H
#define LS_CLI_COMMANDS_H

int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_agent(int argc, char **argv);

#endif
