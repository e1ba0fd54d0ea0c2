/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The accessors of summary_read.c, shared with summary_read_procs.c. Each
 * names the member it failed on as a path; the first failure sticks in
 * r->rc (and r->err), and later calls return it without a new message.
 */
#ifndef LS_SUMMARY_READ_INT_H
#define LS_SUMMARY_READ_INT_H

#include "json.h"
#include "summary_read.h"

struct rd {
	struct summary_error *err;
	int rc;
};

int sr_bad(struct rd *r, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* o's member key, of type t; NULL (and an error) when missing or another type. */
const struct json_value *sr_member(struct rd *r, const struct json_value *o, const char *where,
				   const char *key, enum json_type t);
uint64_t sr_u64(struct rd *r, const struct json_value *o, const char *where, const char *key);
/* A 32-bit field (pid, tid, counts): a larger value is damage, not something to truncate. */
uint32_t sr_u32(struct rd *r, const struct json_value *o, const char *where, const char *key);
double sr_num(struct rd *r, const struct json_value *o, const char *where, const char *key);
/* A string member that may be null; returns an owned copy (NULL for null). */
char *sr_str(struct rd *r, const struct json_value *o, const char *where, const char *key);

uint64_t sr_ms_to_ns(double ms);
/* The enum ls_syscall bits of an array of syscall names (unknown names are ignored). */
uint32_t sr_sys_mask(const struct json_value *a);

/* h from parent's "hist" member (strict: consistent with its count, min and max). */
int sr_read_hist(struct rd *r, const struct json_value *parent, const char *where,
		 struct ls_hist *h);

/* summary_read_uv.c: a loop's "phases", the top-level "threadpool"; optional. */
int sr_read_phases(struct rd *r, const struct json_value *loop, const char *where,
		   struct ls_loop_summary *l);
int sr_read_pool(struct rd *r, const struct json_value *root, struct ls_summary *s);
void sr_free_pool(struct ls_summary *s);

/* summary_read_files.c: sync_file_io's "paths" and "perf_map", optional (older files have none). */
int sr_read_file_paths(struct rd *r, const struct json_value *o, const char *where,
		       struct ls_loop_summary *l);

/* summary_read_procs.c: "processes", optional (files before it have none). */
int sr_read_procs(struct rd *r, const struct json_value *root, struct ls_summary *s);

/* summary_read_causes.c: a loop's "stall_causes", optional. */
int sr_read_causes(struct rd *r, const struct json_value *loop, const char *where,
		   struct ls_loop_summary *l);

#endif
