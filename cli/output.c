/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "output.h"

int output__open(struct output *o, const char *path)
{
	struct stat st;

	o->fd = -1;
	o->direct = false;
	if (!*path)
		return -ENOENT;
	if (strlen(path) >= sizeof(o->path))
		return -ENAMETOOLONG;
	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		return -EISDIR;
	snprintf(o->path, sizeof(o->path), "%s", path);
	/*
	 * /dev/null, a FIFO, a terminal: write to it as it is. Renaming a
	 * temporary over it would replace the device node (as root, even
	 * /dev/null) with a regular file.
	 */
	if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
		o->direct = true;
		o->fd = open(path, O_WRONLY | O_CLOEXEC);
		return o->fd < 0 ? -errno : 0;
	}
	snprintf(o->tmp, sizeof(o->tmp), "%s.tmp-%d", path, (int)getpid());
	o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	return o->fd < 0 ? -errno : 0;
}

int output__commit(struct output *o)
{
	int err = 0;

	if (o->fd < 0)
		return -EBADF;
	if (close(o->fd))
		err = -errno;
	o->fd = -1;
	if (o->direct)
		return err;
	if (!err && rename(o->tmp, o->path))
		err = -errno;
	if (err)
		unlink(o->tmp);
	return err;
}

void output__abort(struct output *o)
{
	if (o->fd < 0)
		return;
	close(o->fd);
	o->fd = -1;
	if (!o->direct)
		unlink(o->tmp);
}
