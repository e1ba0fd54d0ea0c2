/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A symbolizer per traced process (record's): made at the process's first
 * stack or setup, while its maps can be read, kept to the end of the run
 * (names it gave stay valid until then), at most LS_MAX_SYMBOLIZED_PROCS.
 * Kernel frames are named by the first one made.
 */
#ifndef LS_CLI_PROC_SYMS_H
#define LS_CLI_PROC_SYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "collector/symbolize.h"

#define LS_MAX_SYMBOLIZED_PROCS	64

struct proc_syms;

/* opts are copied; what they point to (the debuginfo) is borrowed. NULL when out of memory. */
struct proc_syms *proc_syms__new(const struct symbolizer_opts *opts);
void proc_syms__free(struct proc_syms *ps);

/* pid's symbolizer, made now if it has none; NULL past the cap (counted) or if pid is gone. */
struct symbolizer *proc_syms__get(struct proc_syms *ps, pid_t pid);
/* symbolizer__resolve() with pid's symbolizer (made if needed); -ENOENT without one. */
int proc_syms__resolve(struct proc_syms *ps, uint32_t pid, uint64_t ip, bool kernel,
		       struct ls_frame_info *out);
/* proc_syms__resolve() as a stall cause's resolver (ctx: the proc_syms, or NULL: -ENOENT). */
int proc_syms__resolve_cb(void *ctx, uint32_t pid, uint64_t ip, bool kernel, struct ls_frame_info *out);
/*
 * A record as it goes by (before the correlator): a process's first
 * sample, off-CPU or file-call stack makes its symbolizer while its maps can be read
 * (a child may be short-lived), an overflow refreshes its process's names
 * while the thread lives, and a JavaScript frame's name is told to its
 * process's symbolizer.
 */
void proc_syms__on_record(struct proc_syms *ps, const void *data, size_t len);
/* Re-reads the maps and perf maps of the processes still alive. */
void proc_syms__refresh(struct proc_syms *ps);
/* pid's symbolizer refreshed now, if it has one (its thread may die at once). */
void proc_syms__refresh_one(struct proc_syms *ps, pid_t pid);
/* Every symbolizer's counters added together; refused/found flags of any. */
void proc_syms__stats(const struct proc_syms *ps, struct symbolizer_stats *st);
/* symbolizer__sources() of the first process (its program's modules). */
int proc_syms__sources(const struct proc_syms *ps, char *buf, size_t len);
/* Processes whose frames went unnamed: no symbolizer left for them. */
uint64_t proc_syms__full(const struct proc_syms *ps);
/* CPU seconds spent making a process's symbolizer, or re-reading it after an exec (0 for NULL). */
double proc_syms__setup_cpu(const struct proc_syms *ps);

#endif
