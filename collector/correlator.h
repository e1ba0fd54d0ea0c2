/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The correlator: records in, model out. Pure: no globals, no I/O, no
 * clock reads, so tests and replays drive it with synthetic streams.
 *
 * Records from one thread must arrive in that thread's order (the BPF ring
 * buffer guarantees it); records of different threads may interleave in
 * any order. A record that breaks its thread's order, or is malformed, is
 * counted in summary->bad_records and rejected with -EINVAL.
 */
#ifndef LS_CORRELATOR_H
#define LS_CORRELATOR_H

#include <stddef.h>
#include "model.h"

struct correlator;

struct correlator_opts {
	uint64_t stall_threshold_ns;	/* busy time at or above this is a stall */
	struct ls_sink sink;		/* callbacks may be NULL */
};

struct correlator *correlator__new(const struct correlator_opts *opts);
void correlator__free(struct correlator *c);
/* One record, as read from the ring buffer. 0 or -EINVAL. */
int correlator__push(struct correlator *c, const void *rec, size_t len);
const struct ls_summary *correlator__summary(const struct correlator *c);
/* CLOCK_REALTIME - CLOCK_BOOTTIME at the recording's start: the summary's wall-clock times. */
void correlator__set_clock(struct correlator *c, uint64_t unix_offset_ns);
/*
 * The recording's start (CLOCK_BOOTTIME ns): the probes are live from then.
 * Offsets count from it, not from the first record, so an idle target
 * attached to is not said to stall at +0 s. A record earlier moves it back.
 */
void correlator__set_start(struct correlator *c, uint64_t ts);
/* The target's libuv version (UV_VERSION_HEX): decides where inlined phases sit. */
void correlator__set_libuv(struct correlator *c, unsigned version);
/* The frames of a stack id seen in the input, or NULL. */
const struct ls_stack *correlator__stack(const struct correlator *c, int32_t id);
/* End of input: reports thread-pool items that never completed. */
void correlator__finish(struct correlator *c);
/* The thread of tid, or NULL if never seen or exited. */
const struct ls_thread *correlator__thread(const struct correlator *c, uint32_t tid);
/* Threads whose state is held: seen and not exited (memory grows with these). */
size_t correlator__live_threads(const struct correlator *c);
/* Processes whose state is held: seen and not exited. */
size_t correlator__live_procs(const struct correlator *c);

#endif
