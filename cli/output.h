/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Output files are written under a temporary name beside the final one and
 * renamed into place only when complete, so a failed or interrupted run
 * never leaves a half-written file under the name the user asked for.
 * They are created 0600 with O_EXCL|O_NOFOLLOW: they hold paths and thread
 * names, and a planted symlink must not redirect them. Special files
 * (/dev/null, a FIFO) are written in place instead.
 */
#ifndef LS_OUTPUT_H
#define LS_OUTPUT_H

#include <stdbool.h>

struct output {
	char path[4096];
	char tmp[4200];
	int fd;
	bool direct;	/* not a regular file (/dev/null, a FIFO): written in place */
};

/* -errno: ENOENT (directory missing), EACCES, EISDIR, ... */
int output__open(struct output *o, const char *path);
int output__commit(struct output *o);	/* closes and renames into place */
void output__abort(struct output *o);	/* closes and removes the temporary */

#endif
