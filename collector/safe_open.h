/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Opening a file that a traced process controls, as root.
 *
 * loopscope runs with every privilege and reads files an unprivileged
 * target can plant or replace: its perf map, the binaries it maps, the
 * files under /proc/PID. Each of them is opened here, one way:
 *  - never through a symbolic link (openat2 RESOLVE_NO_SYMLINKS): a link
 *    could point the root reader at a file the target may not read;
 *    kernel "magic" links (/proc/PID/root, /proc/PID/map_files/...) only
 *    where the caller asks for them, since the kernel, not the target,
 *    says where they lead;
 *  - inside the target's root when given one (RESOLVE_IN_ROOT), so a path
 *    means what it means to the target, in its container;
 *  - found with O_PATH first, so a FIFO or a device planted in place of a
 *    file is neither waited on nor opened (its driver never sees root's
 *    open); fstat on that descriptor: only a regular file is accepted,
 *    optionally owned by one uid and no larger than a cap; then that very
 *    inode is opened for reading (through /proc/self/fd);
 *  - read in bounded chunks, with a stop flag honoured between chunks.
 * Errors are -errno; ls_refusal() names the ones these rules add.
 */
#ifndef LS_SAFE_OPEN_H
#define LS_SAFE_OPEN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define LS_ANY_OWNER	((uid_t)-1)
/* The largest mapped file (binary, library) read: node's is ~100 MiB. */
#define LS_MAPPED_FILE_MAX	(2ull << 30)

struct ls_open_rules {
	int root_fd;		/* resolve the path as if this directory were /; -1 = none */
	bool magic_links;	/* follow /proc's kernel links (and nothing else) */
	uid_t owner;		/* LS_ANY_OWNER, or the uid the file must belong to */
	uint64_t max_size;	/* 0 = no cap */
};

/*
 * The default rules: no root, no links of any kind, any owner, no cap.
 * Returns an fd (O_RDONLY | O_CLOEXEC) or:
 *   -ELOOP   a symbolic link on the way
 *   -ENXIO   not a regular file (FIFO, device, socket, directory)
 *   -EPERM   owned by another uid than rules->owner
 *   -EFBIG   larger than rules->max_size
 *   or what openat2/fstat return (-ENOENT, -EACCES, ...).
 * st, if not NULL, receives the opened file's fstat.
 */
int ls_open_untrusted(const char *path, const struct ls_open_rules *rules, struct stat *st);

/* The default rules, for callers that only change a field or two. */
struct ls_open_rules ls_open_rules_default(void);

/*
 * pread()s up to len bytes at off, in chunks of at most 1 MiB, until len,
 * end of file, an error, or *stop (when stop is not NULL) becomes true.
 * Returns the bytes read (short only at end of file or on stop) or -errno.
 */
ssize_t ls_read_bounded(int fd, void *buf, size_t len, off_t off,
			const volatile sig_atomic_t *stop);

/*
 * A whole small file (a /proc file, a config file) into a new
 * NUL-terminated buffer: at most max bytes, -EFBIG beyond. Regular files
 * are checked as above; /proc files, whose st_size is 0, are read until
 * end of file within the cap.
 */
int ls_read_small_file(const char *path, const struct ls_open_rules *rules, size_t max,
		       char **buf, size_t *len);

/*
 * A file mapped by process pid at [start, end), as the target sees it:
 * its map_files entry (the kernel's link to the very file mapped, deleted
 * or replaced ones too; needs CAP_SYS_ADMIN), then path inside the
 * target's root (root_fd, -1 = skip), never through a symbolic link.
 * Either must be the mapped inode: a replaced file gives -ESTALE, not a
 * wrong file. max_size as in the rules. An API that wants a path for the
 * file (uprobes) gets /proc/self/fd/FD: the inode checked, not a name the
 * kernel would look up again.
 */
int ls_open_mapped(pid_t pid, int root_fd, const char *path, uint64_t start, uint64_t end,
		   uint64_t ino, uint64_t max_size);

/* Why the rules refused a file ("a symbolic link", ...), or strerror(). */
const char *ls_refusal(int err);

#endif
