/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by summary_json.c (loops, syscalls) and summary_json_ext.c (libuv, stacks). */
#ifndef LS_SUMMARY_JSON_INT_H
#define LS_SUMMARY_JSON_INT_H

#include <stdio.h>
#include "summary_json.h"

#define NS_PER_MS 1e6
#define NS_PER_US 1e3

void sj_str(FILE *f, const char *str, size_t max);
void sj_key(FILE *f, const char *key);
/* "key":{count, total_ms, p50_ms, p90_ms, p99_ms, max_ms, hist} */
void sj_dist(FILE *f, const char *key, const struct ls_hist *h, uint64_t total_ns);
/* The same, left open for more members: the caller writes the closing brace. */
void sj_dist_open(FILE *f, const char *key, const struct ls_hist *h, uint64_t total_ns);

void sj_phases(FILE *f, const struct ls_loop_summary *l);
/* pid: the stall's loop's, whose process names the frames */
void sj_stall_stacks(FILE *f, const struct ls_stall *st, uint32_t pid,
		     const struct summary_json_meta *m);
/* ,"stack":{...} or null of one file of a loop's sync-file-I/O finding */
void sj_file_stack(FILE *f, const struct ls_file_io *io, uint32_t pid,
		   const struct summary_json_meta *m);
struct ls_cause;
struct ls_cause_group;
/* ,"cause":{...} of one stall */
void sj_stall_cause(FILE *f, const struct ls_cause *c);
/* ,"stall_causes":[...] of a loop: its kept stalls grouped by cause */
void sj_stall_causes(FILE *f, const struct ls_loop_summary *l, const struct ls_cause_group *g,
		     uint32_t n);
void sj_threadpool(FILE *f, const struct ls_summary *s);
void sj_stacks(FILE *f, const struct ls_summary *s, const struct summary_json_meta *m);

#endif
