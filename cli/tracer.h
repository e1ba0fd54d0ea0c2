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

/* tracer_opts.pid when the set starts empty (--cgroup alone): no process has this tgid */
#define LS_NO_TGID	((pid_t)-1)

struct tracer_opts {
	pid_t pid;		/* the first target (LS_NO_TGID: none); the rest of the set is tracer__add_proc()'s */
	bool follow_procs;	/* the set holds more than pid: -p lists, children, --cgroup */
	bool follow_children;	/* a traced process's forks join the set */
	uint64_t cgroup_id;	/* --cgroup: its id (0 = none) and level, for bpf_get_current_ancestor_cgroup_id */
	uint32_t cgroup_level;
	/* discovery (target_spec.all, .comms): join at the first loop wait, anywhere unless a cgroup */
	bool join_any, join_at_wait;
	const char (*join_comms)[LS_COMM_LEN];
	unsigned join_ncomms;
	unsigned max_procs;	/* the set's cap; 0: LS_MAX_PROCS */
	tracer_record_fn on_record;
	void *ctx;
	int verbose;		/* 0: libbpf quiet; 1: warnings; 2: debug */
	const char *btf_path;	/* kernel BTF for CO-RE; NULL: /sys/kernel/btf/vmlinux */
	unsigned sample_hz;	/* on-CPU stack samples per second per CPU; 0 = none */
	uint64_t offcpu_min_ns;	/* off-CPU periods shorter than this are not reported */
	bool summary_only;	/* aggregate most syscalls in the kernel (no per-call records) */
	bool unwind_user;	/* user stacks copied and unwound with CFI (x86-64), not walked by frame pointer */
	bool no_js_names;	/* with unwind_user: JavaScript frames not named from V8's heap */
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
/* Of the stack samples, one in 2^shift is taken from now on (the rest counted: samples_shed). */
void tracer__thin_samples(struct tracer *t, unsigned shift);
void tracer__stats(const struct tracer *t, struct ls_stats *st);
struct user_stacks_stats;
/* The CFI unwinder's counters; false when stacks are walked by frame pointer. */
bool tracer__user_stacks(const struct tracer *t, struct user_stacks_stats *st);
/*
 * Adds process pid to the traced set (one found in /proc: a descendant at
 * attach, a -p list's, a cgroup's). 0, or -ENOSPC when the set is full
 * (counted in procs_full, as the kernel counts its own).
 */
int tracer__add_proc(struct tracer *t, pid_t pid);
/* Whether pid is in the traced set now. */
bool tracer__has_proc(const struct tracer *t, pid_t pid);

/*
 * Looks for libuv in process pid and attaches the phase and thread-pool
 * probes for that process; the result (what was found, what is missing)
 * is kept in t and returned. Missing libuv is not an error. dbg finds the
 * debug file of a stripped libuv (the caller's lookup and options); NULL:
 * uvprobes' own. -errno if attaching failed; -ENOSPC past
 * LS_MAX_UV_PROCS processes probed at once.
 */
#define LS_MAX_UV_PROCS	64
int tracer__attach_libuv(struct tracer *t, pid_t pid, bool js_callbacks, struct debuginfo *dbg,
			 const struct uvprobes **out);
/* Removes pid's libuv probes (it exited or ran a new program). */
void tracer__detach_libuv(struct tracer *t, pid_t pid);
void tracer__free(struct tracer *t);

#endif
