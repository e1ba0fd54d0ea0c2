/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The lines record adds after the end summary: where symbols came from and
 * what the trust rules refused, stacks cut or lost, processes followed or
 * not. Each is said when something was missing (always with -v), so a
 * short stack or a missing loop is never taken for the whole.
 */
#ifndef LS_CLI_RECORD_NOTES_H
#define LS_CLI_RECORD_NOTES_H

#include <stdbool.h>
#include "bpf/loopscope.h"

struct proc_syms;
struct debuginfo;
struct tracer;
struct procs;

struct record_notes {
	const struct proc_syms *syms;	/* NULL: none made */
	struct debuginfo *dbg;		/* NULL: none */
	const struct tracer *tracer;
	const struct procs *procs;
	const struct ls_stats *st;	/* the kernel's counters at the end */
	int verbose;
};

void record_notes__print(const struct record_notes *n);

#endif
