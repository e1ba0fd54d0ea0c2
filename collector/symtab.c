/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sorted symbol table with a non-moving string pool; see symtab.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "symtab.h"

#define POOL_CHUNK	(64u << 10)
/* How far back find() looks for an enclosing symbol when the nearest one ends early. */
#define FIND_BACK	8
#define NEWEST_BACK	64	/* a newer, larger JIT entry may hold many older small ones */

struct ls_pool_chunk {
	struct ls_pool_chunk *next;
	size_t used;
	size_t cap;
	char data[];
};

const char *symtab__strdup(struct ls_symtab *t, const char *s, size_t len)
{
	struct ls_pool_chunk *c = t->pool;
	char *p;

	if (!c || c->cap - c->used < len + 1) {
		size_t cap = len + 1 > POOL_CHUNK ? len + 1 : POOL_CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		c->next = t->pool;
		t->pool = c;
	}
	p = c->data + c->used;
	memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

int symtab__add(struct ls_symtab *t, uint64_t addr, uint64_t size, const char *name,
		size_t len, uint32_t rank)
{
	struct ls_sym *s;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct ls_sym *syms = realloc(t->syms, cap * sizeof(*syms));

		if (!syms)
			return -ENOMEM;
		t->syms = syms;
		t->cap = cap;
	}
	s = &t->syms[t->n];
	s->name = symtab__strdup(t, name, len);
	if (!s->name)
		return -ENOMEM;
	s->addr = addr;
	s->size = size;
	s->rank = rank;
	s->flags = 0;
	t->n++;
	return 0;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct ls_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	/* A sized symbol tells more than a size-0 label at the same address. */
	return (x->size == 0) - (y->size == 0);
}

void symtab__sort(struct ls_symtab *t)
{
	size_t i, k = 0;

	if (t->sorted == t->n)
		return;
	qsort(t->syms, t->n, sizeof(*t->syms), cmp_sym);
	for (i = 0; i < t->n; i++) {
		if (k && t->syms[k - 1].addr == t->syms[i].addr && !t->keep_all)
			continue;
		t->syms[k++] = t->syms[i];
	}
	t->n = k;
	t->sorted = k;
}

static bool covers(const struct ls_symtab *t, size_t i, uint64_t addr)
{
	const struct ls_sym *s = &t->syms[i];

	if (s->size)
		return addr - s->addr < s->size;
	/* Unsized (assembly labels, kallsyms): up to the next symbol, never past the last. */
	return i + 1 < t->n;
}

/* How many symbols start at or below addr (the last of them is the closest). */
static size_t starting_below(const struct ls_symtab *t, uint64_t addr)
{
	size_t lo = 0, hi = t->sorted;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct ls_sym *symtab__find_newest(struct ls_symtab *t, uint64_t addr)
{
	size_t lo = starting_below(t, addr), i, stop = lo > NEWEST_BACK ? lo - NEWEST_BACK : 0;
	struct ls_sym *best = NULL;

	for (i = lo; i-- > stop;)
		if (t->syms[i].size && covers(t, i, addr) && (!best || t->syms[i].rank < best->rank))
			best = &t->syms[i];
	return best;
}

size_t symtab__enclosing(struct ls_symtab *t, uint64_t addr, struct ls_sym **out, size_t max)
{
	size_t lo = starting_below(t, addr), i, stop = lo > NEWEST_BACK ? lo - NEWEST_BACK : 0, n = 0;

	for (i = lo; i-- > stop && n < max;)
		if (t->syms[i].size && covers(t, i, addr))
			out[n++] = &t->syms[i];
	return n;
}

struct ls_sym *symtab__find(struct ls_symtab *t, uint64_t addr)
{
	size_t lo = starting_below(t, addr), i, stop;

	if (!lo)
		return NULL;
	/*
	 * Symbols may nest (a perf map entry re-describing part of an older
	 * one, local aliases inside a function): look back a little for one
	 * that still encloses addr.
	 */
	stop = lo > FIND_BACK ? lo - FIND_BACK : 0;
	for (i = lo; i-- > stop;)
		if (covers(t, i, addr) && (i == lo - 1 || t->syms[i].size))
			return &t->syms[i];
	return NULL;
}

void symtab__free(struct ls_symtab *t)
{
	struct ls_pool_chunk *c, *next;

	if (!t)
		return;
	for (c = t->pool; c; c = next) {
		next = c->next;
		free(c);
	}
	free(t->syms);
	memset(t, 0, sizeof(*t));
}
