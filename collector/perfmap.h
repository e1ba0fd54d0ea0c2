/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * perfmap: JIT symbols from a perf map ("START SIZE name" lines, hex), as
 * written by node --perf-basic-prof. Runtimes append to the file as they
 * compile, so it is read incrementally: each update parses only whole lines
 * added since the last one. Internal to collector/.
 */
#ifndef LS_PERFMAP_H
#define LS_PERFMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "symtab.h"

struct ls_perfmap {
	struct ls_symtab syms;
	char *path;
	ino_t ino;
	off_t off;		/* bytes consumed: whole lines only */
	bool skipping;		/* inside an over-long line */
	bool found;		/* the file was opened at least once */
	size_t max_entries;
	uint32_t seq;		/* later lines win over earlier ones at one address */
	uint64_t entries;
	uint64_t bad_lines;
	uint64_t dropped;
};

/* path is copied. 0 or -ENOMEM. */
int ls_perfmap__init(struct ls_perfmap *pm, const char *path, size_t max_entries);
/* Reads lines appended since the last call; -ENOENT when there is no file. */
int ls_perfmap__update(struct ls_perfmap *pm);
void ls_perfmap__free(struct ls_perfmap *pm);

#endif
