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
	if (strlen(path) >= sizeof(o->path) || !*path)
		return -ENAMETOOLONG;
	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		return -EISDIR;
	snprintf(o->path, sizeof(o->path), "%s", path);
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
	unlink(o->tmp);
}
