/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One tracing session, as every tracing command sets it up: the checks made
 * before loading BPF (capabilities, then kernel BTF), the target (attached,
 * or started and held at a gate until the probes are in), the correlator
 * the records go to, the tracer, and the signals that end it. Each step
 * that fails says one line, "PREFIX: ...", and gives the exit code
 * (exitcodes.h): the commands only add what is theirs (outputs, drawing).
 *
 * The order is the one `record` needs: the target is known before the
 * outputs are opened (the trace names it), and a started command runs only
 * once the tracer is attached, so its first instruction is traced.
 *
 *     session__open()    checks, target             (the command opens its outputs)
 *     session__start()   correlator, signals, tracer; a started command runs
 *     session__poll()    until session__stopping()
 *     session__stop()    drains the ring buffer, finishes the correlator
 *     session__free()
 *
 * A session traces a set of processes (procs.h): the first target
 * (session__target(): the first -p PID, or the started command; none with
 * --cgroup alone), the other PIDs of a -p list, the descendants of each
 * (unless --no-children: those that exist at attach, found in /proc, and
 * those forked later, added by the kernel), and a --cgroup's processes.
 * The session describes each process in the stream (LS_PROC_INFO), and
 * calls the command's on_process once per process and program, at start
 * for those known then, and for later ones at their first loop wait (by
 * then a program has mapped its libraries).
 */
#ifndef LS_CLI_SESSION_H
#define LS_CLI_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "collector/model.h"
#include "target.h"
#include "tracer.h"

struct correlator;

struct session_opts {
	const char *cmd;	/* "record", "top": names the command in the checks' lines */
	const char *prefix;	/* "loopscope", "loopscope top": starts the other lines */
	const char *verb;	/* "tracing", "watching": said when -p named a thread */
	struct target_spec targets;	/* attach to these processes (or their threads'), a cgroup */
	char **cmd_argv;	/* or start this command (no pids) */
	uint64_t stall_threshold_ns;
	bool seed_threads;	/* name an attached target's threads before their first event */
	/*
	 * The command's tracer options (sample_hz, offcpu_min_ns,
	 * summary_only, verbose); the session sets pid, on_record, ctx and
	 * btf_path.
	 */
	struct tracer_opts tracer;
	/* Sees each record before the correlator does; may be NULL. */
	tracer_record_fn on_record;
	void *ctx;
	/* A traced process to set up (libuv probes), once per program it runs; may be NULL. */
	void (*on_process)(void *ctx, pid_t pid);
	/* SIGHUP asks the command to reopen its files (session__take_hup()), not to stop. */
	bool hup_reopens;
};

struct session;

/*
 * Checks privileges, then BTF, then attaches to or starts (held) the
 * target. 0, or the exit code with one line said; then *out is NULL and
 * nothing is left to free.
 */
int session__open(struct session **out, const struct session_opts *o);
/*
 * Creates the correlator (its model goes to sink, which may be NULL), sets
 * the signal handling (SIGINT, SIGTERM and SIGHUP ask to stop, a second one
 * kills; SIGHUP only raises session__take_hup() with hup_reopens), names the threads, starts the tracer, then lets a started command
 * run. 0 or the exit code with one line said; session__free() either way.
 */
int session__start(struct session *s, const struct ls_sink *sink);
/* A SIGHUP came since the last call (hup_reopens). */
bool session__take_hup(struct session *s);
/* A signal asked to stop, or the target is gone. */
bool session__stopping(struct session *s);
/* Waits up to timeout_ms and hands every queued record on. 0 or -errno. */
int session__poll(struct session *s, int timeout_ms);
/* After session__poll() failed with err: one line, and the exit code. */
int session__poll_error(const struct session *s, int err);
/* A started command: waits until it runs its own program, its libraries mapped. */
void session__wait_exec(const struct session *s);
/* Calls on_process for every process known now that has not had it. */
void session__setup_processes(struct session *s);
/* Detaches, drains the ring buffer (a failure is said, not fatal), finishes the correlator. */
void session__stop(struct session *s);
/* Ends a started command still running, frees everything. NULL is fine. */
void session__free(struct session *s);

const struct target *session__target(const struct session *s);
/* The processes followed: their entries, and counts. */
const struct procs *session__procs(const struct session *s);
struct correlator *session__correlator(const struct session *s);
struct tracer *session__tracer(const struct session *s);
/* Records read so far. */
uint64_t session__events(const struct session *s);
/* Seconds since the tracer started. */
double session__elapsed(const struct session *s);

#endif
