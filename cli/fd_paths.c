/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The path of a target's fd, read as root without trusting the target:
 * /proc/PID/fd/N is opened O_PATH (the kernel's link to the very file: no
 * path of the target's is walked, nothing is opened for reading, a FIFO
 * or device never blocks us), then our own descriptor is checked and read,
 * so the file cannot change between the check and the name. The name is
 * believed only when that file's inode and device are the call's: by then
 * the target may have closed the fd, or opened another file under its
 * number. The path is the kernel's d_path of the file, seen from our root;
 * its bytes are the target's (it chose the names): exporters escape them.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "fd_paths.h"

/* Files tried, per slot: one colliding file evicts another, which is tried again if used again. */
#define FD_PATHS_SLOTS	4096

struct fd_key {
	uint64_t ino;
	uint32_t pid;
	int32_t fd;
	uint32_t dev;
	uint32_t used;
};

struct fd_paths {
	struct fd_key tried[FD_PATHS_SLOTS];
};

struct fd_paths *fd_paths__new(void)
{
	return calloc(1, sizeof(struct fd_paths));
}

void fd_paths__free(struct fd_paths *fp)
{
	free(fp);
}

/* false if the file was tried already; marks it tried */
static bool first_try(struct fd_paths *fp, const struct ls_rec_syscall *r)
{
	struct fd_key k = { .ino = r->ino, .pid = r->pid, .fd = r->fd, .dev = r->dev, .used = 1 };
	uint64_t h = (r->ino * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)r->pid << 20) ^
		     (uint64_t)(uint32_t)r->fd ^ r->dev;
	struct fd_key *slot = &fp->tried[(h ^ (h >> 29)) % FD_PATHS_SLOTS];

	if (!memcmp(slot, &k, sizeof(k)))
		return false;
	*slot = k;
	return true;
}

/* The kernel's dev_t (major << 20 | minor, as in the record) against stat's. */
static bool same_file(const struct stat *st, const struct ls_rec_syscall *r)
{
	return st->st_ino == r->ino && st->st_dev == makedev(r->dev >> 20, r->dev & 0xfffff) &&
	       S_ISREG(st->st_mode);
}

/* The path of our descriptor fd, cut at LS_FD_PATH_MAX bytes; its length, or 0. */
static uint32_t read_path(int fd, struct ls_rec_fd_path *out)
{
	char link[32], buf[LS_FD_PATH_MAX + 1];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf));
	/* a file has a path from a root; anything else ("anon_inode:", a name cut by d_path) is none */
	if (n <= 0 || buf[0] != '/')
		return 0;
	if (n > LS_FD_PATH_MAX) {
		n = LS_FD_PATH_MAX;
		out->flags |= LS_FDP_CUT;
	}
	memcpy(out->path, buf, (size_t)n);
	return (uint32_t)n;
}

bool fd_paths__name(struct fd_paths *fp, const struct ls_rec_syscall *r,
		    struct ls_rec_fd_path *out)
{
	char link[48];
	struct stat st;
	int fd;

	if (!fp || r->type != LS_REC_SYSCALL || r->fd_kind != LS_FD_FILE || !r->ino ||
	    r->fd < 0 || !r->pid || !ls_sys_is_io(r->sys) || !first_try(fp, r))
		return false;
	snprintf(link, sizeof(link), "/proc/%u/fd/%d", r->pid, r->fd);
	fd = open(link, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return false;
	memset(out, 0, sizeof(*out));
	if (!fstat(fd, &st) && same_file(&st, r))
		out->len = read_path(fd, out);
	close(fd);
	if (!out->len)
		return false;
	out->type = LS_REC_FD_PATH;
	out->pid = r->pid;
	out->fd = r->fd;
	out->dev = r->dev;
	out->ino = r->ino;
	return true;
}
