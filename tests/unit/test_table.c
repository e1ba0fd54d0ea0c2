/* SPDX-License-Identifier: BSD-2-Clause */
/* collector/table.c: growth, backward-shift deletes, string keys, a random run. */
#include "../harness.h"
#include "collector/table.h"

struct ent {
	uint64_t key;
	uint64_t val;
};

static bool ent_eq(const void *e, const void *key)
{
	return ((const struct ent *)e)->key == *(const uint64_t *)key;
}

/* Inserts key with hash h (chosen by the test to build clusters) and val. */
static void put(struct ls_table *t, uint64_t h, uint64_t key, uint64_t val)
{
	bool created;
	struct ent *e = ls_table_insert(t, h, &key, &created);

	ASSERT(e);
	ASSERT(created);
	e->key = key;
	e->val = val;
}

static uint64_t val_of(const struct ls_table *t, uint64_t h, uint64_t key)
{
	const struct ent *e = ls_table_find(t, h, &key);

	return e ? e->val : 0;
}

static size_t slot_of(const struct ls_table *t, uint64_t h, uint64_t key)
{
	return (size_t)((unsigned char *)ls_table_find(t, h, &key) - t->entries) / t->esize;
}

TEST(table_grow_keeps_entries)
{
	struct ls_table t;
	uint64_t k;
	bool created;

	ls_table_init(&t, sizeof(struct ent), 8, SIZE_MAX, ent_eq);
	ASSERT(!ls_table_find(&t, ls_hash_u64(1), &(uint64_t){ 1 }));
	ASSERT_EQ(ls_table_cap(&t), 0);
	for (k = 1; k <= 1000; k++)
		put(&t, ls_hash_u64(k), k, k * 10);
	ASSERT_EQ(ls_table_count(&t), 1000);
	ASSERT_EQ(ls_table_cap(&t), 2048);	/* load kept at most 1/2 */
	for (k = 1; k <= 1000; k++)
		ASSERT_U64_EQ(val_of(&t, ls_hash_u64(k), k), k * 10);
	ASSERT(!ls_table_find(&t, ls_hash_u64(1001), &(uint64_t){ 1001 }));
	/* get-or-create of a present key returns it, unchanged */
	k = 7;
	ASSERT_U64_EQ(((struct ent *)ls_table_insert(&t, ls_hash_u64(k), &k, &created))->val, 70);
	ASSERT(!created);
	ASSERT_EQ(ls_table_count(&t), 1000);
	ls_table_free(&t);
	ASSERT_EQ(ls_table_count(&t), 0);
}

TEST(table_max_entries)
{
	struct ls_table t;
	uint64_t k;
	bool created;

	ls_table_init(&t, sizeof(struct ent), 4, 2, ent_eq);
	put(&t, 1, 1, 1);
	put(&t, 2, 2, 2);
	k = 3;
	ASSERT(!ls_table_insert(&t, 3, &k, &created));	/* would grow past max */
	ASSERT_EQ(ls_table_count(&t), 2);
	ls_table_free(&t);
}

/* Keys 1..4 with the given hashes into a table of 8 slots (4 entries fit). */
static void build(struct ls_table *t, const uint64_t h[4])
{
	uint64_t k;

	ls_table_init(t, sizeof(struct ent), 8, SIZE_MAX, ent_eq);
	for (k = 1; k <= 4; k++)
		put(t, h[k - 1], k, k);
	ASSERT_EQ(ls_table_cap(t), 8);
}

/*
 * Backward-shift deletes in 8 slots: keys 1..4 inserted with hash[k - 1],
 * the keys of `removed` removed in turn; then key k sits in slot at[k - 1]
 * (-1: gone), and every other slot is empty.
 */
static const struct {
	const char *what;
	uint64_t hash[4];
	uint64_t removed[2];
	int at[4];
} delete_cases[] = {
	{ "the cluster's head goes: all shift back, across the end",
	  { 6, 14, 7, 0 }, { 1 }, { -1, 6, 7, 0 } },	/* slots were 6, 7, 0, 1 */
	{ "an entry at its home stays; one homed before it jumps over it, across the end",
	  { 6, 7, 14, 3 }, { 1 }, { -1, 7, 6, 3 } },	/* 6, 7, 0, 3 */
	{ "an entry at its home after the hole: the hole stays",
	  { 6, 14, 7, 1 }, { 3 }, { 6, 7, -1, 1 } },	/* 6, 7, 0, 1 */
	{ "then its cluster's head: the one behind it shifts, the end is not crossed",
	  { 6, 14, 7, 1 }, { 3, 1 }, { -1, 6, -1, 1 } },
	{ "the cluster's last: nothing moves",
	  { 6, 14, 7, 0 }, { 4 }, { 6, 7, 0, -1 } },
};

TEST(table_delete_wraparound)
{
	size_t n, i, r, used;
	struct ls_table t;
	uint64_t k;

	for (n = 0; n < sizeof(delete_cases) / sizeof(delete_cases[0]); n++) {
		build(&t, delete_cases[n].hash);
		for (r = 0; r < 2 && (k = delete_cases[n].removed[r]); r++)
			ls_table_remove(&t, ls_table_find(&t, delete_cases[n].hash[k - 1], &k));
		for (k = 1, used = 0; k <= 4; k++) {
			int at = delete_cases[n].at[k - 1];

			if (at < 0) {
				ASSERT(!ls_table_find(&t, delete_cases[n].hash[k - 1], &k));
				continue;
			}
			ASSERT_EQ(slot_of(&t, delete_cases[n].hash[k - 1], k), at);
			ASSERT_U64_EQ(val_of(&t, delete_cases[n].hash[k - 1], k), k);
			used++;
		}
		for (i = 0; i < 8; i++)
			used -= !!ls_table_slot(&t, i);
		ASSERT_EQ(used, 0);
		ASSERT_EQ(ls_table_count(&t), 4 - r);
		ls_table_free(&t);
	}
}

TEST(table_remove_all_while_walking)
{
	static const uint64_t h[4] = { 6, 14, 7, 0 };
	struct ls_table t;
	size_t i, seen = 0;

	build(&t, h);
	for (i = 0; i < ls_table_cap(&t); i++) {
		struct ent *e;

		while ((e = ls_table_slot(&t, i))) {
			seen += e->val;
			ls_table_remove(&t, e);
		}
	}
	ASSERT_EQ(seen, 1 + 2 + 3 + 4);
	ASSERT_EQ(ls_table_count(&t), 0);
	ls_table_free(&t);
}

struct str_ent {
	char *s;
	uint64_t count;
};

static bool str_eq(const void *e, const void *key)
{
	return !strcmp(((const struct str_ent *)e)->s, key);
}

TEST(table_string_keys)
{
	static const char *const words[] = { "main;uv_run;uv__io_poll", "main;uv_run", "",
					     "main;uv_run;uv__io_poll", "a", "main;uv_run" };
	struct ls_table t;
	struct str_ent *e;
	size_t i;
	bool created;

	ASSERT_U64_EQ(ls_hash_str(""), 0xcbf29ce484222325ull);	/* FNV-1a's offset basis */
	ASSERT_U64_EQ(ls_hash_str("a"), 0xaf63dc4c8601ec8cull);
	ASSERT_U64_EQ(ls_hash_bytes("ab", 1), ls_hash_str("a"));
	ls_table_init(&t, sizeof(struct str_ent), 2, SIZE_MAX, str_eq);
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		e = ls_table_insert(&t, ls_hash_str(words[i]), words[i], &created);
		ASSERT(e);
		if (created)
			e->s = strdup(words[i]);
		e->count++;
	}
	ASSERT_EQ(ls_table_count(&t), 4);
	e = ls_table_find(&t, ls_hash_str("main;uv_run"), "main;uv_run");
	ASSERT(e);
	ASSERT_EQ(e->count, 2);
	ASSERT(!ls_table_find(&t, ls_hash_str("main"), "main"));
	for (i = 0; i < ls_table_cap(&t); i++)
		if ((e = ls_table_slot(&t, i)))
			free(e->s);
	ls_table_free(&t);
}

/* A weak hash (7 homes) makes long clusters that wrap; the real one, short ones. */
static uint64_t test_hash(int weak, uint64_t k)
{
	return weak ? k % 7 + 5 * (k & 1) : ls_hash_u64(k);
}

static void random_run(int weak, uint64_t rnd)
{
	enum { KEYS = 512, STEPS = 100000 };
	static uint64_t ref[KEYS];	/* 0 = absent, else the value */
	struct ls_table t;
	size_t step, n = 0, i;
	uint64_t k;

	memset(ref, 0, sizeof(ref));
	ls_table_init(&t, sizeof(struct ent), 2, SIZE_MAX, ent_eq);
	for (step = 0; step < STEPS; step++) {
		struct ent *e;

		rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
		k = (rnd >> 33) % (step < STEPS / 2 ? KEYS : KEYS / 8);	/* then mostly deletes */
		e = ls_table_find(&t, test_hash(weak, k), &k);
		if (ref[k]) {
			ASSERT(e);
			ASSERT_U64_EQ(e->val, ref[k]);
			ls_table_remove(&t, e);
			ref[k] = 0;
			n--;
		} else {
			ASSERT(!e);
			put(&t, test_hash(weak, k), k, step + 1);
			ref[k] = step + 1;
			n++;
		}
		ASSERT_EQ(ls_table_count(&t), n);
		if (step % 1024)
			continue;
		for (i = 0; i < KEYS; i++)
			ASSERT_U64_EQ(val_of(&t, test_hash(weak, i), i), ref[i]);
	}
	for (i = 0; i < KEYS; i++)
		ASSERT_U64_EQ(val_of(&t, test_hash(weak, i), i), ref[i]);
	ls_table_free(&t);
}

/* Many random inserts and deletes, checked against a plain array. */
TEST(table_random_against_reference)
{
	random_run(0, 12345);
	random_run(1, 54321);
}
