/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Callstack interning for the Perfetto writer; see pftrace_stacks.h.
 *
 * Each table maps a byte key to a dense iid (1..n): strings are their bytes,
 * mappings and frames fixed structs of iids and addresses, callstacks their
 * frame iid arrays. Entries iids emitted+1..n are the ones not yet written;
 * stage() turns them into InternedData messages whose payload pointers point
 * straight into the stored keys, commit() moves the watermark.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "collector/table.h"
#include "pftrace_stacks.h"
#include "text_escape.h"

enum st_tab {
	ST_PATH,	/* mapping_paths */
	ST_BUILD_ID,	/* build_ids */
	ST_FUNC,	/* function_names */
	ST_MAPPING,	/* mappings */
	ST_FRAME,	/* frames */
	ST_CALLSTACK,	/* callstacks */
	ST_MAX,
};

struct st_key {
	uint64_t *data;		/* uint64_t-aligned so callstacks can be used in place */
	size_t len;		/* bytes */
};

struct st_table {
	struct ls_table index;	/* of uint64_t iids, keyed by their key's bytes */
	struct st_key *keys;	/* keys[iid - 1] */
	size_t n, cap;
	size_t emitted, staged;
	void *msgs;		/* staging scratch: one message per pending entry */
	void **ptrs;
	size_t scratch_cap;
};

struct map_key {
	uint64_t build_id, path, start, end, pgoff, load_bias;
};

struct frame_key {
	uint64_t function, mapping, rel_pc, kind;
};

struct pftrace_stacks {
	struct pftrace *w;
	struct st_table t[ST_MAX];
	uint64_t *scratch;	/* root-first frame iids of the stack being interned */
	size_t scratch_cap;
	uint64_t samples;
};

static const size_t msg_size[ST_MAX] = {
	[ST_PATH] = sizeof(Perfetto__Protos__InternedString),
	[ST_BUILD_ID] = sizeof(Perfetto__Protos__InternedString),
	[ST_FUNC] = sizeof(Perfetto__Protos__InternedString),
	[ST_MAPPING] = sizeof(Perfetto__Protos__Mapping),
	[ST_FRAME] = sizeof(Perfetto__Protos__Frame),
	[ST_CALLSTACK] = sizeof(Perfetto__Protos__Callstack),
};

/* What an iid is looked up by: its key's bytes, and the table that holds the keys. */
struct st_lookup {
	const struct st_table *t;
	const void *data;
	size_t len;
};

static bool iid_eq(const void *entry, const void *key)
{
	const struct st_lookup *q = key;
	const struct st_key *k = &q->t->keys[*(const uint64_t *)entry - 1];

	return k->len == q->len && !memcmp(k->data, q->data, q->len);
}

/* Stores a new key as iid n + 1; false when out of memory. */
static bool tab_store(struct st_table *t, const void *key, size_t len)
{
	struct st_key *k;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct st_key *keys = realloc(t->keys, cap * sizeof(*keys));

		if (!keys)
			return false;
		t->keys = keys;
		t->cap = cap;
	}
	k = &t->keys[t->n];
	k->data = malloc(len ? len : 1);
	if (!k->data)
		return false;
	memcpy(k->data, key, len);
	k->len = len;
	return true;
}

/* The iid of key, adding it if new; 0 when out of memory. */
static uint64_t tab_intern(struct st_table *t, const void *key, size_t len)
{
	struct st_lookup q = { .t = t, .data = key, .len = len };
	bool created;
	uint64_t *iid = ls_table_insert(&t->index, ls_hash_bytes(key, len), &q, &created);

	if (!iid || !created)
		return iid ? *iid : 0;
	if (!tab_store(t, key, len)) {
		ls_table_remove(&t->index, iid);
		return 0;
	}
	*iid = ++t->n;
	return t->n;
}

/*
 * Function names and mapping paths come from the target's files: their
 * InternedString is bytes in the proto, but trace_processor takes it as
 * text, so invalid UTF-8 is written as U+FFFD (text_escape.h). The fixed
 * form is the key: such a name is fixed again at each lookup, a cost only
 * names that are not UTF-8 pay.
 */
static uint64_t intern_str(struct pftrace_stacks *s, enum st_tab tab, const char *p, size_t len)
{
	uint64_t iid;
	char *fix;

	if (ls_utf8_valid(p, len))
		return tab_intern(&s->t[tab], p, len);
	fix = ls_utf8_fixdup(p, len, &len);
	if (!fix)
		return 0;
	iid = tab_intern(&s->t[tab], fix, len);
	free(fix);
	return iid;
}

static uint64_t intern_mapping(struct pftrace_stacks *s, const struct ls_frame_info *f)
{
	const char *path = f->mapping ? f->mapping : "[unknown]";
	struct map_key mk = { 0 };

	mk.path = intern_str(s, ST_PATH, path, strlen(path));
	if (f->build_id_len) {
		/* binary, not text: as it is */
		mk.build_id = tab_intern(&s->t[ST_BUILD_ID], f->build_id, f->build_id_len);
		if (!mk.build_id)
			return 0;
	}
	if (!mk.path)
		return 0;
	mk.start = f->map_start, mk.end = f->map_end;
	mk.pgoff = f->map_pgoff, mk.load_bias = f->load_bias;
	return tab_intern(&s->t[ST_MAPPING], &mk, sizeof(mk));
}

static uint64_t intern_frame(struct pftrace_stacks *s, const struct ls_frame_info *f)
{
	struct frame_key fk = { 0 };

	if (f->function) {
		fk.function = intern_str(s, ST_FUNC, f->function, strlen(f->function));
		if (!fk.function)
			return 0;
	}
	fk.mapping = intern_mapping(s, f);
	if (!fk.mapping)
		return 0;
	fk.rel_pc = f->rel_pc;
	fk.kind = (uint64_t)f->kind;
	return tab_intern(&s->t[ST_FRAME], &fk, sizeof(fk));
}

int pftrace_stacks__callstack(struct pftrace_stacks *s, const struct ls_frame_info *frames,
			      size_t n, uint64_t *iid)
{
	size_t i;

	*iid = 0;
	if (!n)
		return -EINVAL;
	if (n > s->scratch_cap) {
		uint64_t *p = realloc(s->scratch, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->scratch = p;
		s->scratch_cap = n;
	}
	for (i = 0; i < n; i++) {	/* leaf first in, root first out */
		s->scratch[n - 1 - i] = intern_frame(s, &frames[i]);
		if (!s->scratch[n - 1 - i])
			return -ENOMEM;
	}
	*iid = tab_intern(&s->t[ST_CALLSTACK], s->scratch, n * sizeof(*s->scratch));
	return *iid ? 0 : -ENOMEM;
}

static void fill_msg(struct st_table *t, enum st_tab tab, void *msg, uint64_t iid)
{
	struct st_key *k = &t->keys[iid - 1];

	switch (tab) {
	case ST_MAPPING: {
		Perfetto__Protos__Mapping *m = msg;
		const struct map_key *mk = (const struct map_key *)k->data;

		perfetto__protos__mapping__init(m);
		m->has_iid = 1, m->iid = iid;
		m->has_build_id = mk->build_id != 0, m->build_id = mk->build_id;
		m->has_start_offset = 1, m->start_offset = mk->pgoff;
		m->has_start = 1, m->start = mk->start;
		m->has_end = 1, m->end = mk->end;
		m->has_load_bias = mk->load_bias != 0, m->load_bias = mk->load_bias;
		m->n_path_string_ids = 1;
		m->path_string_ids = (uint64_t *)&mk->path;
		break;
	}
	case ST_FRAME: {
		Perfetto__Protos__Frame *f = msg;
		const struct frame_key *fk = (const struct frame_key *)k->data;

		perfetto__protos__frame__init(f);
		f->has_iid = 1, f->iid = iid;
		f->has_function_name_id = fk->function != 0, f->function_name_id = fk->function;
		f->has_mapping_id = 1, f->mapping_id = fk->mapping;
		f->has_rel_pc = 1, f->rel_pc = fk->rel_pc;
		f->kind_field_case = PERFETTO__PROTOS__FRAME__KIND_FIELD_KIND;
		f->kind = (Perfetto__Protos__Frame__Kind)fk->kind;
		break;
	}
	case ST_CALLSTACK: {
		Perfetto__Protos__Callstack *c = msg;

		perfetto__protos__callstack__init(c);
		c->has_iid = 1, c->iid = iid;
		c->n_frame_ids = k->len / sizeof(uint64_t);
		c->frame_ids = k->data;
		break;
	}
	default: {
		Perfetto__Protos__InternedString *is = msg;

		perfetto__protos__interned_string__init(is);
		is->has_iid = 1, is->iid = iid;
		is->has_str = 1, is->str.data = (uint8_t *)k->data, is->str.len = k->len;
		break;
	}
	}
}

/* Builds the messages for one table's pending entries; their count or -ENOMEM. */
static ssize_t stage_tab(struct st_table *t, enum st_tab tab, void ***out)
{
	size_t cnt = t->n - t->emitted, i;

	if (cnt > t->scratch_cap) {
		void *msgs = realloc(t->msgs, cnt * msg_size[tab]);
		void **ptrs = msgs ? realloc(t->ptrs, cnt * sizeof(*ptrs)) : NULL;

		if (msgs)
			t->msgs = msgs;
		if (!ptrs)
			return -ENOMEM;
		t->ptrs = ptrs;
		t->scratch_cap = cnt;
	}
	for (i = 0; i < cnt; i++) {
		t->ptrs[i] = (char *)t->msgs + i * msg_size[tab];
		fill_msg(t, tab, t->ptrs[i], t->emitted + 1 + i);
	}
	t->staged = t->n;
	*out = t->ptrs;
	return (ssize_t)cnt;
}

static int stacks_stage(void *ctx, Perfetto__Protos__InternedData *id)
{
	struct pftrace_stacks *s = ctx;
	struct {
		size_t *n;
		void ***arr;
	} dst[ST_MAX] = {
		[ST_PATH] = { &id->n_mapping_paths, (void ***)&id->mapping_paths },
		[ST_BUILD_ID] = { &id->n_build_ids, (void ***)&id->build_ids },
		[ST_FUNC] = { &id->n_function_names, (void ***)&id->function_names },
		[ST_MAPPING] = { &id->n_mappings, (void ***)&id->mappings },
		[ST_FRAME] = { &id->n_frames, (void ***)&id->frames },
		[ST_CALLSTACK] = { &id->n_callstacks, (void ***)&id->callstacks },
	};
	int tab, any = 0;
	ssize_t n;

	for (tab = 0; tab < ST_MAX; tab++) {
		if (s->t[tab].n == s->t[tab].emitted)
			continue;
		n = stage_tab(&s->t[tab], tab, dst[tab].arr);
		if (n < 0)
			return (int)n;
		*dst[tab].n = (size_t)n;
		any = 1;
	}
	return any;
}

static void stacks_commit(void *ctx)
{
	struct pftrace_stacks *s = ctx;
	int tab;

	for (tab = 0; tab < ST_MAX; tab++)
		if (s->t[tab].staged > s->t[tab].emitted)
			s->t[tab].emitted = s->t[tab].staged;
}

int pftrace_stacks__sample(struct pftrace_stacks *s, const struct pftrace_sample *smp)
{
	Perfetto__Protos__TracePacket pkt = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	Perfetto__Protos__PerfSample ps = PERFETTO__PROTOS__PERF_SAMPLE__INIT;
	int err;

	if (!smp->callstack_iid || smp->callstack_iid > s->t[ST_CALLSTACK].n)
		return -EINVAL;
	ps.has_cpu = 1, ps.cpu = smp->cpu;
	ps.has_pid = 1, ps.pid = smp->pid;
	ps.has_tid = 1, ps.tid = smp->tid;
	ps.has_callstack_iid = 1, ps.callstack_iid = smp->callstack_iid;
	ps.has_cpu_mode = 1;
	ps.cpu_mode = smp->kernel ? PERFETTO__PROTOS__PROFILING__CPU_MODE__MODE_KERNEL :
				    PERFETTO__PROTOS__PROFILING__CPU_MODE__MODE_USER;
	ps.has_timebase_count = smp->timebase_count != 0;
	ps.timebase_count = smp->timebase_count;
	pkt.has_timestamp = 1;
	pkt.timestamp = smp->ts;
	pkt.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_PERF_SAMPLE;
	pkt.perf_sample = &ps;
	err = pftrace__write_packet(s->w, &pkt);
	if (!err)
		s->samples++;
	return err;
}

struct pftrace_stacks *pftrace_stacks__new(struct pftrace *w)
{
	struct pftrace_stacks *s;
	struct pftrace_interner in;
	int tab;

	if (!w) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->w = w;
	for (tab = 0; tab < ST_MAX; tab++)
		ls_table_init(&s->t[tab].index, sizeof(uint64_t), 256, SIZE_MAX, iid_eq);
	in.stage = stacks_stage;
	in.commit = stacks_commit;
	in.ctx = s;
	pftrace__set_interner(w, &in);
	return s;
}

void pftrace_stacks__free(struct pftrace_stacks *s)
{
	size_t i;
	int tab;

	if (!s)
		return;
	pftrace__set_interner(s->w, NULL);
	for (tab = 0; tab < ST_MAX; tab++) {
		for (i = 0; i < s->t[tab].n; i++)
			free(s->t[tab].keys[i].data);
		free(s->t[tab].keys);
		ls_table_free(&s->t[tab].index);
		free(s->t[tab].msgs);
		free(s->t[tab].ptrs);
	}
	free(s->scratch);
	free(s);
}

void pftrace_stacks__stats(const struct pftrace_stacks *s, struct pftrace_stacks_stats *st)
{
	st->callstacks = s->t[ST_CALLSTACK].n;
	st->frames = s->t[ST_FRAME].n;
	st->mappings = s->t[ST_MAPPING].n;
	st->functions = s->t[ST_FUNC].n;
	st->samples = s->samples;
}
