// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "js_names.h"
#include "symtab.h"
#include "table.h"

struct js_names {
	struct ls_table t;	/* of struct js_name, by (pid, addr) */
	struct ls_symtab strs;	/* the names' storage */
};

struct name_key {
	uint32_t pid;
	uint64_t addr;
};

static bool name_eq(const void *entry, const void *key)
{
	const struct js_name *e = entry;
	const struct name_key *k = key;

	return e->pid == k->pid && e->addr == k->addr;
}

static uint64_t name_hash(uint32_t pid, uint64_t addr)
{
	return ls_hash_u64(addr ^ ((uint64_t)pid << 40));
}

struct js_names *js_names__new(void)
{
	struct js_names *n = calloc(1, sizeof(*n));

	if (n)
		ls_table_init(&n->t, sizeof(struct js_name), 64, LS_MAX_JS_NAMES, name_eq);
	return n;
}

int js_names__add(struct js_names *n, const struct ls_rec_js_frame *r)
{
	struct name_key k = { r->pid, r->addr };
	char name[LS_JS_NAME_MAX + 4];
	struct js_name *e;
	bool created;

	if (!LS_IS_JS_FRAME(r->addr))
		return -EINVAL;
	snprintf(name, sizeof(name), "JS:%.*s", (int)strnlen(r->name, sizeof(r->name)), r->name);
	e = ls_table_insert(&n->t, name_hash(r->pid, r->addr), &k, &created);
	if (!e)
		return -ENOMEM;
	e->pid = r->pid;
	e->addr = r->addr;
	e->pc = r->pc;
	e->name = symtab__strdup(&n->strs, name, strlen(name));
	if (!e->name) {
		ls_table_remove(&n->t, e);
		return -ENOMEM;
	}
	return 0;
}

const struct js_name *js_names__find(const struct js_names *n, uint32_t pid, uint64_t addr)
{
	struct name_key k = { pid, addr };

	return ls_table_find(&n->t, name_hash(pid, addr), &k);
}

int js_names__frame(const struct js_names *n, uint32_t pid, uint64_t addr, struct ls_frame_info *out)
{
	const struct js_name *e = js_names__find(n, pid, addr);

	out->kind = LS_FRAME_JIT;
	out->mapping = "[js]";
	if (!e)
		return -ENOENT;
	out->function = e->name;
	return 0;
}

void js_names__free(struct js_names *n)
{
	if (!n)
		return;
	ls_table_free(&n->t);
	symtab__free(&n->strs);
	free(n);
}
