/* SPDX-License-Identifier: BSD-2-Clause */
/* What session.c and session_procs.c share: the session itself. */
#ifndef LS_CLI_SESSION_INT_H
#define LS_CLI_SESSION_INT_H

#include <time.h>
#include "procs.h"
#include "session.h"

struct session {
	struct session_opts o;
	struct target target;	/* the first target; pid 0 with --cgroup alone */
	struct procs procs;	/* every process followed, the first target too */
	int cgroup_fd;		/* --cgroup's directory, -1 = none */
	uint64_t cgroup_id;
	uint32_t cgroup_level;
	struct tracer *tracer;
	struct correlator *corr;
	uint64_t events;
	struct timespec started;
	double next_reap;	/* seconds: when procs__reap() runs next */
};

/* session_procs.c */
/* The one line for a PID that cannot be traced (-ESRCH, -EPERM: a kernel thread, -EDEADLK: us). */
void session__say_attach_error(const char *prefix, pid_t pid, int err);
/* Checks the other -p PIDs and opens --cgroup: 0 or the exit code, its line said. */
int session__check_targets(struct session *s);
/* After the tracer started: the processes of the set found in /proc, added and described. */
void session__add_found(struct session *s);
/* A record before the correlator: follows the set's changes. */
void session__track(struct session *s, const void *data, size_t len);
/* Hands a record made by the session to the command's hook and the correlator. */
void session__emit(struct session *s, void *data, size_t len);

#endif
