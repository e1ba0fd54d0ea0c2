/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Output files are written under a temporary name beside the final one and
 * renamed into place only when complete, so a failed or interrupted run
 * never leaves a half-written file under the name the user asked for.
 * They are created 0600 with O_EXCL|O_NOFOLLOW: they hold paths and thread
 * names, and a link planted by another user (in /tmp, say) must not
 * redirect root's writes. Special files (/dev/null, a FIFO) are written in
 * place instead.
 */
#ifndef LS_OUTPUT_H
#define LS_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct output {
	char path[4096];	/* as the user named it, for messages */
	char name[256];		/* the last name, in dirfd */
	char tmp[256];		/* the temporary beside it, in dirfd */
	int dirfd;		/* the directory the path led to, held from open to commit */
	int fd;
	bool direct;	/* not a regular file (/dev/null, a FIFO, "-"): written in place */
};

/*
 * "-" is standard output. A symbolic link on the way, the last name
 * included, is followed only when root or the caller owns it. A FIFO is
 * opened without waiting: with no reader it is an error, not a hang; a
 * FIFO, device or socket is written in place only when root or the caller
 * owns it. -errno: ENOENT (directory missing), EACCES, EISDIR, ENOLINK (a
 * link of another user), ENOTNAM (another user's FIFO or device), EPIPE (a
 * FIFO nobody reads), ...; output__strerror() says which.
 */
int output__open(struct output *o, const char *path);
const char *output__strerror(int err);
/*
 * A log, appended to and never renamed (the agent's stall log, reopened
 * on SIGHUP): path resolved as above; an existing regular file only when
 * root or the caller owns it and it has one link (else -EXDEV); a missing
 * one created 0600; a FIFO or device as above. output__abort() closes it.
 */
int output__open_append(struct output *o, const char *path);
int output__commit(struct output *o);	/* closes and renames into place */
void output__abort(struct output *o);	/* closes and removes the temporary */

/*
 * An output written through stdio: output__fopen() opens path as above
 * and gives a stream on it; output__fclose() closes the stream, then
 * commits the output when err is 0 and the close succeeded, else removes
 * it. Each returns 0 or the first -errno.
 */
int output__fopen(struct output *o, const char *path, FILE **f);
int output__fclose(struct output *o, FILE *f, int err);

/* Writes a whole output: 0 or -errno (the failed write's: ENOSPC, not EIO). */
typedef int (*output_write_fn)(FILE *f, void *ctx);
/* Opens path, write(f, ctx), then commits, or removes the output on any error. */
int output__write(const char *path, output_write_fn write, void *ctx);
/*
 * output__write() for a command: on failure one line "PREFIX: cannot write
 * PATH: REASON" and the exit code (cli_write_exit()); else 0.
 */
int cli_write_output(const char *prefix, const char *path, output_write_fn write, void *ctx);

/* One path a command reads or writes, for output__check_distinct(). */
struct path_use {
	const char *path;	/* NULL = not used this run */
	const char *what;	/* the option that names it: "-o", "--summary", "the baseline" */
	bool written;
};

/*
 * Before anything is written: 0 when no written path is the same file as
 * another path of the list, by identity (the same inode, or the same name
 * in the same directory once symbolic links are resolved), not by
 * spelling. Otherwise -EEXIST, with *a and *b the indexes of the pair.
 * Character devices (/dev/null, a terminal) may be named more than once;
 * "-" (standard output) may not. Then, so that a refusal does not wait
 * for the end of a recording: -ENOLINK with *a == *b for a written path
 * that output__open() would refuse for a link, FIFO or device of another user.
 */
int output__check_distinct(const struct path_use *u, size_t n, size_t *a, size_t *b);

#endif
