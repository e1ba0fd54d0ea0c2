/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report_text: `loopscope report` tables of a summary read back from JSON,
 * in the perf report / runqlat manner: fixed-width columns under 80
 * characters, durations through one formatter, a log2 histogram of busy
 * time per loop.
 */
#ifndef LS_REPORT_TEXT_H
#define LS_REPORT_TEXT_H

#include <stdbool.h>
#include <stdio.h>
#include "collector/summary_read.h"

struct report_text_opts {
	const char *name;	/* the file shown in the heading */
	unsigned top;		/* rows per table (loops, syscalls, stalls, fds); 0: all */
	bool color;		/* bold headings (the caller decides: tty and no NO_COLOR) */
	bool hist;		/* the busy-time histogram of each loop */
};

void report_text__write(FILE *f, const struct summary_file *sf, const struct report_text_opts *o);
/* Loop indexes sorted by busy time, longest first; returns how many (at most max). */
unsigned report_loop_order(const struct ls_summary *s, unsigned *idx, unsigned max);

#endif
