/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pftrace's interning tables (event names, categories, debug-annotation
 * names and string values): string -> dense iid, and the staging of the
 * entries not yet written into the InternedData of the next packet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "text_escape.h"
#include "pftrace_int.h"

/* What an iid is looked up by: its string, and the table that holds the strings. */
struct intern_key {
	const struct pft_table *t;
	const char *s;
	size_t len;
};

static bool iid_eq(const void *entry, const void *key)
{
	const struct intern_key *k = key;
	const char *str = k->t->strs[*(const uint64_t *)entry - 1];

	return !strncmp(str, k->s, k->len) && !str[k->len];
}

void pft_init_tables(struct pftrace *w)
{
	int i;

	for (i = 0; i < PFTRACE_TABLE_MAX; i++)
		ls_table_init(&w->tables[i].index, sizeof(uint64_t), 64, SIZE_MAX, iid_eq);
}

/* s[0..len) with its invalid UTF-8 bytes as U+FFFD, interned (see below). */
static uint64_t intern_fixed(struct pftrace *w, enum pftrace_table tab, const char *s, size_t len)
{
	size_t n;
	char *fix = ls_utf8_fixdup(s, len, &n);
	uint64_t iid;

	if (!fix) {
		pft_set_err(w, -ENOMEM);
		return 0;
	}
	iid = pft_intern_n(w, tab, fix, n);
	free(fix);
	return iid;
}

/* A new string's iid: stored, then indexed under hash h. */
static uint64_t add_string(struct pft_table *t, uint64_t h, const struct intern_key *k)
{
	uint64_t *slot;
	bool created;
	char *copy;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **strs = realloc(t->strs, cap * sizeof(*strs));

		if (!strs)
			return 0;
		t->strs = strs;
		t->cap = cap;
	}
	copy = strndup(k->s, k->len);
	slot = copy ? ls_table_insert(&t->index, h, k, &created) : NULL;
	if (!slot) {
		free(copy);
		return 0;
	}
	t->strs[t->n++] = copy;
	*slot = t->n;
	return t->n;
}

uint64_t pft_intern_n(struct pftrace *w, enum pftrace_table tab, const char *s, size_t len)
{
	struct pft_table *t = &w->tables[tab];
	struct intern_key k = { .t = t, .s = s, .len = len };
	uint64_t h = ls_hash_bytes(s, len), iid;
	const uint64_t *found;

	if (w->err)
		return 0;
	found = ls_table_find(&t->index, h, &k);
	if (found)
		return *found;
	/*
	 * A new string: tested here, not on every lookup. An invalid one is
	 * interned as its valid UTF-8 form, and found again by that form the
	 * next time (the lookup above compares the raw bytes, which miss).
	 */
	if (!ls_utf8_valid(s, len))
		return intern_fixed(w, tab, s, len);
	iid = add_string(t, h, &k);
	if (!iid)
		pft_set_err(w, -ENOMEM);
	return iid;
}

uint64_t pftrace__intern(struct pftrace *w, enum pftrace_table t, const char *s)
{
	if ((unsigned)t >= PFTRACE_TABLE_MAX || !s) {
		pft_set_err(w, -EINVAL);
		return 0;
	}
	return pft_intern_n(w, t, s, strlen(s));
}

/* Fills one InternedData field with the table's not-yet-written entries. */
static int stage_table(struct pftrace *w, enum pftrace_table tab, size_t *n, void ***out)
{
	struct pft_table *t = &w->tables[tab];
	struct pft_scratch *sc = &w->scratch[tab];
	size_t k, cnt = t->n - t->emitted;

	*n = cnt;
	if (cnt > sc->cap) {
		union pft_ientry *e = realloc(sc->e, cnt * sizeof(*e));
		void **ptrs = e ? realloc(sc->ptrs, cnt * sizeof(*ptrs)) : NULL;

		if (e)
			sc->e = e;
		if (!e || !ptrs)
			return pft_set_err(w, -ENOMEM);
		sc->ptrs = ptrs;
		sc->cap = cnt;
	}
	for (k = 0; k < cnt; k++) {
		union pft_ientry *e = &sc->e[k];
		uint64_t iid = t->emitted + k + 1;
		char *s = t->strs[iid - 1];

		switch (tab) {
		case PFTRACE_EVENT_NAME:
			perfetto__protos__event_name__init(&e->name);
			e->name.has_iid = 1, e->name.iid = iid, e->name.name = s;
			break;
		case PFTRACE_CATEGORY:
			perfetto__protos__event_category__init(&e->cat);
			e->cat.has_iid = 1, e->cat.iid = iid, e->cat.name = s;
			break;
		case PFTRACE_ANNOT_NAME:
			perfetto__protos__debug_annotation_name__init(&e->annot);
			e->annot.has_iid = 1, e->annot.iid = iid, e->annot.name = s;
			break;
		default:
			perfetto__protos__interned_string__init(&e->str);
			e->str.has_iid = 1, e->str.iid = iid, e->str.has_str = 1;
			e->str.str.data = (uint8_t *)s, e->str.str.len = strlen(s);
			break;
		}
		sc->ptrs[k] = e;
	}
	*out = sc->ptrs;
	return 0;
}

/* Returns 1 when there are pending entries (staged into *id), 0 if none, or -errno. */
static int stage_own(struct pftrace *w, Perfetto__Protos__InternedData *id)
{
	int err, any = 0, i;

	for (i = 0; i < PFTRACE_TABLE_MAX; i++)
		any |= w->tables[i].n > w->tables[i].emitted;
	if (!any)
		return 0;
	err = stage_table(w, PFTRACE_EVENT_NAME, &id->n_event_names, (void ***)&id->event_names);
	if (!err)
		err = stage_table(w, PFTRACE_CATEGORY, &id->n_event_categories,
				  (void ***)&id->event_categories);
	if (!err)
		err = stage_table(w, PFTRACE_ANNOT_NAME, &id->n_debug_annotation_names,
				  (void ***)&id->debug_annotation_names);
	if (!err)
		err = stage_table(w, PFTRACE_STRING_VALUE, &id->n_debug_annotation_string_values,
				  (void ***)&id->debug_annotation_string_values);
	return err ? err : 1;
}

int pft_stage_all(struct pftrace *w, Perfetto__Protos__InternedData *id)
{
	int err, staged = stage_own(w, id);

	if (staged >= 0 && w->ext.stage) {
		err = w->ext.stage(w->ext.ctx, id);
		staged = err < 0 ? err : staged | err;
	}
	return staged < 0 ? pft_set_err(w, staged) : staged;
}

void pft_commit_interned(struct pftrace *w)
{
	int i;

	for (i = 0; i < PFTRACE_TABLE_MAX; i++)
		w->tables[i].emitted = w->tables[i].n;
	if (w->ext.commit)
		w->ext.commit(w->ext.ctx);
}

void pft_free_tables(struct pftrace *w)
{
	size_t i, k;

	for (i = 0; i < PFTRACE_TABLE_MAX; i++) {
		for (k = 0; k < w->tables[i].n; k++)
			free(w->tables[i].strs[k]);
		free(w->tables[i].strs);
		ls_table_free(&w->tables[i].index);
		free(w->scratch[i].e);
		free(w->scratch[i].ptrs);
	}
}
