/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Wall-clock times of records: their CLOCK_BOOTTIME timestamps plus the
 * offset to CLOCK_REALTIME the recording took at its start
 * (ls_summary.unix_offset_ns). A summary without it (replayed, or older)
 * has no wall-clock times: "" rather than a guess.
 */
#ifndef LS_WALLCLOCK_H
#define LS_WALLCLOCK_H

#include <stddef.h>
#include <stdint.h>

enum ls_wall_style {
	LS_WALL_ISO,	/* 2026-12-02T06:41:36.123Z */
	LS_WALL_TIME,	/* 06:41:36.123 UTC */
};

/* ts (CLOCK_BOOTTIME ns) as UTC in buf; "" when unix_offset_ns is 0. Returns buf. */
const char *ls_wallclock(char *buf, size_t len, uint64_t ts, uint64_t unix_offset_ns,
			 enum ls_wall_style style);

#endif
