/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One open-addressing hash table for the whole project: linear probing, no
 * tombstones (a delete shifts the rest of its cluster back), load at most
 * 1/2, capacity a power of two that only grows.
 *
 * Entries are the user's own structs of `esize` bytes, stored inline. The
 * table keeps each entry's hash beside it, so growing and deleting need no
 * callback; a lookup compares the hash first, then calls eq(entry, key).
 * The key is whatever the caller looks up with (a tid, a pointer, a string,
 * a struct that also carries the context eq needs); the table never copies it.
 *
 * POINTER STABILITY: entries move when the table grows (any insert) and when
 * an entry is removed (later members of its cluster shift back). A pointer
 * from ls_table_find/ls_table_insert is valid only until the next insert or
 * remove on that table. Where something must stay put across those calls,
 * make the entry a pointer to a heap object and keep that pointer instead.
 *
 * The slot of a hash is its low bits (hash & (cap - 1)): callers hash with
 * ls_hash_u64 or ls_hash_bytes, or their own mix with good low bits.
 */
#ifndef LS_TABLE_H
#define LS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Does entry (in the table) hold key (as passed to find/insert)? */
typedef bool (*ls_table_eq_fn)(const void *entry, const void *key);

struct ls_table {
	unsigned char *entries;	/* cap * esize bytes */
	uint64_t *hashes;	/* per slot: hash | LS_TABLE_USED, 0 = empty */
	size_t esize;
	size_t cap;		/* 0 until the first insert */
	size_t n;
	size_t min_cap;		/* capacity of the first allocation */
	size_t max;		/* no growth past this many entries */
	ls_table_eq_fn eq;
};

/*
 * An empty table of esize-byte entries; nothing is allocated until the first
 * insert, which allocates min_cap slots (a power of two, at least 2). max
 * caps the entries (SIZE_MAX: none): an insert that would grow the table
 * beyond max fails as out of memory does.
 */
void ls_table_init(struct ls_table *t, size_t esize, size_t min_cap, size_t max,
		   ls_table_eq_fn eq);
/* Frees the slots, not what entries point to; the table is empty after it. */
void ls_table_free(struct ls_table *t);

/* The entry holding key (hash its hash), or NULL. */
void *ls_table_find(const struct ls_table *t, uint64_t hash, const void *key);
/*
 * Get-or-create: the entry holding key, or a new zeroed one (*created set)
 * that the caller fills with its key before the next call on the table.
 * NULL when out of memory or at max. Grows first when the table is half
 * full, even if key is present (so entry pointers move: see above).
 */
void *ls_table_insert(struct ls_table *t, uint64_t hash, const void *key, bool *created);
/* Removes entry (a pointer into the table); others of its cluster move. */
void ls_table_remove(struct ls_table *t, void *entry);

static inline size_t ls_table_count(const struct ls_table *t)
{
	return t->n;
}

/*
 * Iteration in slot order: ls_table_slot(t, i) for i < ls_table_cap(t),
 * NULL for an empty slot. Removing slot i's entry may shift a later one into
 * slot i: look at slot i again. A walk that removes only some entries may
 * meet one twice (one from the table's start, shifted back across the end);
 * a walk that removes every entry it meets sees each exactly once.
 */
static inline size_t ls_table_cap(const struct ls_table *t)
{
	return t->cap;
}

void *ls_table_slot(const struct ls_table *t, size_t i);

/* FNV-1a: the hash of byte and string keys. */
uint64_t ls_hash_bytes(const void *p, size_t len);
uint64_t ls_hash_str(const char *s);

/*
 * Multiplicative (Fibonacci) hash of an integer key. Its low bits depend
 * only on the key's low bits, a bijection for every table size: right for
 * tids (dense) and for pointers shifted right by their alignment, which is
 * what we key on. It is the hash the thread-pool table always used, so its
 * slot order (the order of the items reported at the end) stays the same.
 */
static inline uint64_t ls_hash_u64(uint64_t x)
{
	return x * 0x9e3779b97f4a7c15ull;
}

#endif
