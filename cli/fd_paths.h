/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Names the stored files the traced processes do I/O on: the first call
 * on a (pid, fd, ino, dev) becomes an LS_REC_FD_PATH record, pushed down
 * the stream ahead of the call, so the correlator, raw files and replay
 * all have it. Bounded: a direct-mapped cache of the files already tried.
 */
#ifndef LS_FD_PATHS_H
#define LS_FD_PATHS_H

#include <stdbool.h>
#include "collector/record.h"

struct fd_paths;

struct fd_paths *fd_paths__new(void);
void fd_paths__free(struct fd_paths *fp);
/*
 * r is a syscall record: true when it is the first seen on its stored
 * file and the file was named, *out filled. False for a file tried before,
 * one gone (closed, or its fd reused for another file: never a wrong path)
 * or anything else.
 */
bool fd_paths__name(struct fd_paths *fp, const struct ls_rec_syscall *r,
		    struct ls_rec_fd_path *out);

#endif
