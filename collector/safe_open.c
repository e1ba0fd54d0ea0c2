/* SPDX-License-Identifier: BSD-2-Clause */
/* Opening files a traced process controls; see safe_open.h for the rules. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "safe_open.h"

#define READ_CHUNK	(1u << 20)
#define DELETED_SUFFIX	" (deleted)"

struct ls_open_rules ls_open_rules_default(void)
{
	return (struct ls_open_rules){ .root_fd = -1, .owner = LS_ANY_OWNER };
}

static int open_resolved(const char *path, const struct ls_open_rules *r)
{
	/*
	 * O_PATH: nothing is opened yet, only found. A device node's driver
	 * must not see root's open (a watchdog, a tape) before it is refused.
	 */
	struct open_how how = { .flags = O_PATH | O_CLOEXEC };
	int dirfd = AT_FDCWD, fd;

	if (r->root_fd >= 0) {
		/* The target's "/": absolute paths and ".." stay inside it. */
		dirfd = r->root_fd;
		how.resolve = RESOLVE_IN_ROOT;
		while (*path == '/')
			path++;
		if (!*path)
			path = ".";
	}
	/*
	 * Magic links (/proc/PID/map_files/...) are the kernel's own and lead
	 * where the target's mappings are; any other link could be planted.
	 */
	if (!r->magic_links)
		how.resolve |= RESOLVE_NO_SYMLINKS;
	fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	if (fd >= 0 || errno != ENOSYS)
		return fd < 0 ? -errno : fd;
	/* Before Linux 5.6: only the last component can be kept from following. */
	if (r->root_fd >= 0)
		return -ENOSYS;
	fd = open(path, (int)how.flags | (r->magic_links ? 0 : O_NOFOLLOW));
	return fd < 0 ? -errno : fd;
}

/* The checked O_PATH descriptor made readable: the very inode, now opened. */
static int reopen_checked(int pathfd, const struct stat *st)
{
	char self[64];
	struct stat now;
	int fd;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", pathfd);
	fd = open(self, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &now) || now.st_dev != st->st_dev || now.st_ino != st->st_ino) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

static int check_found(int fd, const struct ls_open_rules *r, struct stat *st)
{
	if (fstat(fd, st))
		return -errno;
	if (!S_ISREG(st->st_mode))
		return -ENXIO;
	if (r->owner != LS_ANY_OWNER && st->st_uid != r->owner)
		return -EPERM;
	if (r->max_size && (uint64_t)st->st_size > r->max_size)
		return -EFBIG;
	return 0;
}

int ls_open_untrusted(const char *path, const struct ls_open_rules *rules, struct stat *st)
{
	struct ls_open_rules def = ls_open_rules_default();
	struct stat own;
	int pathfd, fd, err;

	if (!path || !*path)
		return -ENOENT;
	if (!rules)
		rules = &def;
	pathfd = open_resolved(path, rules);
	if (pathfd < 0)
		return pathfd == -ELOOP || pathfd == -EXDEV ? -ELOOP : pathfd;
	err = check_found(pathfd, rules, st ? st : &own);
	fd = err ? err : reopen_checked(pathfd, st ? st : &own);
	close(pathfd);
	return fd;
}

ssize_t ls_read_bounded(int fd, void *buf, size_t len, off_t off,
			const volatile sig_atomic_t *stop)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (stop && *stop)
			break;
		n = pread(fd, (char *)buf + got, len - got < READ_CHUNK ? len - got : READ_CHUNK,
			  off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;	/* a signal: the stop flag above decides */
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Reads until end of file: /proc files report a size of 0. */
static int read_all(int fd, size_t max, char **buf, size_t *len)
{
	size_t cap = 4096, have = 0;
	char *b = malloc(cap + 1), *nb;
	ssize_t n;

	if (!b)
		return -ENOMEM;
	for (;;) {
		if (have == cap) {
			if (cap > max) {
				free(b);
				return -EFBIG;
			}
			cap *= 2;
			nb = realloc(b, cap + 1);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
		}
		n = read(fd, b + have, cap - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0) {
				free(b);
				return -errno;
			}
			break;
		}
		have += (size_t)n;
	}
	if (have > max) {
		free(b);
		return -EFBIG;
	}
	b[have] = '\0';
	*buf = b;
	*len = have;
	return 0;
}

int ls_read_small_file(const char *path, const struct ls_open_rules *rules, size_t max,
		       char **buf, size_t *len)
{
	struct ls_open_rules r = rules ? *rules : ls_open_rules_default();
	int fd, err;

	if (!r.max_size || r.max_size > max)
		r.max_size = max;
	fd = ls_open_untrusted(path, &r, NULL);
	if (fd < 0)
		return fd;
	err = read_all(fd, max, buf, len);
	close(fd);
	return err;
}

/* fd if it is the mapped inode; closes it and returns -ESTALE if not */
static int the_mapped(int fd, const struct stat *st, uint64_t ino)
{
	if (fd < 0 || (uint64_t)st->st_ino == ino)
		return fd;
	close(fd);
	return -ESTALE;
}

int ls_open_mapped(pid_t pid, int root_fd, const char *path, uint64_t start, uint64_t end,
		   uint64_t ino, uint64_t max_size)
{
	struct ls_open_rules rules = ls_open_rules_default();
	char files[96], clean[PATH_MAX];
	size_t plen = strlen(path), slen = strlen(DELETED_SUFFIX);
	struct stat st;
	int fd, first;

	rules.max_size = max_size;
	rules.magic_links = true;
	snprintf(files, sizeof(files), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		 (int)pid, start, end);
	fd = first = the_mapped(ls_open_untrusted(files, &rules, &st), &st, ino);
	if (fd >= 0)
		return fd;
	if (root_fd < 0 || plen >= sizeof(clean))
		return first;
	snprintf(clean, sizeof(clean), "%s", path);
	if (plen > slen && !strcmp(clean + plen - slen, DELETED_SUFFIX))
		clean[plen - slen] = '\0';
	rules.magic_links = false;
	rules.root_fd = root_fd;
	fd = the_mapped(ls_open_untrusted(clean, &rules, &st), &st, ino);
	/* ESTALE first: the mapped file exists, but not at this path */
	return fd >= 0 || first != -ESTALE ? fd : first;
}

const char *ls_refusal(int err)
{
	switch (err < 0 ? -err : err) {
	case ELOOP:
		return "it is reached through a symbolic link";
	case ENXIO:
		return "it is not a regular file";
	case EPERM:
		return "it is owned by another user than the process";
	case EFBIG:
		return "it is larger than the size cap";
	default:
		return strerror(err < 0 ? -err : err);
	}
}
