/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * symtab: a sorted address -> name table shared by the ELF, kallsyms and
 * perf-map readers of the symbolizer.
 *
 * Names live in a chunked pool that never moves, so a name pointer handed
 * out stays valid until symtab__free(), even while the table keeps growing
 * (perf maps are read incrementally). Internal to collector/.
 */
#ifndef LS_SYMTAB_H
#define LS_SYMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LS_SYM_DEMANGLED	0x1	/* name already went through the demangler */

struct ls_sym {
	uint64_t addr;
	uint64_t size;		/* 0 = unknown: covers up to the next symbol */
	const char *name;
	uint32_t rank;		/* lower wins when several symbols share addr */
	uint32_t flags;
};

struct ls_pool_chunk;

struct ls_symtab {
	struct ls_sym *syms;
	size_t n;
	size_t cap;
	size_t sorted;		/* syms[0..sorted) are sorted and deduplicated */
	struct ls_pool_chunk *pool;
	bool keep_all;		/* no dedup: every line of a perf map, newest first at one address */
};

/* Copies name (len bytes, need not be NUL-terminated); 0 or -ENOMEM. */
int symtab__add(struct ls_symtab *t, uint64_t addr, uint64_t size, const char *name,
		size_t len, uint32_t rank);
/* A stable copy of s in the table's pool, or NULL. */
const char *symtab__strdup(struct ls_symtab *t, const char *s, size_t len);
/* Sorts by address and keeps the best-ranked symbol of each address. */
void symtab__sort(struct ls_symtab *t);
/* The symbol covering addr, or NULL; the table must be sorted. */
struct ls_sym *symtab__find(struct ls_symtab *t, uint64_t addr);
/*
 * Of the sized symbols enclosing addr (a few back), the lowest rank: a perf
 * map's newest line, where a JIT reused memory an older line described
 * (a small old entry inside a newer, larger one is not the code there now).
 */
struct ls_sym *symtab__find_newest(struct ls_symtab *t, uint64_t addr);
/* The sized symbols enclosing addr (the same few back), at most max into out; how many. */
size_t symtab__enclosing(struct ls_symtab *t, uint64_t addr, struct ls_sym **out, size_t max);
void symtab__free(struct ls_symtab *t);

#endif
