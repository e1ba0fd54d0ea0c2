/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Output files, written as root into directories other users may own; see
 * output.h. The path is resolved here one component at a time, each
 * directory held open, so that what is checked is what is written:
 * a symbolic link is followed only when it belongs to the caller or to
 * root, and the file is created and renamed relative to the directory
 * found, never by re-walking the path.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "cli_util.h"
#include "output.h"

#define MAX_LINK_HOPS	40

/* Where a path leads: the directory that holds its last name. */
struct place {
	int dirfd;
	char name[NAME_MAX + 1];
	bool magic;		/* the name is a /proc link (/dev/stdout): open it as the kernel says */
};

static bool trusted_owner(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

static bool on_procfs(int dirfd)
{
	struct statfs sf;

	return !fstatfs(dirfd, &sf) && sf.f_type == PROC_SUPER_MAGIC;
}

/*
 * Splits off the first component of *rest (skipping "/" and "."); 0, 1 at
 * the end, or -ENAMETOOLONG.
 */
static int next_component(char **rest, char *comp)
{
	char *p = *rest, *end;
	size_t len;

	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			return 1;
		end = strchrnul(p, '/');
		len = (size_t)(end - p);
		if (len != 1 || *p != '.')
			break;
		p = end;
	}
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(comp, p, len);
	comp[len] = '\0';
	*rest = end;
	return 0;
}

static bool is_last(const char *rest)
{
	while (*rest == '/' || (rest[0] == '.' && (rest[1] == '/' || !rest[1])))
		rest++;
	return !*rest;
}

/* Replaces the link comp in dirfd by its target: rest becomes target + "/" + rest. */
static int splice_link(int *dirfd, const char *comp, char *buf, size_t size, char **rest)
{
	char target[PATH_MAX], tail[PATH_MAX * 2];
	ssize_t n = readlinkat(*dirfd, comp, target, sizeof(target) - 1);

	if (n < 0)
		return -errno;
	target[n] = '\0';
	if ((size_t)snprintf(tail, sizeof(tail), "%s/%s", target, *rest) >= size ||
	    strlen(tail) >= sizeof(tail) - 1)
		return -ENAMETOOLONG;
	snprintf(buf, size, "%s", tail);
	*rest = buf;
	if (target[0] == '/') {
		close(*dirfd);
		*dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (*dirfd < 0)
			return -errno;
	}
	return 0;
}

/* One step of the walk: comp (not the last) is entered, or spliced when a link. */
static int enter(int *dirfd, const char *comp, char *buf, size_t size, char **rest, int *hops)
{
	struct stat st;
	int fd;

	if (fstatat(*dirfd, comp, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (S_ISLNK(st.st_mode)) {
		if (!trusted_owner(st.st_uid))
			return -ENOLINK;
		if (++*hops > MAX_LINK_HOPS)
			return -ELOOP;
		return splice_link(dirfd, comp, buf, size, rest);
	}
	/* O_NOFOLLOW: a link swapped in since the fstatat fails here (ENOTDIR). */
	fd = openat(*dirfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(*dirfd);
	*dirfd = fd;
	return 0;
}

/* Settles the last name: a trusted link to follow further, or the place itself. */
static int settle_last(struct place *p, const char *comp, char *buf, size_t size, char **rest,
		       int *hops, bool *done)
{
	struct stat st;

	*done = true;
	snprintf(p->name, sizeof(p->name), "%s", comp);
	if (fstatat(p->dirfd, comp, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISLNK(st.st_mode))
		return 0;
	if (!trusted_owner(st.st_uid))
		return -ENOLINK;
	if (on_procfs(p->dirfd)) {
		p->magic = true;
		return 0;
	}
	if (++*hops > MAX_LINK_HOPS)
		return -ELOOP;
	*done = false;
	return splice_link(&p->dirfd, comp, buf, size, rest);
}

static int resolve(const char *path, struct place *p)
{
	char buf[PATH_MAX * 2], comp[NAME_MAX + 1], *rest = buf;
	int err = 0, hops = 0;
	bool done = false;

	memset(p, 0, sizeof(*p));
	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	snprintf(buf, sizeof(buf), "%s", path);
	p->dirfd = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (p->dirfd < 0)
		return -errno;
	while (!err && !done) {
		err = next_component(&rest, comp);
		if (err) {
			err = err > 0 ? -EISDIR : err;	/* "/", "dir/", "." */
			break;
		}
		if (is_last(rest))
			err = settle_last(p, comp, buf, sizeof(buf), &rest, &hops, &done);
		else
			err = enter(&p->dirfd, comp, buf, sizeof(buf), &rest, &hops);
	}
	if (err) {
		close(p->dirfd);
		p->dirfd = -1;
	}
	return err;
}

/* Writes in place: a device, a FIFO (never waiting for a reader), a /proc link. */
/*
 * A device, FIFO or socket at the last name is written in place only when
 * root or the caller owns it: another user's FIFO in /tmp would receive
 * root's output, and could hold it up by never reading. A /proc link
 * (/dev/stdout) is our own descriptor.
 */
static int check_special(const struct stat *st, bool magic)
{
	return magic || trusted_owner(st->st_uid) ? 0 : -ENOTNAM;
}

static int open_direct(struct output *o, struct place *p, const struct stat *seen)
{
	int fl = O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (p->magic ? 0 : O_NOFOLLOW);
	struct stat st;

	o->direct = true;
	o->fd = openat(p->dirfd, p->name, fl);
	if (o->fd < 0)
		return errno == ENXIO ? -EPIPE : -errno;	/* ENXIO: a FIFO nobody reads */
	/* the node checked, not one put there since */
	if (fstat(o->fd, &st))
		return -errno;
	if (!p->magic && (st.st_dev != seen->st_dev || st.st_ino != seen->st_ino))
		return -ESTALE;
	fl = fcntl(o->fd, F_GETFL);
	if (fl < 0 || fcntl(o->fd, F_SETFL, fl & ~O_NONBLOCK))
		return -errno;
	return 0;
}

static int open_at_place(struct output *o, struct place *p)
{
	struct stat st;

	if (!fstatat(p->dirfd, p->name, &st, p->magic ? 0 : AT_SYMLINK_NOFOLLOW)) {
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		/*
		 * /dev/null, a FIFO, a terminal: write to it as it is. Renaming a
		 * temporary over it would replace the device node (as root, even
		 * /dev/null) with a regular file.
		 */
		if (!S_ISREG(st.st_mode) || p->magic)
			return check_special(&st, p->magic) ?: open_direct(o, p, &st);
	}
	snprintf(o->name, sizeof(o->name), "%s", p->name);
	if ((size_t)snprintf(o->tmp, sizeof(o->tmp), "%s.tmp-%d", p->name, (int)getpid()) > NAME_MAX)
		return -ENAMETOOLONG;
	o->fd = openat(p->dirfd, o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	return o->fd < 0 ? -errno : 0;
}

/*
 * What every open starts with: path named, "-" (standard output) opened as
 * a copy of the descriptor (1), or the path resolved into *p (0); -errno.
 */
static int open_begin(struct output *o, const char *path, struct place *p)
{
	int err;

	o->fd = o->dirfd = -1;
	o->direct = false;
	if (!*path)
		return -ENOENT;
	if (strlen(path) >= sizeof(o->path))
		return -ENAMETOOLONG;
	snprintf(o->path, sizeof(o->path), "%s", path);
	if (!strcmp(path, "-")) {
		o->direct = true;
		o->fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		return o->fd < 0 ? -errno : 1;
	}
	err = resolve(path, p);
	if (!err)
		o->dirfd = p->dirfd;
	return err;
}

int output__open(struct output *o, const char *path)
{
	struct place p;
	int err = open_begin(o, path, &p);

	if (err)
		return err < 0 ? err : 0;
	err = open_at_place(o, &p);
	if (err) {
		if (o->fd >= 0)
			close(o->fd);
		o->fd = -1;
		close(o->dirfd);
		o->dirfd = -1;
	}
	return err;
}

/*
 * An existing file is appended to only when it is a regular file of root
 * or the caller with one link: a hard link another user made to a file of
 * ours would take root's lines. A missing one is created 0600. O_NONBLOCK
 * until checked: a FIFO swapped in since the resolve is not waited on.
 */
static int open_append_regular(struct output *o, const struct place *p)
{
	const int fl = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
	struct stat st;

	o->fd = openat(p->dirfd, p->name, fl | O_CREAT | O_EXCL, 0600);
	if (o->fd >= 0 || errno != EEXIST)
		return o->fd < 0 ? -errno : 0;
	o->fd = openat(p->dirfd, p->name, fl | O_NONBLOCK);
	if (o->fd < 0)
		return errno == ELOOP ? -ENOLINK : errno == ENXIO ? -EPIPE : -errno;
	if (fstat(o->fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ENOTNAM;
	if (!trusted_owner(st.st_uid) || st.st_nlink != 1)
		return -EXDEV;
	return fcntl(o->fd, F_SETFL, fl & ~O_CLOEXEC) ? -errno : 0;
}

int output__open_append(struct output *o, const char *path)
{
	struct place p;
	struct stat st;
	int err = open_begin(o, path, &p);

	o->direct = true;	/* nothing to rename into place */
	if (err)
		return err < 0 ? err : 0;
	if (!fstatat(p.dirfd, p.name, &st, p.magic ? 0 : AT_SYMLINK_NOFOLLOW) &&
	    (!S_ISREG(st.st_mode) || p.magic))
		err = S_ISDIR(st.st_mode) ? -EISDIR : check_special(&st, p.magic) ?: open_direct(o, &p, &st);
	else
		err = open_append_regular(o, &p);
	if (err)
		output__abort(o);
	return err;
}

static void close_dir(struct output *o)
{
	if (o->dirfd >= 0)
		close(o->dirfd);
	o->dirfd = -1;
}

int output__commit(struct output *o)
{
	int err = 0;

	if (o->fd < 0) {
		close_dir(o);
		return -EBADF;
	}
	if (close(o->fd))
		err = -errno;
	o->fd = -1;
	if (!o->direct) {
		if (!err && renameat(o->dirfd, o->tmp, o->dirfd, o->name))
			err = -errno;
		if (err)
			unlinkat(o->dirfd, o->tmp, 0);
	}
	close_dir(o);
	return err;
}

void output__abort(struct output *o)
{
	if (o->fd >= 0) {
		close(o->fd);
		if (!o->direct)
			unlinkat(o->dirfd, o->tmp, 0);
	}
	o->fd = -1;
	close_dir(o);
}

int output__fopen(struct output *o, const char *path, FILE **f)
{
	int err = output__open(o, path);

	if (err)
		return err;
	/* a stream on a copy: output__commit() closes the descriptor itself */
	*f = fdopen(dup(o->fd), "w");
	if (*f)
		return 0;
	err = -errno;
	output__abort(o);
	return err;
}

int output__fclose(struct output *o, FILE *f, int err)
{
	if (fclose(f) && !err)
		err = -errno;
	if (!err)
		return output__commit(o);
	output__abort(o);
	return err;
}

int output__write(const char *path, output_write_fn write, void *ctx)
{
	struct output out;
	FILE *f;
	int err = output__fopen(&out, path, &f);

	return err ? err : output__fclose(&out, f, write(f, ctx));
}

int cli_write_output(const char *prefix, const char *path, output_write_fn write, void *ctx)
{
	int err = output__write(path, write, ctx);

	if (!err)
		return 0;
	fprintf(stderr, "%s: cannot write %s: %s\n", prefix, path, output__strerror(err));
	return cli_write_exit(err);
}

const char *output__strerror(int err)
{
	switch (-err) {
	case ENOLINK:
		return "a symbolic link on the way belongs to another user (not followed as root)";
	case EPIPE:
		return "a FIFO that nobody reads";
	case ENOTNAM:
		return "a FIFO, device or socket of another user (not written as root)";
	case EXDEV:
		return "a file of another user, or with more than one link (not appended to as root)";
	default:
		return strerror(-err);
	}
}

/* What a path names, to tell whether two paths are one file. */
struct identity {
	int refused;		/* -ENOLINK, -ENOTNAM: output__open() would refuse it */
	bool known, exists, in_dir, is_stdout, is_chr;
	dev_t dev, dir_dev;
	ino_t ino, dir_ino;
	char name[NAME_MAX + 1];
};

static void identify(const struct path_use *u, struct identity *id)
{
	struct stat st, dst;
	struct place p;

	memset(id, 0, sizeof(*id));
	if (!u->path || !*u->path)
		return;
	if (!strcmp(u->path, "-")) {
		/* "-" read is standard input: never one of our files */
		id->known = id->is_stdout = u->written;
		return;
	}
	if (!u->written) {
		id->known = id->exists = !stat(u->path, &st);
	} else if (!(id->refused = resolve(u->path, &p))) {
		/* An output as output__open() will find it, links and all. */
		id->known = true;
		id->exists = !fstatat(p.dirfd, p.name, &st, p.magic ? 0 : AT_SYMLINK_NOFOLLOW);
		if (id->exists && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			id->refused = check_special(&st, p.magic);
		id->in_dir = !p.magic && !fstat(p.dirfd, &dst);
		if (id->in_dir)
			id->dir_dev = dst.st_dev, id->dir_ino = dst.st_ino;
		snprintf(id->name, sizeof(id->name), "%s", p.name);
		close(p.dirfd);
	} else if (id->refused != -ENOLINK) {
		id->refused = 0;	/* a missing directory...: output__open() says why */
	}
	if (id->exists) {
		id->dev = st.st_dev, id->ino = st.st_ino;
		id->is_chr = S_ISCHR(st.st_mode);
	}
}

static bool same_file(const struct identity *x, const struct identity *y)
{
	if (!x->known || !y->known || x->is_chr || y->is_chr)
		return false;
	if (x->is_stdout || y->is_stdout)
		return x->is_stdout && y->is_stdout;
	if (x->exists && y->exists)
		return x->dev == y->dev && x->ino == y->ino;
	return x->in_dir && y->in_dir && x->dir_dev == y->dir_dev &&
	       x->dir_ino == y->dir_ino && !strcmp(x->name, y->name);
}

int output__check_distinct(const struct path_use *u, size_t n, size_t *a, size_t *b)
{
	struct identity *ids = calloc(n ? n : 1, sizeof(*ids));
	size_t i, j;
	int err = 0;

	if (!ids)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		identify(&u[i], &ids[i]);
	for (i = 0; i < n && !err; i++)
		for (j = i + 1; j < n && !err; j++)
			if ((u[i].written || u[j].written) && same_file(&ids[i], &ids[j])) {
				*a = i, *b = j;
				err = -EEXIST;
			}
	for (i = 0; i < n && !err; i++)
		if (ids[i].refused) {
			*a = *b = i;
			err = ids[i].refused;
		}
	free(ids);
	return err;
}
