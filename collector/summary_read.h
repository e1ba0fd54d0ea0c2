/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary_read: loads a summary JSON (docs/summary-schema.md) back into the
 * model, with every histogram rebuilt bucket for bucket, so `report` and
 * `check` work on the same struct ls_summary that `record` wrote from.
 *
 * The reader is strict about what it needs (types, ranges, a histogram
 * consistent with its count, min and max, the bucket scheme of this build)
 * and ignores members it does not know: additions keep schema_version 1.
 */
#ifndef LS_SUMMARY_READ_H
#define LS_SUMMARY_READ_H

#include <stddef.h>
#include <stdint.h>
#include "model.h"

#define LS_SUMMARY_SCHEMA_VERSION	1
#define LS_SUMMARY_MAX_LOOPS		512
#define SUMMARY_LABEL_MAX		64	/* "label" (record --label): bytes */

struct summary_file {
	unsigned schema_version;
	char version[32];
	char *command;			/* NULL when the JSON has null */
	char *label;			/* record --label; NULL when none */
	char *trace;			/* NULL when the JSON has null */
	uint32_t pid;
	double duration_s;
	uint64_t drops_rb, drops_inflight, drops_missed_exit, bad_records;
	struct ls_summary s;		/* loops and their syscall stats are owned */
	char *raw;			/* the validated document, as read */
	size_t raw_len;
};

struct summary_error {
	char msg[192];			/* "byte 12: ..." or "loops[0].busy.hist: ..." */
};

/* 0, -EINVAL (syntax or schema, err says what), -EFBIG (too large), -ENOMEM. */
int summary_read_buf(const char *buf, size_t len, struct summary_file **out,
		     struct summary_error *err);
/* path "-" reads stdin. Adds -errno of open/read (-ENOENT, -EISDIR, ...). */
int summary_read_file(const char *path, struct summary_file **out, struct summary_error *err);
void summary_file_free(struct summary_file *f);

/* Total drops of any kind: a comparison of runs that lost data is suspect. */
uint64_t summary_file_drops(const struct summary_file *f);

#endif
