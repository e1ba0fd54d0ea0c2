/* SPDX-License-Identifier: BSD-2-Clause */
/* The traced process: found by PID or started from a command line. */
#ifndef LS_TARGET_H
#define LS_TARGET_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>
#include "bpf/loopscope.h"

/*
 * What a command was asked to trace: -p PID[,PID...] (repeatable), or a
 * command (the command's own option), and --cgroup DIR; children are
 * followed unless --no-children.
 */
#define LS_MAX_TARGET_PIDS	64

struct target_spec {
	pid_t pids[LS_MAX_TARGET_PIDS];
	unsigned npids;
	bool no_children;
	const char *cgroup;	/* a cgroup v2 directory, or NULL */
	/*
	 * The agent's discovery: every process of the host (all), or those
	 * whose main thread is named one of comms, each joining at its first
	 * loop wait (within cgroup when given too); max_procs at once.
	 */
	bool all;
	char comms[LS_JOIN_COMMS][LS_COMM_LEN];
	unsigned ncomms;
	unsigned max_procs;	/* 0: LS_MAX_PROCS */
};

/* Processes join as they are found, not from a first target: the session lives until stopped. */
static inline bool target_spec_discovers(const struct target_spec *ts)
{
	return ts->all || ts->ncomms;
}

struct target {
	pid_t pid;		/* the process (thread group) traced */
	pid_t thread;		/* the thread id given when it was not pid itself; else 0 */
	int pidfd;		/* -1 when pidfd_open is unavailable */
	bool spawned;		/* we started it (-- CMD) and must reap it */
	int gate_fd;		/* write end of the pipe the child waits on before exec */
	int exit_status;	/* wait status once reaped, spawned targets only */
	bool exited;
	char name[256];		/* comm, or argv[0] for spawned commands */
	char cmdline[1024];	/* space-separated */
};

/*
 * Checks that pid exists and can be traced: 0, -ESRCH, -EPERM (a kernel
 * thread), -EDEADLK (ourselves). pid may be any thread of a process: then
 * t->pid is the process and t->thread the thread id given.
 */
int target__attach(struct target *t, pid_t pid);
/* Forks argv held at a gate: it runs (execvp) only after target__release(). */
int target__spawn(struct target *t, char **argv);
/* Lets a spawned child exec. -errno if exec failed (it reports through the gate). */
int target__release(struct target *t);
/* True once the target has exited (reaps spawned ones). Never blocks. */
bool target__exited(struct target *t);
/* Ends a spawned target still running (SIGTERM, then SIGKILL after grace_ms) and reaps it. */
void target__stop(struct target *t, int grace_ms);
void target__close(struct target *t);

/*
 * The comm and command line (arguments joined by spaces) of a process, as
 * /proc shows them now: the process's own bytes, for display escaped.
 */
/* pid is a live user process, not a kernel thread, not loopscope itself. */
bool target__traceable(pid_t pid);
/* Up to sz - 1 bytes of /proc/PID/NAME, NUL-terminated: the length, or -errno. */
int target__read_proc(pid_t pid, const char *name, char *buf, size_t sz);
void target__identity(pid_t pid, char *name, size_t name_sz, char *cmdline, size_t cmdline_sz);

typedef void (*target_thread_fn)(void *ctx, pid_t tid, const char *comm);
/* Calls fn for each thread of the target that exists now. */
int target__threads(const struct target *t, target_thread_fn fn, void *ctx);

#endif
