/* SPDX-License-Identifier: BSD-2-Clause */
/* The short human summary `record` prints at the end of a run. */
#ifndef LS_SUMMARY_TEXT_H
#define LS_SUMMARY_TEXT_H

#include <stdio.h>
#include "collector/correlator.h"
#include "collector/model.h"
#include "collector/symbolize.h"

struct summary_text_meta {
	uint64_t rb_drops;
	uint64_t other_drops;		/* inflight map full, missed exits */
	uint64_t events;
	double duration_s;
	const char *trace_path;		/* NULL when no trace was written */
	const char *summary_path;	/* NULL when no JSON was written */
	/* for stack frames, in the process of pid (a stall's loop, an
	 * overflow's thread); both may be NULL (then frames print as addresses) */
	const struct correlator *corr;
	int (*resolve)(void *ctx, uint32_t pid, uint64_t ip, bool kernel, struct ls_frame_info *out);
	void *resolve_ctx;
};

void summary_text__write(FILE *f, const struct ls_summary *s, const struct summary_text_meta *m);
/*
 * The recursion in a stack, outermost call first ("f -> g -> f"), or ""
 * when no cycle repeats at least three times at its top. names: leaf first.
 */
const char *ls_recursion(char *buf, size_t sz, const char *const *names, size_t n);
/*
 * The header of a process's loops when several processes have loops,
 * "PID 101 nginx: nginx: worker process" (comm, then the command line when
 * known), escaped for the terminal, into buf (LS_PROC_HEADER_SIZE).
 */
#define LS_PROC_HEADER_SIZE	1200
const char *ls_proc_header(char *buf, size_t sz, const struct ls_summary *s,
			   const struct ls_loop_summary *l);
/* A finding's file for the terminal: its escaped path, or "fd N (closed before it was named)". */
const char *ls_file_io_label(char *buf, size_t sz, const struct ls_file_io *io);
/* "read,pread64": the syscalls of a mask (bit per enum ls_syscall), into buf. */
const char *ls_sys_mask_names(char *buf, size_t sz, uint32_t mask);
/* "1.23 ms"-style duration, into buf. */
const char *ls_fmt_duration(char *buf, size_t sz, uint64_t ns);

#endif
