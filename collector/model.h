/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The model the correlator builds from records, and the sink through which
 * it hands the model to exporters while recording. Exporters see only these
 * types, never a BPF record or map.
 *
 * Ordering contract of the sink callbacks:
 *  - on_thread(t) comes before any call or iteration of t's tid, and again
 *    when the thread is renamed (same tid, new comm) or becomes a loop thread.
 *  - on_thread_exit(t) comes after the last of them; an on_thread for the
 *    same tid after it is a new thread (the tid was reused).
 *  - For one tid, calls and iterations arrive in time order. Across tids
 *    there is no order (the ring buffer is shared by all CPUs).
 *  - An iteration is reported when it completes, i.e. after the calls made
 *    in its busy part; the loop's own epoll call (LS_CALLF_POLL) follows it.
 */
#ifndef LS_MODEL_H
#define LS_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "../bpf/loopscope.h"
#include "hist.h"

/* ls_call.flags, on top of LS_SYSF_* from the ABI */
#define LS_CALLF_POLL		0x100	/* the epoll wait that ends an iteration of a loop thread */
#define LS_CALLF_SYNC_FILE	0x200	/* regular-file I/O on a loop thread: a finding */

struct ls_thread {
	uint32_t pid;
	uint32_t tid;
	char comm[LS_COMM_LEN];
	bool is_loop;
};

struct ls_call {
	uint64_t ts;		/* CLOCK_BOOTTIME ns at entry */
	uint64_t dur;
	int64_t ret;
	int64_t arg;
	int32_t fd;
	uint32_t sys;		/* enum ls_syscall */
	uint32_t fd_kind;	/* enum ls_fd_kind */
	uint32_t flags;		/* LS_SYSF_* | LS_CALLF_* */
	uint32_t pid;
	uint32_t tid;
	uint64_t iter;		/* seq of the iteration it belongs to on this thread, 0 if none */
	int32_t user_stack;	/* a loop thread's file read or write: its user stack's id, -1 none */
};

/*
 * The call an off-CPU period blocked in, matched when the call's record
 * came (it comes after the period's): sys LS_SYS_NONE when none of ours
 * held it (nanosleep, fsync...: the kernel stack says what).
 */
#define LS_WAIT_PATH_MAX	128
struct ls_wait_on {
	uint32_t sys;		/* enum ls_syscall */
	uint32_t fd_kind;	/* enum ls_fd_kind */
	int32_t fd;
	uint32_t path_len;	/* 0: none (not a regular file, or not named) */
	char path[LS_WAIT_PATH_MAX];	/* the target's bytes, untrusted, cut at the max */
};

struct ls_weighted_stack;

/*
 * One pass of a loop: from one epoll return to the next on the same thread.
 * Busy = [start, poll_start): callbacks run here. Poll = [poll_start, end).
 */
struct ls_iteration {
	uint32_t pid;
	uint32_t tid;
	uint64_t seq;		/* 1-based, per thread */
	uint64_t start;
	uint64_t poll_start;
	uint64_t end;
	uint32_t poll_sys;	/* enum ls_syscall of the wait */
	int32_t poll_ret;	/* ready events (or -errno) */
	int64_t poll_timeout;	/* ms, -1 forever */
	uint32_t ncalls;	/* traced calls in the busy part */
	uint32_t nfile_io;	/* of which regular-file I/O */
	bool stall;		/* busy >= the stall threshold */
	uint32_t nsamples;	/* on-CPU samples in the busy part */
	uint32_t top_count;	/* samples of the commonest stack */
	const struct ls_stack *top_user;	/* that stack, NULL if none */
	const struct ls_stack *top_kern;
	uint64_t offcpu_ns;	/* blocked (off CPU) during the busy part */
	const struct ls_stack *off_user;	/* where it blocked longest */
	const struct ls_stack *off_kern;
	uint32_t waker_tid;	/* who woke it from that */
	char waker_comm[LS_COMM_LEN];
	/*
	 * All its stacks with their weights (on-CPU stacks, then the off-CPU
	 * periods of the busy part), for a cause by function: valid during
	 * on_iteration only.
	 */
	uint32_t nweighted;
	const struct ls_weighted_stack *weighted;
};

static inline uint64_t ls_iteration_busy(const struct ls_iteration *it)
{
	return it->poll_start - it->start;
}

static inline uint64_t ls_iteration_poll(const struct ls_iteration *it)
{
	return it->end - it->poll_start;
}

/* A libuv phase on a loop thread, inside the busy part of one iteration. */
struct ls_phase_span {
	uint32_t pid;
	uint32_t tid;
	uint32_t phase;		/* enum ls_phase */
	bool inferred;		/* an inlined phase, placed in the gap between its neighbours */
	uint64_t iter;		/* the iteration it belongs to */
	uint64_t start;
	uint64_t end;
};

/* One thread-pool item (struct uv__work), submit -> pickup -> run -> done. Times 0 = unseen. */
struct ls_work_item {
	uint64_t id;		/* 1-based, unique in the run: usable as a flow id */
	uint64_t work;		/* the uv__work pointer (reused by libuv after done) */
	uint32_t pid;
	uint32_t kind;		/* enum ls_work_kind */
	int32_t named;		/* its entry in ls_pool_summary.named, -1: none */
	uint32_t submit_tid;
	uint32_t worker_tid;
	uint32_t done_tid;
	int32_t queued_at_submit;	/* queue depth including this item */
	bool done_entered;		/* the done callback's entry was seen, not only its return */
	bool sync;			/* run on the loop thread itself (uv_fs_* without a callback) */
	bool queue_unseen;		/* submitted before the pool was probed: not counted as queued */
	uint64_t submit_ts;
	uint64_t pickup_ts;
	uint64_t run_end;
	uint64_t done_start;
	uint64_t done_end;
};

/*
 * Frames of one stack id, leaf first, as the kernel's stack map gave them.
 * Sized to its frames: up to 16,384 of them live for the whole recording.
 */
struct ls_stack {
	int32_t id;
	bool kernel;
	uint32_t nframes;
	uint64_t ips[];
};

/*
 * A stack of an iteration with its weight: the on-CPU samples that had it
 * (samples > 0), or one off-CPU period of the busy part (off_ns > 0).
 */
struct ls_weighted_stack {
	const struct ls_stack *user;	/* NULL when unknown */
	const struct ls_stack *kern;
	uint32_t samples;
	uint64_t off_ns;
	uint32_t waker_tid;		/* off CPU: who woke it */
	char waker_comm[LS_COMM_LEN];
	const struct ls_wait_on *wait;	/* off CPU: the call it blocked in, NULL: unknown */
};

struct ls_sample {
	uint32_t pid;
	uint32_t tid;
	uint32_t cpu;
	uint64_t ts;
	const struct ls_stack *user;	/* NULL when unknown */
	const struct ls_stack *kern;	/* NULL when sampled in user mode */
	uint64_t stack_used;		/* bytes of the thread's stack in use */
	uint64_t stack_size;
};

struct ls_overflow {
	uint32_t kind;			/* enum ls_overflow_kind */
	uint32_t pid;
	uint32_t tid;
	char comm[LS_COMM_LEN];
	uint64_t ts;
	uint64_t fault_addr;
	uint64_t sp;
	uint64_t stack_start;		/* the mapping sp was in */
	uint64_t stack_end;
	uint32_t frames;		/* frame-pointer chain length at the fault */
	bool at_stack_end;		/* SEGV within 64 KiB below the stack: an overflow */
	const struct ls_stack *user;
};

/*
 * A traced process (collector/procs_model.c), from the LS_REC_PROC records:
 * fork, exec, exit, cgroup join, and what user space read of it in /proc.
 * The sink gets it on every change; the summary lists the kept ones.
 */
struct ls_process {
	uint32_t pid;
	uint32_t ppid;			/* 0 = unknown */
	char comm[LS_COMM_LEN];		/* NUL-terminated; "" = unknown */
	uint32_t cmdline_len;		/* bytes of cmdline; 0 = unknown (an exec clears it) */
	char cmdline[LS_PROC_CMDLINE_MAX];	/* the target's bytes, not NUL-terminated: escape them */
	uint64_t first_ts;		/* its first record, 0 if it came from a loop alone */
	uint64_t last_ts;		/* its latest process record (its exit, once exited) */
	uint32_t execs;
	uint32_t loops;			/* loop threads it had */
	bool exited;
};

struct ls_sink {
	void *ctx;
	/*
	 * A process appeared or changed (forked, exec'd, described, renamed by
	 * its main thread) or exited (p->exited: the last report of it). Not
	 * ordered against its threads' callbacks: user space describes a
	 * process after the kernel reported it, so names can come late.
	 */
	void (*on_process)(void *ctx, const struct ls_process *p);
	void (*on_thread)(void *ctx, const struct ls_thread *t);
	void (*on_thread_exit)(void *ctx, const struct ls_thread *t);
	void (*on_call)(void *ctx, const struct ls_thread *t, const struct ls_call *c);
	void (*on_iteration)(void *ctx, const struct ls_thread *t, const struct ls_iteration *it);
	/* the phases of an iteration, in time order, just before its on_iteration */
	void (*on_phase)(void *ctx, const struct ls_thread *t, const struct ls_phase_span *p);
	/*
	 * A thread-pool item after each of its events (enum ls_work_event), in
	 * the order of the thread the event happened on; event 0 = the run
	 * ended with the item incomplete. iter: the iteration in progress on
	 * that thread if it is a loop thread, else 0.
	 */
	void (*on_work)(void *ctx, const struct ls_work_item *w, uint32_t event, uint64_t iter);
	/* thread-pool gauges after a submit, pickup or run end */
	void (*on_pool)(void *ctx, uint32_t pid, uint64_t ts, int32_t queued, int32_t running);
	void (*on_sample)(void *ctx, const struct ls_thread *t, const struct ls_sample *s);
	/* node, --js-callbacks: a JS callback entered from native code, when it returns */
	void (*on_js_callback)(void *ctx, const struct ls_thread *t, const struct ls_phase_span *p);
	void (*on_overflow)(void *ctx, const struct ls_thread *t, const struct ls_overflow *o);
};

struct ls_cause_group;		/* collector/cause.h */

/* ---- summary: what --summary writes and the end-of-run report shows ---- */

#define LS_TOP_STALLS		32	/* longest stalls kept per loop thread */
#define LS_TOP_FILE_FDS		16	/* distinct files kept per sync-file-I/O finding list */
#define LS_FILE_STACK_FRAMES	12	/* a file's stack as a summary is read back: the innermost frames */
#define LS_FRAME_LABEL		160	/* a frame's name, NUL included, as read back */
#define LS_STALL_STACKS		32	/* commonest stacks kept per stall (its cause is made of them) */
#define LS_STALL_JSON_STACKS	5	/* of which the JSON lists */
#define LS_STALL_OFFCPU		8	/* longest off-CPU periods kept per stall */
#define LS_MAX_OVERFLOWS	16	/* overflow records kept */
#define LS_MAX_HWM_THREADS	256	/* threads whose stack high-water mark is kept */

struct ls_stall_stack {
	int32_t user;		/* stack ids, -1 = none */
	int32_t kern;
	uint32_t count;
};

struct ls_stall_off {		/* an off-CPU period in a stall's busy part */
	int32_t user;		/* stack ids, -1 = none */
	int32_t kern;
	uint64_t ns;
	uint32_t waker_tid;
	char waker_comm[LS_COMM_LEN];
	struct ls_wait_on wait;	/* sys LS_SYS_NONE: unknown */
};

struct ls_sys_stats {
	uint64_t count;
	uint64_t errors;
	uint64_t total_ns;
	uint64_t by_fd_kind[LS_FD_KIND_MAX];
	struct ls_hist dur;
};

struct ls_stall {
	uint64_t seq;
	uint64_t start;
	uint64_t busy_ns;
	uint32_t ncalls;
	uint32_t nfile_io;
	uint32_t nsamples;
	uint32_t nstacks;
	struct ls_stall_stack stacks[LS_STALL_STACKS];	/* commonest first */
	uint64_t offcpu_ns;
	int32_t off_user;	/* where it blocked longest, -1 = none */
	int32_t off_kern;
	uint32_t waker_tid;
	char waker_comm[LS_COMM_LEN];
	uint32_t noff;
	struct ls_stall_off off[LS_STALL_OFFCPU];	/* longest first */
};

struct ls_stack_hwm {
	uint32_t tid;
	char comm[LS_COMM_LEN];
	uint64_t used_max;	/* deepest stack use sampled */
	uint64_t size;		/* the stack mapping's size then */
	uint64_t samples;
};

/*
 * Sync regular-file I/O on a loop thread, per file: by its path when user
 * space named it (LS_REC_FD_PATH), else by fd (path_len 0: the fd was
 * closed, or reused, before it could be named).
 */
struct ls_file_io {
	int32_t fd;		/* the first fd it was used through */
	uint32_t sys_mask;	/* bit per enum ls_syscall seen */
	uint64_t count;
	uint64_t total_ns;
	uint64_t max_ns;
	uint64_t first_ts;
	uint32_t path_len;	/* 0: not named */
	uint32_t path_flags;	/* LS_FDP_CUT */
	char path[LS_FD_PATH_MAX];	/* the target's bytes, untrusted */
	/*
	 * The stack that made it: of its longest call that had one (the kernel
	 * takes one per file, then one per 100 ms per thread). Live, an id
	 * (-1: none); read back from a summary, its innermost frames' names.
	 */
	int32_t user_stack;
	uint64_t stack_call_ns;		/* that call's duration; 0: no stack */
	uint32_t stack_nframes;		/* frames the stack had */
	uint32_t nframes;		/* of them in frames[] (read back only) */
	char frames[LS_FILE_STACK_FRAMES][LS_FRAME_LABEL];
};

/* Writes to the target's own perf map (/tmp/perf-PID.map): JIT symbols, not a finding. */
struct ls_perf_map_io {
	uint64_t count;
	uint64_t total_ns;
	uint64_t max_ns;
};

struct ls_phase_stats {
	uint64_t total_ns;
	struct ls_hist dur;
};

struct ls_work_stats {		/* per enum ls_work_kind */
	uint64_t count;		/* items done */
	uint64_t incomplete;	/* submitted or picked up, never done */
	uint64_t sync;		/* run synchronously on a loop thread (fs.*Sync): a finding */
	uint64_t sync_ns;
	struct ls_hist queue;	/* pickup - submit */
	struct ls_hist run;	/* run end - pickup */
	struct ls_hist done;	/* done start - run end */
};

#define LS_MAX_WORKERS 1024
#define LS_MAX_WORK_NAMES 32	/* named kinds kept; later names are counted in named_full */

/* Pool items of one name (their owner's class or their work function), within one kind. */
struct ls_work_named {
	char name[LS_WORK_NAME_MAX];	/* the target's symbol, untrusted */
	uint32_t kind;			/* enum ls_work_kind */
	struct ls_work_stats st;
};

struct ls_pool_summary {
	struct ls_work_stats *kinds[LS_WORK_KIND_MAX];	/* NULL when never seen */
	int32_t max_queued;
	int32_t max_running;
	uint32_t nworkers;				/* distinct worker threads seen */
	uint32_t workers[LS_MAX_WORKERS];
	uint64_t worker_idle_ns;			/* futex waits of the workers */
	uint32_t nnamed;
	struct ls_work_named *named[LS_MAX_WORK_NAMES];	/* by first sight */
	uint64_t named_full;				/* items of a name past the cap: by kind only */
	uint32_t probed_late;				/* pools seen only from a first submit (stripped libuv) */
};

/* The first loops, listed one by one; later loop threads fold into one entry as they exit. */
#define LS_KEEP_LOOPS		32

struct ls_loop_summary {
	uint32_t pid;
	uint32_t tid;			/* 0: the entry of merged exited loop threads */
	char comm[LS_COMM_LEN];
	uint32_t merged;		/* exited loop threads merged into it; 0: one thread */
	uint64_t iterations;
	uint64_t stalls;
	uint64_t stall_total_ns;		/* the busy time of all the stalls */
	bool stall_total_partial;		/* read from a file without it: the kept stalls' sum */
	uint64_t busy_total_ns;
	uint64_t poll_total_ns;
	struct ls_hist busy;
	struct ls_hist poll;
	struct ls_sys_stats *sys[LS_SYS_MAX];	/* NULL when never called */
	uint32_t nstalls_kept;			/* longest first */
	struct ls_stall top_stalls[LS_TOP_STALLS];
	uint32_t nfile_fds;
	uint64_t file_io_calls;
	uint64_t file_io_ns;
	struct ls_file_io file_io[LS_TOP_FILE_FDS];
	struct ls_perf_map_io perf_map;
	struct ls_phase_stats *phases[LS_PHASE_MAX];	/* NULL when never seen */
	/* a summary read back from JSON: its "stall_causes" (the writer makes them from stacks) */
	uint32_t ncauses;
	struct ls_cause_group *causes;
};

struct ls_summary {
	uint64_t first_ts;		/* earliest record seen */
	uint64_t unix_offset_ns;	/* CLOCK_REALTIME - CLOCK_BOOTTIME when recorded; 0 = unknown */
	uint64_t last_ts;		/* latest end seen */
	uint64_t stall_threshold_ns;
	uint64_t records;		/* records accepted */
	uint64_t bad_records;		/* malformed, unknown type, out of order */
	uint64_t threads;		/* distinct threads seen */
	uint64_t other_calls;		/* calls on threads that are not loops */
	uint64_t fd_paths_unkept;	/* file paths not kept (the table was full): by fd instead */
	uint32_t nloops;
	struct ls_loop_summary **loops;	/* by first iteration */
	unsigned uv_version;		/* UV_VERSION_HEX of the target's libuv, 0 if none */
	struct ls_pool_summary pool;
	uint64_t samples;		/* on-CPU samples */
	uint64_t v8_overflows;		/* JS RangeError: Maximum call stack size exceeded */
	uint64_t segv;			/* SIGSEGV signals on the target's threads */
	uint32_t noverflows;
	struct ls_overflow overflows[LS_MAX_OVERFLOWS];
	uint32_t nhwm;
	struct ls_stack_hwm hwm[LS_MAX_HWM_THREADS];
	/*
	 * The processes kept (at most LS_KEEP_PROCS), in order of first sight:
	 * those with loop threads first in line for a place; one without loops
	 * is let go at its exit, so a fork storm leaves nothing behind.
	 */
	uint32_t nprocs;
	struct ls_process **procs;
	uint64_t procs_seen;		/* distinct processes seen (a reused pid counts again) */
	uint64_t procs_merged;		/* processes with loops that found no place in procs */
};

/* ---- processes of a summary (collector/procs_model.c) ---- */

#define LS_KEEP_PROCS		64

/* The kept process of pid, or NULL. */
const struct ls_process *ls_summary_proc(const struct ls_summary *s, uint32_t pid);
/*
 * The name of a loop's process: its kept comm, else the comm of the loop
 * thread whose tid is the pid (the main thread names a process), else l's own.
 */
const char *ls_loop_proc_comm(const struct ls_summary *s, const struct ls_loop_summary *l);
/* Distinct pids among the loops that iterated, merged entries aside. */
unsigned ls_summary_loop_pids(const struct ls_summary *s);
/* Frees s->procs and what it points to (the correlator's and the reader's). */
void ls_summary_free_procs(struct ls_summary *s);

#endif
