/* SPDX-License-Identifier: BSD-2-Clause */
/* The processes a session follows (procs.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli_util.h"
#include "procs.h"
#include "target.h"

static bool entry_eq(const void *entry, const void *key)
{
	return ((const struct proc_entry *)entry)->pid == *(const pid_t *)key;
}

void procs__init(struct procs *p)
{
	memset(p, 0, sizeof(*p));
	ls_table_init(&p->t, sizeof(struct proc_entry), 16, LS_MAX_PROCS, entry_eq);
}

void procs__free(struct procs *p)
{
	ls_table_free(&p->t);
}

struct proc_entry *procs__find(const struct procs *p, pid_t pid)
{
	return ls_table_find(&p->t, ls_hash_u64((uint64_t)pid), &pid);
}

/* Exited entries go when room is needed: a fork storm leaves only the live ones. */
static void forget_exited(struct procs *p)
{
	size_t i;

	for (i = 0; i < ls_table_cap(&p->t); i++) {
		struct proc_entry *e;

		while ((e = ls_table_slot(&p->t, i)) && e->exited)
			ls_table_remove(&p->t, e);
	}
}

struct proc_entry *procs__add(struct procs *p, pid_t pid)
{
	struct proc_entry *e = procs__find(p, pid);
	bool created;

	if (e) {
		e->exited = false;	/* a reused pid, or a record that came late */
		return e;
	}
	if (ls_table_count(&p->t) >= LS_MAX_PROCS / 2)
		forget_exited(p);
	e = ls_table_insert(&p->t, ls_hash_u64((uint64_t)pid), &pid, &created);
	if (!e) {
		p->full++;
		return NULL;
	}
	e->pid = pid;
	p->seen++;
	return e;
}

unsigned procs__live(const struct procs *p)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < ls_table_cap(&p->t); i++) {
		const struct proc_entry *e = ls_table_slot(&p->t, i);

		n += e && !e->exited;
	}
	return n;
}

void procs__reap(struct procs *p)
{
	size_t i;

	for (i = 0; i < ls_table_cap(&p->t); i++) {
		struct proc_entry *e = ls_table_slot(&p->t, i);

		if (e && !e->exited && kill(e->pid, 0) && errno == ESRCH)
			e->exited = true;
	}
}

/* PPid of /proc/PID/status, 0 when unknown. */
static __u32 parent_of(pid_t pid)
{
	char buf[2048], *s;
	unsigned long ppid;

	if (target__read_proc(pid, "status", buf, sizeof(buf)) <= 0 || !(s = strstr(buf, "\nPPid:")) ||
	    sscanf(s + 6, "%lu", &ppid) != 1)
		return 0;
	return (__u32)ppid;
}

int procs__describe(pid_t pid, struct ls_rec_proc *r)
{
	char buf[LS_PROC_CMDLINE_MAX + 1];
	ssize_t n;
	int i;

	memset(r, 0, sizeof(*r));
	r->type = LS_REC_PROC;
	r->event = LS_PROC_INFO;
	r->pid = (__u32)pid;
	n = target__read_proc(pid, "comm", buf, sizeof(r->comm) + 1);
	if (n < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	buf[strcspn(buf, "\n")] = '\0';
	memcpy(r->comm, buf, strnlen(buf, sizeof(r->comm) - 1));
	r->ppid = parent_of(pid);
	n = target__read_proc(pid, "cmdline", buf, sizeof(buf));
	for (i = 0; n > 0 && i < n; i++)	/* NUL-separated arguments, the last one's NUL too */
		buf[i] = buf[i] ? buf[i] : ' ';
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	r->cmdline_len = n > 0 ? (__u32)n : 0;
	memcpy(r->cmdline, buf, r->cmdline_len);
	r->ts = cli_boottime_ns();
	return 0;
}

/* The pids of a /proc children file or a cgroup.procs file, each to fn. */
static unsigned each_pid(char *list, unsigned room, procs_found_fn fn, void *ctx, pid_t *found,
			 unsigned nfound_max, unsigned *nfound)
{
	unsigned called = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(list, " \n", &save); tok && called < room; tok = strtok_r(NULL, " \n", &save)) {
		char *end;
		long v = strtol(tok, &end, 10);

		if (*end || v <= 0 || v > 4194304)
			continue;
		fn(ctx, (pid_t)v);
		called++;
		if (found && *nfound < nfound_max)
			found[(*nfound)++] = (pid_t)v;
	}
	return called;
}

/* One process's children, of all its threads. */
static unsigned children_of(pid_t pid, unsigned room, procs_found_fn fn, void *ctx, pid_t *found,
			    unsigned nmax, unsigned *nfound)
{
	char path[64], buf[8192];
	unsigned called = 0;
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(dir = opendir(path)))
		return 0;
	while ((d = readdir(dir)) && called < room) {
		char name[300];

		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(name, sizeof(name), "task/%s/children", d->d_name);
		if (target__read_proc(pid, name, buf, sizeof(buf)) > 0)
			called += each_pid(buf, room - called, fn, ctx, found, nmax, nfound);
	}
	closedir(dir);
	return called;
}

unsigned procs__walk_children(pid_t root, unsigned max, procs_found_fn fn, void *ctx)
{
	pid_t *queue = calloc(max ? max : 1, sizeof(*queue));
	unsigned head = 0, n = 0, called = 0;

	if (!queue)
		return 0;
	/* breadth first over a queue of the found: each one's children are looked at once */
	called = children_of(root, max, fn, ctx, queue, max, &n);
	while (head < n && called < max)
		called += children_of(queue[head++], max - called, fn, ctx, queue, max, &n);
	free(queue);
	return called;
}

/* dir_fd's cgroup.procs, then each subdirectory's, depth first up to 32 levels. */
static int walk_cgroup(int dir_fd, unsigned room, unsigned depth, procs_found_fn fn, void *ctx)
{
	char buf[65536];
	unsigned called = 0;
	struct dirent *d;
	ssize_t n;
	DIR *dir;
	int fd = openat(dir_fd, "cgroup.procs", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		called = each_pid(buf, room, fn, ctx, NULL, 0, NULL);
	}
	if (depth >= 32 || (fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    !(dir = fdopendir(fd)))
		return (int)called;
	while ((d = readdir(dir)) && called < room) {
		int sub;

		if (d->d_type != DT_DIR || d->d_name[0] == '.')
			continue;
		sub = openat(dir_fd, d->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (sub < 0)
			continue;
		n = walk_cgroup(sub, room - called, depth + 1, fn, ctx);
		called += n > 0 ? (unsigned)n : 0;
		close(sub);
	}
	closedir(dir);
	return (int)called;
}

int procs__walk_cgroup(int dir_fd, unsigned max, procs_found_fn fn, void *ctx)
{
	return walk_cgroup(dir_fd, max, 0, fn, ctx);
}
