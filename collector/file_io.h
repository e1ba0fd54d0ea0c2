/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The sync-file-I/O finding of a loop (struct ls_file_io, per file): adding
 * a call, merging two loops' lists, ordering them for output, and telling
 * the target's own perf map (listed apart, not a finding).
 */
#ifndef LS_FILE_IO_H
#define LS_FILE_IO_H

#include <stdbool.h>
#include <stddef.h>
#include "model.h"

/* "/tmp/perf-<digits>.map", exactly. */
bool ls_path_is_perf_map(const char *path, size_t len);
/* A blocking call on a stored file, named by path (len 0: by its fd only). */
void ls_file_io_add(struct ls_loop_summary *l, const struct ls_call *call, const char *path,
		    uint32_t len, uint32_t flags);
void ls_perf_map_add(struct ls_loop_summary *l, const struct ls_call *call);
/* dst's stack becomes src's (id or names, and its call's duration). */
void ls_file_io_take_stack(struct ls_file_io *dst, const struct ls_file_io *src);
/* dst's list += src's (same file: same path, or both unnamed on the same fd). */
void ls_file_io_merge(struct ls_loop_summary *dst, const struct ls_loop_summary *src);
/* The indexes of l's files, most total time first; returns how many (<= LS_TOP_FILE_FDS). */
unsigned ls_file_io_by_time(const struct ls_loop_summary *l, unsigned idx[LS_TOP_FILE_FDS]);

#endif
