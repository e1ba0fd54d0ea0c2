/* SPDX-License-Identifier: BSD-2-Clause */
/* `loopscope record` and `loopscope replay`, and the trace finishing they share. */
#ifndef LS_CLI_RECORD_H
#define LS_CLI_RECORD_H

#include <stddef.h>

int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);

struct trace_export;
struct pftrace;
struct ls_export_stats;

/*
 * Finishes a trace: the exporter flushes the writer, once. 0 or the error
 * that decides: the writer's (-ENOSPC...) before the exporter's (-ENOMEM).
 */
int cli_finish_trace(struct trace_export *te, const struct pftrace *pf,
		     const struct ls_export_stats *es);
/* The exit code of an output that failed: 1 for -ENOMEM, -EMFILE, -ENFILE, else 6. */
int cli_write_exit(int err);

#endif
