/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The kernel side, seen from user space: loads the BPF skeleton for one
 * target, streams its records to a callback, and on stop reports the calls
 * still in flight so none is lost silently.
 */
#ifndef LS_TRACER_H
#define LS_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "bpf/loopscope.h"
#include "uvprobes.h"

typedef int (*tracer_record_fn)(void *ctx, void *data, size_t len);

struct tracer_opts {
	pid_t pid;
	tracer_record_fn on_record;
	void *ctx;
	int verbose;		/* 0: libbpf quiet; 1: warnings; 2: debug */
	const char *btf_path;	/* kernel BTF for CO-RE; NULL: /sys/kernel/btf/vmlinux */
	unsigned sample_hz;	/* on-CPU stack samples per second per CPU; 0 = none */
	uint64_t offcpu_min_ns;	/* off-CPU periods shorter than this are not reported */
	bool summary_only;	/* aggregate most syscalls in the kernel (no per-call records) */
	bool unwind_user;	/* user stacks copied and unwound with CFI (x86-64), not walked by frame pointer */
};

struct tracer;
struct debuginfo;

/* Opens, loads and attaches. -errno; -EPERM/-EACCES mean missing privileges. */
int tracer__start(struct tracer **out, const struct tracer_opts *opts);
/*
 * After tracer__start() failed with err: one line on stderr, "PREFIX:
 * loading BPF programs: <reason> (<hint>)", and the exit code
 * (cli/exitcodes.h): 4 for EPERM, 1 for a resource limit (file
 * descriptors, memory), 5 only when the kernel refused the programs.
 * prefix is "loopscope" or "loopscope top".
 */
int tracer__start_error(const char *prefix, int err);
/* Waits up to timeout_ms, then hands every queued record to on_record. */
int tracer__poll(struct tracer *t, int timeout_ms);
/*
 * Detaches, drains the ring buffer, then passes each call still in flight
 * as a record flagged LS_SYSF_OPEN, lasting until now.
 */
int tracer__stop(struct tracer *t);
void tracer__stats(const struct tracer *t, struct ls_stats *st);
struct user_stacks_stats;
/* The CFI unwinder's counters; false when stacks are walked by frame pointer. */
bool tracer__user_stacks(const struct tracer *t, struct user_stacks_stats *st);
/*
 * Looks for libuv in the target and attaches the phase and thread-pool
 * probes; the result (what was found, what is missing) is kept in t and
 * returned. Missing libuv is not an error. dbg finds the debug file of a
 * stripped libuv (the caller's lookup and options); NULL: uvprobes' own. -errno if attaching failed.
 */
int tracer__attach_libuv(struct tracer *t, bool js_callbacks, struct debuginfo *dbg,
			 const struct uvprobes **out);
void tracer__free(struct tracer *t);

#endif
