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
#include "safe_open.h"
#include "symtab.h"

struct ls_perfmap {
	struct ls_symtab syms;
	char *path;
	struct ls_open_rules rules;	/* how the target's file may be opened */
	uint64_t max_bytes;	/* read no further into the file than this */
	ino_t ino;
	off_t off;		/* bytes consumed: whole lines only */
	bool skipping;		/* inside an over-long line */
	bool found;		/* the file was opened at least once */
	bool capped;		/* the file went past max_bytes: the rest is not read */
	int refused;		/* -errno of the last refusal by the rules, 0 = none */
	size_t max_entries;
	uint32_t seq;		/* later lines win over earlier ones at one address */
	uint64_t entries;
	uint64_t bad_lines;
	uint64_t dropped;
};

/*
 * path is copied; it is opened with rules (rules->root_fd must outlive pm).
 * max_bytes 0 = 64 MiB. 0 or -ENOMEM.
 */
int ls_perfmap__init(struct ls_perfmap *pm, const char *path, const struct ls_open_rules *rules,
		     size_t max_entries, uint64_t max_bytes);
/*
 * Reads lines appended since the last call; -ENOENT when there is no file,
 * and a refusal of the rules (safe_open.h), also kept in pm->refused.
 */
int ls_perfmap__update(struct ls_perfmap *pm);
void ls_perfmap__free(struct ls_perfmap *pm);

#endif
