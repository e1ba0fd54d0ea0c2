/* SPDX-License-Identifier: BSD-2-Clause */
/* The open-addressing table of table.h. */
#include <stdlib.h>
#include <string.h>
#include "table.h"

/* Marks a used slot: no hash is 0 then, and the bit never reaches a slot index. */
#define LS_TABLE_USED	(1ull << 63)

void ls_table_init(struct ls_table *t, size_t esize, size_t min_cap, size_t max,
		   ls_table_eq_fn eq)
{
	size_t cap = 2;

	while (cap < min_cap)
		cap *= 2;
	*t = (struct ls_table){ .esize = esize, .min_cap = cap, .max = max, .eq = eq };
}

void ls_table_free(struct ls_table *t)
{
	free(t->entries);
	free(t->hashes);
	t->entries = NULL;
	t->hashes = NULL;
	t->cap = t->n = 0;
}

static void *entry_at(const struct ls_table *t, size_t i)
{
	return t->entries + i * t->esize;
}

void *ls_table_slot(const struct ls_table *t, size_t i)
{
	return i < t->cap && t->hashes[i] ? entry_at(t, i) : NULL;
}

/* The first free slot of hash h's probe sequence. */
static size_t free_slot(const struct ls_table *t, uint64_t h)
{
	size_t i, mask = t->cap - 1;

	for (i = h & mask; t->hashes[i]; i = (i + 1) & mask)
		;
	return i;
}

/* Doubles the slots (or makes the first ones); the old order of a cluster is kept. */
static int grow(struct ls_table *t)
{
	struct ls_table old = *t;
	size_t i, k;

	t->cap = old.cap ? old.cap * 2 : old.min_cap;
	t->hashes = calloc(t->cap, sizeof(*t->hashes));
	t->entries = calloc(t->cap, t->esize);
	if (!t->hashes || !t->entries) {
		free(t->hashes);
		free(t->entries);
		*t = old;
		return -1;
	}
	for (i = 0; i < old.cap; i++) {
		if (!old.hashes[i])
			continue;
		k = free_slot(t, old.hashes[i]);
		t->hashes[k] = old.hashes[i];
		memcpy(entry_at(t, k), entry_at(&old, i), t->esize);
	}
	free(old.hashes);
	free(old.entries);
	return 0;
}

/* key's slot, or the free slot that ends its probe sequence (cap > 0). */
static size_t probe(const struct ls_table *t, uint64_t h, const void *key)
{
	size_t i, mask = t->cap - 1;

	for (i = h & mask; t->hashes[i]; i = (i + 1) & mask)
		if (t->hashes[i] == h && t->eq(entry_at(t, i), key))
			break;
	return i;
}

void *ls_table_find(const struct ls_table *t, uint64_t hash, const void *key)
{
	size_t i;

	if (!t->n)
		return NULL;
	i = probe(t, hash | LS_TABLE_USED, key);
	return t->hashes[i] ? entry_at(t, i) : NULL;
}

void *ls_table_insert(struct ls_table *t, uint64_t hash, const void *key, bool *created)
{
	uint64_t h = hash | LS_TABLE_USED;
	size_t i;

	*created = false;
	if ((t->n + 1) * 2 > t->cap && (t->n >= t->max || grow(t)))
		return NULL;
	i = probe(t, h, key);
	if (!t->hashes[i]) {
		t->hashes[i] = h;
		memset(entry_at(t, i), 0, t->esize);
		t->n++;
		*created = true;
	}
	return entry_at(t, i);
}

/*
 * Backward shift: walking k = hole+1, hole+2, ... while occupied, the entry
 * at k moves back into the hole (and k becomes the hole) unless its home
 * slot lies cyclically in (hole, k]: then it is still reachable from home.
 */
static bool may_fill(size_t home, size_t hole, size_t k)
{
	return k > hole ? home <= hole || home > k : home <= hole && home > k;
}

void ls_table_remove(struct ls_table *t, void *entry)
{
	size_t mask = t->cap - 1, hole = (size_t)((unsigned char *)entry - t->entries) / t->esize, k;

	t->hashes[hole] = 0;
	t->n--;
	for (k = (hole + 1) & mask; t->hashes[k]; k = (k + 1) & mask) {
		if (!may_fill(t->hashes[k] & mask, hole, k))
			continue;
		t->hashes[hole] = t->hashes[k];
		memcpy(entry_at(t, hole), entry_at(t, k), t->esize);
		t->hashes[k] = 0;
		hole = k;
	}
}

uint64_t ls_hash_bytes(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	while (len--)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

uint64_t ls_hash_str(const char *s)
{
	return ls_hash_bytes(s, strlen(s));
}
