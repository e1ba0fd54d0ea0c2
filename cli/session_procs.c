/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The set of processes of a session (session.h): the -p list and --cgroup
 * checked, the processes found in /proc at attach, and the set's changes
 * as the kernel reports them (LS_REC_PROC).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include "cli_util.h"
#include "collector/correlator.h"
#include "collector/record.h"
#include "exitcodes.h"
#include "session_int.h"
#include "tracer.h"

#define LS_CGROUP2_MAGIC	0x63677270	/* linux/magic.h: CGROUP2_SUPER_MAGIC */
#define LS_CGROUP_MAX_LEVEL	64

void session__say_attach_error(const char *prefix, pid_t pid, int err)
{
	if (err == -ESRCH)
		fprintf(stderr, "%s: no such process: %d\n", prefix, pid);
	else if (err == -EPERM)
		fprintf(stderr, "%s: PID %d is a kernel thread: it runs no event loop\n", prefix, pid);
	else if (err == -EDEADLK)
		fprintf(stderr, "%s: PID %d is loopscope itself\n", prefix, pid);
	else
		fprintf(stderr, "%s: cannot inspect PID %d: %s\n", prefix, pid, strerror(-err));
}

/* Each -p PID after the first must be a process we may trace, as the first is. */
static int check_pids(struct session *s)
{
	const struct target_spec *ts = &s->o.targets;
	struct target t;
	unsigned i;
	int err;

	for (i = 1; i < ts->npids; i++) {
		err = target__attach(&t, ts->pids[i]);
		target__close(&t);
		if (err) {
			session__say_attach_error(s->o.prefix, ts->pids[i], err);
			return LS_EXIT_TARGET;
		}
	}
	return 0;
}

/* The cgroup's id as the kernel gives it to BPF: the id of its file handle. */
static int cgroup_id(int fd, uint64_t *id)
{
	struct { struct file_handle fh; uint64_t id; } h = { .fh.handle_bytes = sizeof(uint64_t) };
	int mount_id;

	if (name_to_handle_at(fd, "", &h.fh, &mount_id, AT_EMPTY_PATH))
		return -errno;
	if (h.fh.handle_bytes != sizeof(uint64_t))
		return -EINVAL;
	memcpy(id, h.fh.f_handle, sizeof(*id));
	return 0;
}

/* Levels below the hierarchy's root (the root's inode is 1 on cgroup2). */
static int cgroup_level(int fd, uint32_t *level)
{
	struct stat st;
	int cur = dup(fd), up;

	for (*level = 0; cur >= 0 && *level <= LS_CGROUP_MAX_LEVEL; (*level)++) {
		if (fstat(cur, &st)) {
			close(cur);
			return -errno;
		}
		if (st.st_ino == 1) {
			close(cur);
			return 0;
		}
		up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(cur);
		cur = up;
	}
	if (cur >= 0)
		close(cur);
	return -ELOOP;
}

static int open_cgroup(struct session *s)
{
	const char *dir = s->o.targets.cgroup;
	struct statfs sf;
	int err;

	s->cgroup_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->cgroup_fd < 0) {
		fprintf(stderr, "%s: cannot open cgroup %s: %s\n", s->o.prefix, dir, strerror(errno));
		return LS_EXIT_TARGET;
	}
	if (fstatfs(s->cgroup_fd, &sf) || sf.f_type != LS_CGROUP2_MAGIC) {
		fprintf(stderr, "%s: %s is not a cgroup v2 directory (cgroup2 is often mounted at "
			"/sys/fs/cgroup or /sys/fs/cgroup/unified)\n", s->o.prefix, dir);
		return LS_EXIT_TARGET;
	}
	err = cgroup_id(s->cgroup_fd, &s->cgroup_id);
	if (!err)
		err = cgroup_level(s->cgroup_fd, &s->cgroup_level);
	if (err) {
		fprintf(stderr, "%s: cannot identify cgroup %s: %s\n", s->o.prefix, dir, strerror(-err));
		return LS_EXIT_TARGET;
	}
	return 0;
}

int session__check_targets(struct session *s)
{
	int rc = check_pids(s);

	s->cgroup_fd = -1;
	if (!rc && s->o.targets.cgroup)
		rc = open_cgroup(s);
	return rc;
}

void session__emit(struct session *s, void *data, size_t len)
{
	if (s->o.on_record)
		s->o.on_record(s->o.ctx, data, len);
	correlator__push(s->corr, data, len);	/* rejects are counted in the summary */
}

/* pid joins the session's table, described in the stream; false if it is gone or over the cap. */
static bool follow(struct session *s, pid_t pid)
{
	struct ls_rec_proc info;
	struct proc_entry *e;

	if (procs__describe(pid, &info))
		return false;
	if (!(e = procs__add(&s->procs, pid)))
		return false;
	memcpy(e->comm, info.comm, sizeof(e->comm));
	session__emit(s, &info, sizeof(info));
	return true;
}

/* --comm: the process's name (its main thread's, as the kernel checks at a join) is one of them. */
static bool comm_wanted(const struct target_spec *ts, pid_t pid)
{
	char comm[LS_COMM_LEN + 1];
	int n = target__read_proc(pid, "comm", comm, sizeof(comm));
	unsigned i;

	if (n <= 0)
		return false;
	if (comm[n - 1] == '\n')
		comm[n - 1] = 0;
	for (i = 0; i < ts->ncomms; i++)
		if (!strncmp(comm, ts->comms[i], LS_COMM_LEN))
			return true;
	return false;
}

/* One found in /proc: into the kernel's set, then described. */
static void found(void *ctx, pid_t pid)
{
	struct session *s = ctx;

	/* a cgroup's kernel threads run no loop; tracing ourselves would feed on itself */
	if (procs__find(&s->procs, pid) || !target__traceable(pid))
		return;
	if (s->o.targets.ncomms && !comm_wanted(&s->o.targets, pid))
		return;
	if (tracer__add_proc(s->tracer, pid))
		return;	/* the set is full: counted */
	follow(s, pid);
}

/*
 * Twice: a process forked by one found in the first pass before it was in
 * the set is a child the kernel did not add; the second pass finds it.
 */
void session__add_found(struct session *s)
{
	const struct target_spec *ts = &s->o.targets;
	int pass;
	unsigned i;

	if (s->target.pid)
		follow(s, s->target.pid);
	for (pass = 0; pass < 2; pass++) {
		for (i = 1; i < ts->npids; i++)
			found(s, ts->pids[i]);
		if (!ts->no_children) {
			if (s->target.pid)
				procs__walk_children(s->target.pid, LS_MAX_PROCS, found, s);
			for (i = 1; i < ts->npids; i++)
				procs__walk_children(ts->pids[i], LS_MAX_PROCS, found, s);
		}
		if (s->cgroup_fd >= 0)
			procs__walk_cgroup(s->cgroup_fd, LS_MAX_PROCS, found, s);
	}
}

static void on_proc_event(struct session *s, const struct ls_rec_proc *r)
{
	struct proc_entry *e = procs__find(&s->procs, (pid_t)r->pid);

	switch (r->event) {
	case LS_PROC_FORK:
	case LS_PROC_JOIN:
		follow(s, (pid_t)r->pid);
		break;
	case LS_PROC_EXEC:
		/* set up after this exec (a started command, set up once it ran): nothing to redo */
		if (e && e->probed && e->setup_ts > r->ts) {
			follow(s, (pid_t)r->pid);
			break;
		}
		tracer__detach_libuv(s->tracer, (pid_t)r->pid);
		if (e)
			e->probed = false;
		follow(s, (pid_t)r->pid);	/* its new command line */
		break;
	case LS_PROC_EXIT:
		tracer__detach_libuv(s->tracer, (pid_t)r->pid);
		if (e)
			e->exited = true;
		break;
	}
}

/*
 * A process's first loop wait since its exec (or since we found it):
 * its program has mapped its libraries by now, so the command may look
 * for libuv in it.
 */
static void on_wait(struct session *s, pid_t pid)
{
	struct proc_entry *e = procs__find(&s->procs, pid);

	if (!e || e->probed || e->exited)
		return;
	e->probed = true;
	e->setup_ts = cli_boottime_ns();
	if (s->o.on_process)
		s->o.on_process(s->o.ctx, pid);
}

void session__track(struct session *s, const void *data, size_t len)
{
	__u32 type = *(const __u32 *)data;

	/* after the record itself: an INFO follows its FORK in the stream */
	if (type == LS_REC_PROC && len >= sizeof(struct ls_rec_proc))
		on_proc_event(s, data);
	else if (type == LS_REC_SYSCALL && len >= sizeof(struct ls_rec_syscall) &&
		 ls_sys_is_wait(((const struct ls_rec_syscall *)data)->sys))
		on_wait(s, (pid_t)((const struct ls_rec_syscall *)data)->pid);
}

void session__setup_processes(struct session *s)
{
	size_t i;

	for (i = 0; i < ls_table_cap(&s->procs.t); i++) {
		struct proc_entry *e = ls_table_slot(&s->procs.t, i);

		if (e && !e->probed && !e->exited) {
			e->probed = true;
			e->setup_ts = cli_boottime_ns();
			if (s->o.on_process)
				s->o.on_process(s->o.ctx, e->pid);
		}
	}
}
