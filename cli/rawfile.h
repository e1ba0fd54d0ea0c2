/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The raw capture (`record --raw`): every record the correlator was given,
 * as it was given, so `replay` can rebuild the model and its outputs later,
 * and the collector can be benchmarked on a real stream. Format: the magic
 * "LSRAW\5\0\0" (2: LS_REC_PROC, the pid in ls_sys_agg_key; 3: ino and dev in
 * ls_rec_syscall, LS_REC_FD_PATH, the procfs/sysfs/pseudofs fd kinds; 4: work_fn
 * and owner in ls_rec_uv_work, LS_REC_WORK_NAME; 5: user_stack in
 * ls_rec_syscall), then
 * per record a little-endian u32 length and its bytes.
 */
#ifndef LS_RAWFILE_H
#define LS_RAWFILE_H

#include <stddef.h>
#include <stdio.h>

#define LS_RAW_MAGIC		"LSRAW\5\0"	/* with its NUL: 8 bytes */
#define LS_RAW_MAX_RECORD	4096

/* 0, or -errno of the write that failed (-ENOSPC, ...; -EIO when libc gave none). */
int rawfile__write_header(FILE *f);
int rawfile__write(FILE *f, const void *rec, size_t len);
/* 0 and *len at a record, 1 at the end, -EINVAL on a corrupt or truncated file. */
int rawfile__read(FILE *f, void *buf, size_t cap, size_t *len);
/* 0 if f starts with the magic, else -EINVAL. */
int rawfile__check_header(FILE *f);

#endif
