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
#include "busy_window.h"
#include "model.h"

#define LS_FLEET_MAX_LOOPS	512
#define LS_FLEET_MAX_POOLS	256	/* (process, work kind) rows */
#define LS_FLEET_BUCKETS	16
#define LS_FLEET_MAX_PROCS	256	/* processes with a cgroup label */
#define LS_FLEET_CGROUP_LEN	192	/* a longer path keeps its tail, after "..." */

/* Upper bounds (inclusive) of the buckets, ns: 100 us to 10 s. */
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
	struct ls_busy_window win;	/* since the last scrape: loopscope_loop_utilization */
};

/* A process's cgroup v2 path as it was when the process was found (the label "cgroup"). */
struct ls_fleet_proc {
	uint32_t pid;
	char cgroup[LS_FLEET_CGROUP_LEN];	/* NUL-terminated; names a target may choose */
	uint64_t exited_ns;
};

/* A process's thread pool, one kind of work: how long items waited for a worker. */
struct ls_fleet_pool {
	uint32_t pid, kind;		/* enum ls_work_kind */
	uint64_t items;			/* picked up by a worker, their queue time known */
	uint64_t queue_ns;
	uint64_t le[LS_FLEET_BUCKETS];
	uint64_t exited_ns;		/* 0: its process lives */
};

struct ls_fleet {
	struct ls_fleet_loop loops[LS_FLEET_MAX_LOOPS];
	uint32_t nloops;
	uint64_t loops_full;		/* iterations of threads past the cap: not counted */
	struct ls_fleet_pool pools[LS_FLEET_MAX_POOLS];
	uint32_t npools;
	uint64_t pools_full;		/* items past the cap: not counted */
	struct ls_fleet_proc procs[LS_FLEET_MAX_PROCS];
	uint32_t nprocs;
	uint64_t grace_ns;
};

void ls_fleet_init(struct ls_fleet *f, uint64_t grace_ns);
void ls_fleet_iteration(struct ls_fleet *f, const struct ls_thread *th, const struct ls_iteration *it);
void ls_fleet_thread_exit(struct ls_fleet *f, const struct ls_thread *th, uint64_t now_ns);
/* A pool item's event (ls_sink.on_work): its queue time at pickup. */
void ls_fleet_work(struct ls_fleet *f, const struct ls_work_item *w, uint32_t event);
/* The process's pool rows start their grace period. */
void ls_fleet_process_exit(struct ls_fleet *f, uint32_t pid, uint64_t now_ns);
/*
 * pid's cgroup, from its /proc/PID/cgroup text (the "0::" line of cgroup
 * v2); no such line leaves it unlabelled. Past the cap it is not kept.
 */
void ls_fleet_process_cgroup(struct ls_fleet *f, uint32_t pid, const char *proc_cgroup);
/* pid's cgroup label, "" when unknown. */
const char *ls_fleet_cgroup_of(const struct ls_fleet *f, uint32_t pid);
/* A scrape was written: every loop's utilization window starts again. */
void ls_fleet_scraped(struct ls_fleet *f);
/* Rows that exited more than the grace period before now go. */
void ls_fleet_expire(struct ls_fleet *f, uint64_t now_ns);

#endif
