/* SPDX-License-Identifier: BSD-2-Clause */
/* Thread-pool item kinds named from the target's symbols (work_names.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collector/table.h"
#include "work_names.h"

#define WORK_NAMES_MAX_TRIED	4096

struct tried_key {		/* no padding: compared with memcmp */
	uint64_t addr;
	uint32_t pid;
	uint32_t zero;
};

struct work_names {
	struct ls_table tried;	/* struct tried_key: named or not, asked once */
	uint64_t unkept;
};

static bool key_is(const void *entry, const void *key)
{
	return !memcmp(entry, key, sizeof(struct tried_key));
}

static uint64_t key_hash(const struct tried_key *k)
{
	return ls_hash_u64(k->addr ^ (uint64_t)k->pid * 0x9e3779b97f4a7c15ull);
}

struct work_names *work_names__new(void)
{
	struct work_names *wn = calloc(1, sizeof(*wn));

	if (wn)
		ls_table_init(&wn->tried, sizeof(struct tried_key), 64, WORK_NAMES_MAX_TRIED, key_is);
	return wn;
}

void work_names__free(struct work_names *wn)
{
	if (!wn)
		return;
	ls_table_free(&wn->tried);
	free(wn);
}

uint64_t work_names__unkept(const struct work_names *wn)
{
	return wn ? wn->unkept : 0;
}

/* True the first time (pid, addr) is asked about; false after, or when the cache is full. */
static bool first_time(struct work_names *wn, uint32_t pid, uint64_t addr)
{
	struct tried_key key = { .addr = addr, .pid = pid };
	struct tried_key *e;
	bool created;

	if (ls_table_find(&wn->tried, key_hash(&key), &key))
		return false;
	e = ls_table_insert(&wn->tried, key_hash(&key), &key, &created);
	if (!e) {
		wn->unkept++;
		return false;
	}
	*e = key;
	return true;
}

/* A process gone or replaced: its addresses mean something else now. */
static void forget(struct work_names *wn, uint32_t pid)
{
	struct tried_key *e;
	size_t i;

	for (i = 0; i < ls_table_cap(&wn->tried); i++)
		while ((e = ls_table_slot(&wn->tried, i)) && e->pid == pid)
			ls_table_remove(&wn->tried, e);
}

/*
 * An owner word names its class when it points into a vtable ("vtable for
 * X"); a work function, when it is a function's first byte and not a
 * lambda (node's one lambda runs every kind: it would name none).
 */
static bool name_of(const struct ls_frame_info *fi, bool owner, char *buf, size_t sz)
{
	static const char vt[] = "vtable for ";
	char fn[256];
	const char *paren;

	if (!fi->function)
		return false;
	if (owner)
		return !strncmp(fi->function, vt, sizeof(vt) - 1) &&
		       ls_short_type_name(fi->function + sizeof(vt) - 1, buf, sz);
	if (fi->offset || strstr(fi->function, "{lambda") || !strncmp(fi->function, vt, sizeof(vt) - 1))
		return false;
	/* "ns::run(int)": the name without its parameters */
	paren = strchr(fi->function, '(');
	while (paren && !strncmp(paren, "(anonymous namespace)", 21))
		paren = strchr(paren + 21, '(');
	snprintf(fn, sizeof(fn), "%.*s", paren ? (int)(paren - fi->function) : (int)strlen(fi->function),
		 fi->function);
	return ls_short_type_name(fn, buf, sz);
}

static bool name_addr(struct work_names *wn, struct proc_syms *ps, uint32_t pid, uint64_t addr,
		      bool owner, struct ls_rec_work_name *out)
{
	struct ls_frame_info fi;

	if (!addr || !first_time(wn, pid, addr))
		return false;
	if (proc_syms__resolve(ps, pid, addr, false, &fi))
		return false;
	memset(out, 0, sizeof(*out));
	out->type = LS_REC_WORK_NAME;
	out->pid = pid;
	out->addr = addr;
	return name_of(&fi, owner, out->name, sizeof(out->name));
}

unsigned work_names__name(struct work_names *wn, struct proc_syms *ps, const void *data,
			  size_t len, struct ls_rec_work_name out[WORK_NAMES_PER_SUBMIT])
{
	const struct ls_rec_uv_work *r = data;
	const struct ls_rec_proc *p = data;
	unsigned n = 0, i;

	if (!wn || !ps || len < sizeof(__u32))
		return 0;
	if (r->type == LS_REC_PROC && len == sizeof(*p) &&
	    (p->event == LS_PROC_EXIT || p->event == LS_PROC_EXEC)) {
		forget(wn, p->pid);
		return 0;
	}
	if (r->type != LS_REC_UV_WORK || len != sizeof(*r) || r->event != LS_WORK_SUBMIT)
		return 0;
	for (i = 0; i < 2; i++)
		n += name_addr(wn, ps, r->pid, r->owner[i], true, &out[n]);
	n += name_addr(wn, ps, r->pid, r->work_fn, false, &out[n]);
	return n;
}
