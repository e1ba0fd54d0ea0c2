/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * debuginfo: the separate debug file of a stripped module, found the way
 * gdb, perf and systemd-coredump find it, in this order:
 *  1. <debug-dir>/.build-id/xx/rest.debug for each debug dir (default
 *     /usr/lib/debug): the file must carry the module's own build-id;
 *  2. the module's .gnu_debuglink name in <dir-of-module>/, then
 *     <dir-of-module>/.debug/, then <debug-dir>/<dir-of-module>/: the file
 *     must match the link's CRC32 (and the build-id when both have one);
 *  3. debuginfod (libdebuginfod, which caches hits and misses in
 *     DEBUGINFOD_CACHE_PATH), only when the caller allows it, cancelled
 *     after a timeout; the file it returns is checked like the others.
 *
 * Every file is opened with safe_open.h's rules (no symbolic link, a
 * regular file, a size cap): the module's own directory is the target's,
 * so those are resolved inside the target's root. A file that fails a
 * check is refused and counted, never used.
 *
 * No globals: a struct debuginfo owns its cache (one result per build-id,
 * or per path and CRC for a module without one) and counters. Not thread
 * safe. Errors are -errno. Internal to loopscope (collector and cli).
 */
#ifndef LS_DEBUGINFO_H
#define LS_DEBUGINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LS_DEBUG_DIR_DEFAULT	"/usr/lib/debug"
#define LS_DEBUG_MAX_DIRS	8
/* debuginfod's default wait, in seconds: a miss must not hold a recording up. */
#define LS_DEBUGINFOD_TIMEOUT_S	5.0
/* The largest debug file read: chromium's is ~3 GiB, node's ~400 MiB. */
#define LS_DEBUG_FILE_MAX	(4ull << 30)

enum ls_debug_source {
	LS_DEBUG_NONE = 0,
	LS_DEBUG_BUILD_ID,	/* <debug-dir>/.build-id/xx/rest.debug */
	LS_DEBUG_DEBUGLINK,	/* a .gnu_debuglink name, CRC checked */
	LS_DEBUG_DEBUGINFOD,	/* a debuginfod server (or its cache) */
};

struct debuginfo_opts {
	size_t sz;				/* sizeof(struct debuginfo_opts) */
	const char *debug_dirs[LS_DEBUG_MAX_DIRS];	/* NULL-ended; none = LS_DEBUG_DIR_DEFAULT */
	bool debuginfod;			/* ask debuginfod (the caller checked DEBUGINFOD_URLS) */
	double debuginfod_timeout_s;		/* 0 = LS_DEBUGINFOD_TIMEOUT_S */
};

/* What is known of one module, from its own ELF file (debuginfo__describe()). */
struct debuginfo_module {
	uint8_t build_id[64];
	uint32_t build_id_len;		/* 0 = none */
	char debuglink[256];		/* .gnu_debuglink name, "" = none */
	uint32_t debuglink_crc;
	const char *path;		/* as the target names it (its maps) */
	int root_fd;			/* the target's root, -1 = the host's */
};

struct debuginfo_stats {
	uint64_t lookups;		/* debuginfo__find() calls, cached or not */
	uint64_t found[4];		/* by enum ls_debug_source (found[0]: none found) */
	uint64_t refused_build_id;	/* a file with another build-id (or none) */
	uint64_t refused_crc;		/* a debuglink file whose CRC differs */
	uint64_t refused_file;		/* a link, FIFO, device, too large, not ELF */
	uint64_t debuginfod_queries;	/* sent to libdebuginfod (not cached here) */
	uint64_t debuginfod_timeouts;
};

struct debuginfo *debuginfo__new(const struct debuginfo_opts *opts);
void debuginfo__free(struct debuginfo *d);

struct Elf;
/* Fills m's build-id and debuglink from elf (path and root_fd are the caller's). */
void debuginfo__describe(struct Elf *elf, struct debuginfo_module *m);

/*
 * The debug file of m: an fd (the caller closes it) and where it came
 * from (*src, and its path in where, when not NULL). -ENOENT when none was
 * found (or every one found was refused); the answer is cached.
 */
int debuginfo__find(struct debuginfo *d, const struct debuginfo_module *m,
		    enum ls_debug_source *src, char *where, size_t where_len);

void debuginfo__stats(const struct debuginfo *d, struct debuginfo_stats *st);
/* "build-id dir", "debuglink", "debuginfod", "none". */
const char *ls_debug_source_name(enum ls_debug_source src);

/* The build-id of an open ELF file; its length, 0 when it has none. */
uint32_t ls_elf_build_id(struct Elf *elf, uint8_t *buf, uint32_t cap);

#endif
