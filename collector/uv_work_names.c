/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Names of thread-pool items: an fs item's operation (fs.read, from its
 * uv_fs_t), or by LS_REC_WORK_NAME (made by cli/work_names.c):
 * by (pid, address), the address being a submit's work function or one of
 * the two owner words before its uv_work_t. A submit takes its owner's
 * class when one of its words was named (node: every item has the same
 * work function, its class tells pbkdf2 from zlib), else its function's
 * name. Items of one name within one kind share an entry of the pool
 * summary's `named` list; bounded both ways, the overflow counted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "correlator_int.h"
#include "record.h"

#define LS_MAX_WORK_ADDRS	1024	/* named addresses kept */

struct uvn_key {			/* no padding: compared with memcmp */
	uint64_t addr;
	uint32_t pid;
	uint32_t zero;
};

struct uvn_entry {
	struct uvn_key key;
	char name[LS_WORK_NAME_MAX];
};

struct uvn_run {
	struct ls_table addrs;		/* struct uvn_entry, inline */
};

static bool entry_is(const void *entry, const void *key)
{
	return !memcmp(&((const struct uvn_entry *)entry)->key, key, sizeof(struct uvn_key));
}

static uint64_t key_hash(const struct uvn_key *k)
{
	return ls_hash_u64(k->addr ^ (uint64_t)k->pid * 0x9e3779b97f4a7c15ull);
}

int uvn_name_rec(struct correlator *c, const void *rec)
{
	const struct ls_rec_work_name *r = rec;
	struct uvn_key key = { .addr = r->addr, .pid = r->pid };
	struct uvn_entry *e;
	bool created;

	if (!r->pid || !r->addr || !r->name[0] || !memchr(r->name, 0, sizeof(r->name)))
		return -EINVAL;
	if (!c->uvn) {
		if (!(c->uvn = calloc(1, sizeof(*c->uvn))))
			return -ENOMEM;
		ls_table_init(&c->uvn->addrs, sizeof(struct uvn_entry), 16, LS_MAX_WORK_ADDRS, entry_is);
	}
	e = ls_table_insert(&c->uvn->addrs, key_hash(&key), &key, &created);
	if (!e) {
		c->summary.pool.named_full++;
		return 0;
	}
	e->key = key;
	memcpy(e->name, r->name, sizeof(e->name));
	return 0;
}

static const char *name_at(const struct correlator *c, uint32_t pid, uint64_t addr)
{
	struct uvn_key key = { .addr = addr, .pid = pid };
	const struct uvn_entry *e;

	if (!addr || !c->uvn)
		return NULL;
	e = ls_table_find(&c->uvn->addrs, key_hash(&key), &key);
	return e ? e->name : NULL;
}

/* The entry of name within kind, made at first sight; -1 past the cap or out of memory. */
static int32_t named_entry(struct ls_pool_summary *p, const char *name, uint32_t kind)
{
	struct ls_work_named *n;
	uint32_t i;

	for (i = 0; i < p->nnamed; i++)
		if (p->named[i]->kind == kind && !strcmp(p->named[i]->name, name))
			return (int32_t)i;
	if (p->nnamed == LS_MAX_WORK_NAMES || !(n = calloc(1, sizeof(*n)))) {
		p->named_full++;
		return -1;
	}
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->kind = kind;
	ls_hist_init(&n->st.queue);
	ls_hist_init(&n->st.run);
	ls_hist_init(&n->st.done);
	p->named[p->nnamed] = n;
	return (int32_t)p->nnamed++;
}

int32_t uvn_named_of(struct correlator *c, const struct ls_rec_uv_work *r, uint32_t kind)
{
	const char *name = kind == LS_WORK_FS ? ls_fs_detail_name(r->detail) : NULL;

	if (name)	/* libuv's own operation: fs.read */
		return named_entry(&c->summary.pool, name, kind);
	name = name_at(c, r->pid, r->owner[0]);

	if (!name)
		name = name_at(c, r->pid, r->owner[1]);
	if (!name)
		name = name_at(c, r->pid, r->work_fn);
	return name ? named_entry(&c->summary.pool, name, kind) : -1;
}

void uvn_free(struct correlator *c)
{
	uint32_t i;

	for (i = 0; i < c->summary.pool.nnamed; i++)
		free(c->summary.pool.named[i]);
	c->summary.pool.nnamed = 0;
	if (c->uvn)
		ls_table_free(&c->uvn->addrs);
	free(c->uvn);
	c->uvn = NULL;
}
