/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The processes a session follows, as user space knows them: those found
 * in /proc at attach (a target's descendants, a -p list, a cgroup's), and
 * those the kernel added later (LS_REC_PROC: fork, cgroup join), until
 * their exit. Each is described once from /proc (comm, parent, command
 * line: the target's bytes, untrusted, bounded) in an LS_PROC_INFO record
 * that goes down the stream like the kernel's, so raw files and replay
 * name processes too. Bounded by LS_MAX_PROCS, as the kernel's set is.
 */
#ifndef LS_CLI_PROCS_H
#define LS_CLI_PROCS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "bpf/loopscope.h"
#include "collector/table.h"

struct proc_entry {
	pid_t pid;
	char comm[LS_COMM_LEN];	/* at its last description; the target's bytes */
	bool probed;		/* the command's per-process setup ran (libuv probes) since its exec */
	uint64_t setup_ts;	/* CLOCK_BOOTTIME of that setup: an exec before it needs none again */
	bool exited;
};

struct procs {
	struct ls_table t;	/* of struct proc_entry, by pid */
	uint64_t seen;		/* processes followed in all */
	uint64_t full;		/* not kept: LS_MAX_PROCS live */
};

void procs__init(struct procs *p);
void procs__free(struct procs *p);

/* pid's entry, made if new (NULL at the cap, counted). */
struct proc_entry *procs__add(struct procs *p, pid_t pid);
struct proc_entry *procs__find(const struct procs *p, pid_t pid);
/* Processes not known to have exited. */
unsigned procs__live(const struct procs *p);
/* Looks for exits the stream did not tell (a lost record): kill(pid, 0) says ESRCH. */
void procs__reap(struct procs *p);

/* An LS_PROC_INFO record of pid as /proc shows it now; -errno when it is gone. */
int procs__describe(pid_t pid, struct ls_rec_proc *r);

typedef void (*procs_found_fn)(void *ctx, pid_t pid);
/*
 * Calls fn for every descendant of root that exists now (its threads'
 * children files, depth first), at most max of them; root itself is not
 * called. The count of those called.
 */
unsigned procs__walk_children(pid_t root, unsigned max, procs_found_fn fn, void *ctx);
/* Calls fn for each process of cgroup directory dir and below it; the count, or -errno. */
int procs__walk_cgroup(int dir_fd, unsigned max, procs_found_fn fn, void *ctx);

#endif
