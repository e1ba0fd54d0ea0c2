// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "bpf/loopscope.h"
#include "stack_ids.h"

struct stack_id_entry {
	uint64_t *ips;		/* owned */
	unsigned n;
	int32_t id;
};

struct stack_key {
	const uint64_t *ips;
	unsigned n;
};

static bool entry_eq(const void *entry, const void *key)
{
	const struct stack_id_entry *e = entry;
	const struct stack_key *k = key;

	return e->n == k->n && !memcmp(e->ips, k->ips, k->n * sizeof(*k->ips));
}

void stack_ids__init(struct stack_ids *s)
{
	ls_table_init(&s->table, sizeof(struct stack_id_entry), 256, LS_MAX_UNWOUND_STACKS, entry_eq);
	s->next = LS_MAX_STACK_IDS;
}

int32_t stack_ids__get(struct stack_ids *s, const uint64_t *ips, unsigned n, bool *created)
{
	struct stack_key key = { ips, n };
	uint64_t hash = ls_hash_bytes(ips, n * sizeof(*ips));
	struct stack_id_entry *e;

	*created = false;
	e = ls_table_find(&s->table, hash, &key);
	if (e)
		return e->id;
	if (s->next >= LS_STACK_ID_LIMIT)
		return -ENOSPC;
	e = ls_table_insert(&s->table, hash, &key, created);
	if (!e)
		return -ENOMEM;
	e->ips = malloc(n * sizeof(*ips) + 1);
	if (!e->ips) {
		ls_table_remove(&s->table, e);
		*created = false;
		return -ENOMEM;
	}
	memcpy(e->ips, ips, n * sizeof(*ips));
	e->n = n;
	e->id = s->next++;
	return e->id;
}

void stack_ids__free(struct stack_ids *s)
{
	size_t i;

	for (i = 0; i < ls_table_cap(&s->table); i++) {
		struct stack_id_entry *e = ls_table_slot(&s->table, i);

		if (e)
			free(e->ips);
	}
	ls_table_free(&s->table);
}
