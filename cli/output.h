/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Output files are written under a temporary name beside the final one and
 * renamed into place only when complete, so a failed or interrupted run
 * never leaves a half-written file under the name the user asked for.
 * They are created 0600 with O_EXCL|O_NOFOLLOW: they hold paths and thread
 * names, and a planted symlink must not redirect them.
 */
#ifndef LS_OUTPUT_H
#define LS_OUTPUT_H

struct output {
	char path[4096];
	char tmp[4200];
	int fd;
};

/* -errno: ENOENT (directory missing), EACCES, EISDIR, ... */
int output__open(struct output *o, const char *path);
int output__commit(struct output *o);	/* closes and renames into place */
void output__abort(struct output *o);	/* closes and removes the temporary */

#endif
