/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The agent's model: per loop thread, counters that only grow while the
 * thread lives (iterations, busy time, stalls) and the busy time of each
 * iteration in fixed buckets, as a metrics system scrapes them. Pure: fed
 * by the correlator's sink, time passed in; bounded (LS_FLEET_MAX_LOOPS
 * rows, the overflow counted); a thread that exited keeps its row for a
 * grace period, so its last counts are scraped, then the row goes.
 */
#ifndef LS_FLEET_H
#define LS_FLEET_H

#include <stdint.h>
#include "model.h"

#define LS_FLEET_MAX_LOOPS	256
#define LS_FLEET_BUCKETS	16

/* Upper bounds (inclusive) of the busy buckets, ns: 100 us to 10 s. */
extern const uint64_t ls_fleet_bucket_ns[LS_FLEET_BUCKETS];

struct ls_fleet_loop {
	uint32_t pid, tid;
	char comm[LS_COMM_LEN];		/* the target's bytes, untrusted */
	uint64_t iterations;
	uint64_t busy_ns;		/* sum of the iterations' busy time */
	uint64_t stalls;
	uint64_t stall_ns;		/* busy time of the stalls */
	uint64_t le[LS_FLEET_BUCKETS];	/* iterations with busy <= bound (not cumulated) */
	uint64_t exited_ns;		/* 0: live; else when its exit was seen */
};

struct ls_fleet {
	struct ls_fleet_loop loops[LS_FLEET_MAX_LOOPS];
	uint32_t nloops;
	uint64_t loops_full;		/* iterations of threads past the cap: not counted */
	uint64_t grace_ns;
};

void ls_fleet_init(struct ls_fleet *f, uint64_t grace_ns);
void ls_fleet_iteration(struct ls_fleet *f, const struct ls_thread *th, const struct ls_iteration *it);
void ls_fleet_thread_exit(struct ls_fleet *f, const struct ls_thread *th, uint64_t now_ns);
/* Rows of threads that exited more than the grace period before now go. */
void ls_fleet_expire(struct ls_fleet *f, uint64_t now_ns);

#endif
