/* SPDX-License-Identifier: BSD-2-Clause */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "target.h"

static int read_small(const char *path, char *buf, size_t sz);

int target__read_proc(pid_t pid, const char *name, char *buf, size_t sz)
{
	char path[300];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	return read_small(path, buf, sz);
}

static int read_small(const char *path, char *buf, size_t sz)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sz - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

void target__identity(pid_t pid, char *name, size_t name_sz, char *cmdline, size_t cmdline_sz)
{
	char path[64];
	int i, n;

	name[0] = cmdline[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (read_small(path, name, name_sz) > 0)
		name[strcspn(name, "\n")] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	n = read_small(path, cmdline, cmdline_sz);
	for (i = 0; i < n - 1; i++)
		if (cmdline[i] == '\0')
			cmdline[i] = ' ';
}

static void read_identity(struct target *t)
{
	target__identity(t->pid, t->name, sizeof(t->name), t->cmdline, sizeof(t->cmdline));
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

#define LS_PF_KTHREAD 0x00200000	/* include/linux/sched.h */

/* Flags field of /proc/PID/stat (the 9th), or -errno; a zombie counts as gone. */
static long proc_flags(pid_t pid)
{
	char path[64], buf[1024], *p, state;
	unsigned long flags;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	p = strrchr(buf, ')');	/* comm may hold spaces and parens */
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2)
		return -EINVAL;
	if (state == 'Z' || state == 'X')
		return -ENOENT;
	return (long)flags;
}

/* The Tgid of /proc/TID/status: the process a thread id belongs to, or -errno. */
static pid_t thread_group(pid_t tid)
{
	char path[64], buf[4096], *p;
	long tgid;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT ? -ESRCH : n;
	p = strstr(buf, "\nTgid:");
	if (!p || sscanf(p + 6, "%ld", &tgid) != 1 || tgid <= 0)
		return -EINVAL;
	return (pid_t)tgid;
}

bool target__traceable(pid_t pid)
{
	long flags = pid == getpid() ? -EDEADLK : proc_flags(pid);

	return flags >= 0 && !(flags & LS_PF_KTHREAD);
}

int target__attach(struct target *t, pid_t pid)
{
	pid_t tgid;
	long flags;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->gate_fd = -1;
	t->pidfd = -1;
	if (pid <= 0)
		return -EINVAL;
	if (pid == getpid())
		return -EDEADLK;
	flags = proc_flags(pid);
	if (flags == -ENOENT)
		return -ESRCH;
	if (flags < 0)
		return (int)flags;
	if (flags & LS_PF_KTHREAD)
		return -EPERM;	/* kernel threads make no syscalls from user space */
	/*
	 * A thread id (a loop thread, as top -H shows it) stands for its
	 * process: the probes filter on the process, and follow all of its
	 * threads. Its leader may be a zombie while other threads run.
	 */
	tgid = thread_group(pid);
	if (tgid < 0)
		return (int)tgid;
	if (tgid != pid) {
		if (tgid == getpid())
			return -EDEADLK;
		t->thread = pid;
		t->pid = tgid;
	}
	t->pidfd = open_pidfd(t->pid);
	read_identity(t);
	return 0;
}

int target__spawn(struct target *t, char **argv)
{
	int gate[2], i;
	size_t off = 0;
	char c;

	memset(t, 0, sizeof(*t));
	t->pidfd = t->gate_fd = -1;	/* target__close() after a failure closes nothing */
	if (pipe2(gate, O_CLOEXEC))
		return -errno;
	t->pid = fork();
	if (t->pid < 0) {
		close(gate[0]);
		close(gate[1]);
		return -errno;
	}
	if (t->pid == 0) {
		int err;

		close(gate[1]);
		/* wait until the probes are attached, so the first instruction is traced */
		if (read(gate[0], &c, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		err = errno;
		/* report the exec failure through the gate's status pipe: the parent reaps us */
		_exit(err == ENOENT ? 127 : 126);
	}
	close(gate[0]);
	t->gate_fd = gate[1];
	t->spawned = true;
	snprintf(t->name, sizeof(t->name), "%s", argv[0]);
	for (i = 0; argv[i] && off < sizeof(t->cmdline) - 1; i++)
		off += (size_t)snprintf(t->cmdline + off, sizeof(t->cmdline) - off, "%s%s",
					i ? " " : "", argv[i]);
	return 0;
}

int target__release(struct target *t)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	char c = 1;
	int status;

	if (write(t->gate_fd, &c, 1) != 1)
		return -errno;
	close(t->gate_fd);
	t->gate_fd = -1;
	/* exec failures exit at once with 126/127: give them a moment to show */
	nanosleep(&pause, NULL);
	if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
		t->exited = true;
		t->exit_status = status;
		if (WIFEXITED(status) && (WEXITSTATUS(status) == 127 || WEXITSTATUS(status) == 126))
			return WEXITSTATUS(status) == 127 ? -ENOENT : -EACCES;
	}
	return 0;
}

bool target__exited(struct target *t)
{
	struct pollfd p;
	int status;

	if (t->exited)
		return true;
	if (t->spawned) {
		if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
			t->exited = true;
			t->exit_status = status;
		}
		return t->exited;
	}
	if (t->pidfd >= 0) {
		p.fd = t->pidfd;
		p.events = POLLIN;
		t->exited = poll(&p, 1, 0) > 0;
	} else {
		t->exited = kill(t->pid, 0) && errno == ESRCH;
	}
	return t->exited;
}

void target__stop(struct target *t, int grace_ms)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int waited;

	if (!t->spawned || target__exited(t))
		return;
	kill(t->pid, SIGTERM);
	for (waited = 0; waited < grace_ms && !target__exited(t); waited += 10)
		nanosleep(&tick, NULL);
	if (!target__exited(t)) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, &t->exit_status, 0);
		t->exited = true;
	}
}

void target__close(struct target *t)
{
	if (t->gate_fd >= 0)
		close(t->gate_fd);	/* a child still at the gate reads EOF and exits */
	if (t->spawned && !t->exited)
		waitpid(t->pid, &t->exit_status, 0);
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->gate_fd = t->pidfd = -1;
}

int target__threads(const struct target *t, target_thread_fn fn, void *ctx)
{
	char path[64], comm[64], cpath[384];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", t->pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		long tid = strtol(d->d_name, NULL, 10);

		if (tid <= 0)
			continue;
		snprintf(cpath, sizeof(cpath), "%s/%s/comm", path, d->d_name);
		if (read_small(cpath, comm, sizeof(comm)) <= 0)
			continue;	/* the thread just ended */
		comm[strcspn(comm, "\n")] = '\0';
		fn(ctx, (pid_t)tid, comm);
	}
	closedir(dir);
	return 0;
}
