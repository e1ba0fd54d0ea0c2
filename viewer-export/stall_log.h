/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The agent's stall log: each stall as one JSON line, for a log pipeline
 * (time, target, duration, and its cause with the cause's callers when the
 * stall was sampled; "cause": null when it was not, or when no frame held
 * most of it). The cause object is the summary's (docs/summary-schema.md).
 */
#ifndef LS_STALL_LOG_H
#define LS_STALL_LOG_H

#include <stdint.h>
#include <stdio.h>
#include "collector/model.h"

struct ls_cause;

struct stall_log_event {
	uint64_t unix_offset_ns;	/* to CLOCK_REALTIME; 0: no wall-clock time */
	const struct ls_thread *thread;
	const struct ls_iteration *it;
	const struct ls_cause *cause;	/* NULL: none to tell */
};

/* One line; 0, or -EIO when f failed. */
int stall_log_write(FILE *f, const struct stall_log_event *e);

#endif
