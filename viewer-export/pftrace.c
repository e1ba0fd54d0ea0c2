/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Streaming Perfetto writer; see pftrace.h for the contract.
 *
 * Buffers: packets are packed straight into their destination, the output
 * buffer (plain mode) or the open chunk (compress mode), behind a 0x0A+varint
 * header we write ourselves. Both buffers only ever hold whole packets or
 * whole wrappers, which is what lets a failed write truncate the file back
 * to a valid trace. Nothing is allocated per event once the buffers, the
 * interning tables and the scratch arrays have grown to their working size.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "pftrace.h"

#define PFT_DEF_BUF		(256u << 10)
#define PFT_DEF_CHUNK		(256u << 10)
/*
 * The first flush (and the first wrapper) is small and each one after doubles
 * up to the full size: a disk that fills early still keeps a trace holding
 * about half of what fitted, not an empty file.
 */
#define PFT_FIRST_FLUSH		(4u << 10)
/* deflateBound(448 KiB) plus framing stays below the format's 512 KiB per wrapper. */
#define PFT_MAX_CHUNK		(448u << 10)
#define PFT_TAG_PACKET		0x0A	/* Trace.packet: field 1, length-delimited */
#define PFT_SEQ_CLEARED		PERFETTO__PROTOS__TRACE_PACKET__SEQUENCE_FLAGS__SEQ_INCREMENTAL_STATE_CLEARED
#define PFT_SEQ_NEEDS		PERFETTO__PROTOS__TRACE_PACKET__SEQUENCE_FLAGS__SEQ_NEEDS_INCREMENTAL_STATE

struct pft_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

struct pft_slot {
	uint64_t hash;
	uint64_t iid;		/* 0 = empty slot */
};

/*
 * One interning table: an open-addressing hash of string -> iid. iids are
 * dense (1..n), so strs[iid - 1] holds the string and the entries not yet
 * written to the trace are exactly iids emitted+1..n.
 */
struct pft_table {
	struct pft_slot *slots;
	size_t mask;
	char **strs;
	size_t n;
	size_t cap;
	size_t emitted;
};

/* Scratch for one table's share of an InternedData, reused across packets. */
union pft_ientry {
	Perfetto__Protos__EventName name;
	Perfetto__Protos__EventCategory cat;
	Perfetto__Protos__DebugAnnotationName annot;
	Perfetto__Protos__InternedString str;
};

struct pft_scratch {
	union pft_ientry *e;
	void **ptrs;
	size_t cap;
};

struct pftrace {
	int fd;
	int err;
	off_t base_off;		/* fd offset at creation; -1 when not seekable */
	bool started;
	bool compress;
	size_t chunk_size;
	size_t chunk_limit;	/* grows from PFT_FIRST_FLUSH to chunk_size */
	size_t out_limit;	/* grows from PFT_FIRST_FLUSH to out.cap */
	struct pft_buf out;
	struct pft_buf chunk;
	z_stream zs;
	bool zs_ready;
	uint8_t *zbuf;
	size_t zcap;
	struct pft_table tables[PFTRACE_TABLE_MAX];
	struct pft_scratch scratch[PFTRACE_TABLE_MAX];
	struct pftrace_interner ext;	/* stage == NULL: none */
	struct pftrace_stats st;
};

static int set_err(struct pftrace *w, int err)
{
	if (!w->err)
		w->err = err;
	return w->err;
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static int buf_grow(struct pft_buf *b, size_t cap)
{
	uint8_t *d;

	if (cap <= b->cap)
		return 0;
	d = realloc(b->data, cap);
	if (!d)
		return -ENOMEM;
	b->data = d;
	b->cap = cap;
	return 0;
}

/*
 * The buffer holds whole packets only, so after a failed or partial write
 * the file is cut back to what earlier flushes wrote: a valid trace. This
 * fails harmlessly on pipes and devices, which cannot be truncated.
 */
static int fail_write(struct pftrace *w, int err)
{
	off_t keep = w->base_off + (off_t)w->st.bytes;

	if (w->base_off >= 0 && ftruncate(w->fd, keep) == 0)
		lseek(w->fd, keep, SEEK_SET);
	w->out.len = 0;
	w->chunk.len = 0;
	return set_err(w, err);
}

static int flush_out(struct pftrace *w)
{
	size_t off = 0;
	ssize_t n;

	while (off < w->out.len) {
		n = write(w->fd, w->out.data + off, w->out.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail_write(w, n < 0 ? -errno : -EIO);
		off += (size_t)n;
	}
	w->st.bytes += off;
	w->out.len = 0;
	w->out_limit = w->out_limit * 2 < w->out.cap ? w->out_limit * 2 : w->out.cap;
	return 0;
}

static int out_reserve(struct pftrace *w, size_t need)
{
	int err;

	if (w->out.len + need <= w->out_limit)
		return 0;
	err = flush_out(w);
	if (err)
		return err;
	if (need > w->out.cap && buf_grow(&w->out, need))
		return set_err(w, -ENOMEM);
	return 0;
}

/* Deflates the open chunk into one compressed_packets wrapper packet. */
static int close_chunk(struct pftrace *w)
{
	size_t zlen, inner;
	uint8_t *p;
	int err;

	if (!w->chunk.len)
		return 0;
	if (deflateReset(&w->zs) != Z_OK)
		return set_err(w, -EIO);
	w->zs.next_in = w->chunk.data;
	w->zs.avail_in = (uInt)w->chunk.len;
	w->zs.next_out = w->zbuf;
	w->zs.avail_out = (uInt)w->zcap;
	if (deflate(&w->zs, Z_FINISH) != Z_STREAM_END)
		return set_err(w, -EIO);
	zlen = w->zcap - w->zs.avail_out;
	inner = 2 + varint_len(zlen) + zlen;	/* tag of field 50 takes two bytes */
	err = out_reserve(w, 1 + varint_len(inner) + inner);
	if (err)
		return err;
	p = w->out.data + w->out.len;
	*p++ = PFT_TAG_PACKET;
	p = put_varint(p, inner);
	p = put_varint(p, (50u << 3) | 2);
	p = put_varint(p, zlen);
	memcpy(p, w->zbuf, zlen);
	w->out.len = (size_t)(p + zlen - w->out.data);
	w->chunk.len = 0;
	w->st.wrappers++;
	w->chunk_limit = w->chunk_limit * 2 < w->chunk_size ? w->chunk_limit * 2 : w->chunk_size;
	return 0;
}

/* Packs m into the chunk (or, if too big for one, plainly into the output). */
static int emit(struct pftrace *w, const ProtobufCMessage *m)
{
	size_t sz = protobuf_c_message_get_packed_size(m);
	size_t need = 1 + varint_len(sz) + sz;
	struct pft_buf *b = &w->out;
	uint8_t *p;
	int err;

	if (w->compress && need <= w->chunk_size) {
		if (w->chunk.len + need > w->chunk_limit && (err = close_chunk(w)))
			return err;
		b = &w->chunk;
	} else {
		/* Keep file order: what is in the chunk was written first. */
		if (w->compress && (err = close_chunk(w)))
			return err;
		if ((err = out_reserve(w, need)))
			return err;
	}
	p = b->data + b->len;
	*p++ = PFT_TAG_PACKET;
	p = put_varint(p, sz);
	protobuf_c_message_pack(m, p);
	b->len += need;
	w->st.raw_bytes += need;
	return 0;
}

/* FNV-1a: short strings, no need for anything stronger. */
static uint64_t str_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (len--)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h;
}

static int table_rehash(struct pft_table *t)
{
	size_t cap = t->mask ? (t->mask + 1) * 2 : 64, i, j;
	struct pft_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; t->mask && i <= t->mask; i++) {
		if (!t->slots[i].iid)
			continue;
		for (j = t->slots[i].hash & (cap - 1); slots[j].iid; j = (j + 1) & (cap - 1))
			;
		slots[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = slots;
	t->mask = cap - 1;
	return 0;
}

static uint64_t intern_n(struct pftrace *w, enum pftrace_table tab, const char *s, size_t len)
{
	struct pft_table *t = &w->tables[tab];
	uint64_t h = str_hash(s, len);
	struct pft_slot *sl;
	size_t i;
	char *copy;

	if (w->err)
		return 0;
	if ((t->n + 1) * 2 > t->mask && table_rehash(t))
		goto nomem;
	for (i = h & t->mask; t->slots[i].iid; i = (i + 1) & t->mask) {
		sl = &t->slots[i];
		if (sl->hash == h && !strncmp(t->strs[sl->iid - 1], s, len) &&
		    !t->strs[sl->iid - 1][len])
			return sl->iid;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **strs = realloc(t->strs, cap * sizeof(*strs));

		if (!strs)
			goto nomem;
		t->strs = strs;
		t->cap = cap;
	}
	copy = strndup(s, len);
	if (!copy)
		goto nomem;
	t->strs[t->n++] = copy;
	t->slots[i].hash = h;
	t->slots[i].iid = t->n;
	return t->n;
nomem:
	set_err(w, -ENOMEM);
	return 0;
}

uint64_t pftrace__intern(struct pftrace *w, enum pftrace_table t, const char *s)
{
	if ((unsigned)t >= PFTRACE_TABLE_MAX || !s) {
		set_err(w, -EINVAL);
		return 0;
	}
	return intern_n(w, t, s, strlen(s));
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
			return set_err(w, -ENOMEM);
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
static int stage_interned(struct pftrace *w, Perfetto__Protos__InternedData *id)
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

int pftrace__write_packet(struct pftrace *w, Perfetto__Protos__TracePacket *pkt)
{
	Perfetto__Protos__InternedData id = PERFETTO__PROTOS__INTERNED_DATA__INIT;
	uint32_t flags = 0;
	int err, i, interned;

	if (w->err)
		return w->err;
	interned = stage_interned(w, &id);
	if (interned >= 0 && w->ext.stage) {
		err = w->ext.stage(w->ext.ctx, &id);
		interned = err < 0 ? err : interned | err;
	}
	if (interned < 0)
		return set_err(w, interned);
	pkt->interned_data = interned ? &id : NULL;
	pkt->has_trusted_packet_sequence_id = 1;
	pkt->trusted_packet_sequence_id = PFTRACE_SEQ_ID;
	if (!w->started) {
		flags |= PFT_SEQ_CLEARED;
		pkt->has_first_packet_on_sequence = 1;
		pkt->first_packet_on_sequence = 1;
	}
	/* Lets a reader skip what it cannot decode after losing the clear. */
	if (interned || pkt->trace_packet_defaults ||
	    pkt->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_EVENT ||
	    pkt->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_PERF_SAMPLE)
		flags |= PFT_SEQ_NEEDS;
	pkt->has_sequence_flags = flags != 0;
	pkt->sequence_flags = flags;
	err = emit(w, &pkt->base);
	pkt->interned_data = NULL;
	if (err)
		return err;
	for (i = 0; i < PFTRACE_TABLE_MAX; i++)
		w->tables[i].emitted = w->tables[i].n;
	if (w->ext.commit)
		w->ext.commit(w->ext.ctx);
	w->started = true;
	w->st.packets++;
	if (pkt->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_EVENT)
		w->st.events++;
	return 0;
}

/* Splits "a,b" into interned category iids. */
static size_t intern_categories(struct pftrace *w, const char *cats, uint64_t *iids)
{
	const char *p = cats, *end;
	size_t n = 0;

	while (p && *p && n < PFTRACE_MAX_CATS) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		if (end > p)
			iids[n++] = intern_n(w, PFTRACE_CATEGORY, p, (size_t)(end - p));
		p = *end ? end + 1 : end;
	}
	return n;
}

static void fill_arg(struct pftrace *w, Perfetto__Protos__DebugAnnotation *da,
		     const struct pftrace_arg *a)
{
	perfetto__protos__debug_annotation__init(da);
	da->name_field_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__NAME_FIELD_NAME_IID;
	da->name_iid = pftrace__intern(w, PFTRACE_ANNOT_NAME, a->name);
	switch (a->type) {
	case PFTRACE_ARG_BOOL:
		da->value_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_BOOL_VALUE;
		da->bool_value = a->b;
		break;
	case PFTRACE_ARG_UINT:
		da->value_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_UINT_VALUE;
		da->uint_value = a->u;
		break;
	case PFTRACE_ARG_INT:
		da->value_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_INT_VALUE;
		da->int_value = a->i;
		break;
	case PFTRACE_ARG_DOUBLE:
		da->value_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_DOUBLE_VALUE;
		da->double_value = a->d;
		break;
	case PFTRACE_ARG_STR:
		da->value_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_STRING_VALUE_IID;
		da->string_value_iid = pftrace__intern(w, PFTRACE_STRING_VALUE, a->s ? a->s : "");
		break;
	}
}

int pftrace__event(struct pftrace *w, const struct pftrace_event *ev)
{
	Perfetto__Protos__TracePacket pkt = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	Perfetto__Protos__TrackEvent te = PERFETTO__PROTOS__TRACK_EVENT__INIT;
	Perfetto__Protos__DebugAnnotation da[PFTRACE_MAX_ARGS], *dap[PFTRACE_MAX_ARGS];
	uint64_t cats[PFTRACE_MAX_CATS];
	unsigned i;

	if (w->err)
		return w->err;
	if (ev->nargs > PFTRACE_MAX_ARGS || ev->type < PFTRACE_SLICE_BEGIN ||
	    ev->type > PFTRACE_COUNTER)
		return -EINVAL;
	te.has_type = 1;
	te.type = (Perfetto__Protos__TrackEvent__Type)ev->type;
	te.has_track_uuid = 1;
	te.track_uuid = ev->track_uuid;
	if (ev->name && ev->type != PFTRACE_SLICE_END) {
		te.name_field_case = PERFETTO__PROTOS__TRACK_EVENT__NAME_FIELD_NAME_IID;
		te.name_iid = pftrace__intern(w, PFTRACE_EVENT_NAME, ev->name);
	}
	te.n_category_iids = intern_categories(w, ev->categories, cats);
	te.category_iids = cats;
	for (i = 0; i < ev->nargs; i++) {
		fill_arg(w, &da[i], &ev->args[i]);
		dap[i] = &da[i];
	}
	te.n_debug_annotations = ev->nargs;
	te.debug_annotations = dap;
	if (ev->type == PFTRACE_COUNTER && ev->int_counter) {
		te.counter_value_field_case = PERFETTO__PROTOS__TRACK_EVENT__COUNTER_VALUE_FIELD_COUNTER_VALUE;
		te.counter_value = (int64_t)ev->value;
	} else if (ev->type == PFTRACE_COUNTER) {
		te.counter_value_field_case = PERFETTO__PROTOS__TRACK_EVENT__COUNTER_VALUE_FIELD_DOUBLE_COUNTER_VALUE;
		te.double_counter_value = ev->value;
	}
	if (ev->flow_id) {
		te.n_flow_ids = 1;
		te.flow_ids = (uint64_t *)&ev->flow_id;
	}
	if (ev->terminating_flow_id) {
		te.n_terminating_flow_ids = 1;
		te.terminating_flow_ids = (uint64_t *)&ev->terminating_flow_id;
	}
	if (ev->callstack_iid) {
		te.callstack_field_case = PERFETTO__PROTOS__TRACK_EVENT__CALLSTACK_FIELD_CALLSTACK_IID;
		te.callstack_iid = ev->callstack_iid;
		te.has_callstack_weight = ev->callstack_weight != 0;
		te.callstack_weight = ev->callstack_weight;
	}
	if (w->err)	/* an intern above ran out of memory */
		return w->err;
	pkt.has_timestamp = 1;
	pkt.timestamp = ev->ts;
	pkt.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_EVENT;
	pkt.track_event = &te;
	return pftrace__write_packet(w, &pkt);
}

void pftrace__set_interner(struct pftrace *w, const struct pftrace_interner *in)
{
	static const struct pftrace_interner none;

	w->ext = in ? *in : none;
}

static void fill_track_kind(Perfetto__Protos__TrackDescriptor *td, const struct pftrace_track *t,
			    Perfetto__Protos__ProcessDescriptor *pd,
			    Perfetto__Protos__ThreadDescriptor *thd,
			    Perfetto__Protos__CounterDescriptor *cd, char **cmdv)
{
	switch (t->kind) {
	case PFTRACE_TRACK_PROCESS:
		pd->has_pid = 1, pd->pid = t->pid;
		pd->process_name = (char *)t->name;
		if (t->cmdline) {
			cmdv[0] = (char *)t->cmdline;
			pd->n_cmdline = 1, pd->cmdline = cmdv;
		}
		td->process = pd;
		return;
	case PFTRACE_TRACK_THREAD:
		thd->has_pid = 1, thd->pid = t->pid;
		thd->has_tid = 1, thd->tid = t->tid;
		thd->thread_name = (char *)t->name;
		td->thread = thd;
		return;
	case PFTRACE_TRACK_COUNTER:
		cd->unit_name = (char *)t->unit_name;
		cd->has_unit_multiplier = t->unit_multiplier != 0;
		cd->unit_multiplier = t->unit_multiplier;
		td->counter = cd;
		break;
	case PFTRACE_TRACK_PLAIN:
		break;
	}
	/* Process and thread tracks take their names from their descriptors. */
	if (t->name) {
		td->static_or_dynamic_name_case =
			PERFETTO__PROTOS__TRACK_DESCRIPTOR__STATIC_OR_DYNAMIC_NAME_NAME;
		td->name = (char *)t->name;
	}
	td->has_parent_uuid = t->parent_uuid != 0;
	td->parent_uuid = t->parent_uuid;
}

int pftrace__track(struct pftrace *w, uint64_t ts, const struct pftrace_track *t)
{
	Perfetto__Protos__TracePacket pkt = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	Perfetto__Protos__TrackDescriptor td = PERFETTO__PROTOS__TRACK_DESCRIPTOR__INIT;
	Perfetto__Protos__ProcessDescriptor pd = PERFETTO__PROTOS__PROCESS_DESCRIPTOR__INIT;
	Perfetto__Protos__ThreadDescriptor thd = PERFETTO__PROTOS__THREAD_DESCRIPTOR__INIT;
	Perfetto__Protos__CounterDescriptor cd = PERFETTO__PROTOS__COUNTER_DESCRIPTOR__INIT;
	char *cmdv[1];

	if (w->err)
		return w->err;
	if (!t->uuid)	/* 0 is the implicit root track: describing it is a bug */
		return -EINVAL;
	td.has_uuid = 1;
	td.uuid = t->uuid;
	fill_track_kind(&td, t, &pd, &thd, &cd, cmdv);
	td.description = (char *)t->description;
	td.has_disallow_merging_with_system_tracks = t->no_system_merge;
	td.disallow_merging_with_system_tracks = t->no_system_merge;
	pkt.has_timestamp = ts != 0;
	pkt.timestamp = ts;
	pkt.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_DESCRIPTOR;
	pkt.track_descriptor = &td;
	return pftrace__write_packet(w, &pkt);
}

int pftrace__thread_name(struct pftrace *w, uint64_t ts, int32_t pid, int32_t tid,
			 const char *name)
{
	Perfetto__Protos__TracePacket pkt = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	Perfetto__Protos__ProcessTree tree = PERFETTO__PROTOS__PROCESS_TREE__INIT;
	Perfetto__Protos__ProcessTree__Thread th = PERFETTO__PROTOS__PROCESS_TREE__THREAD__INIT;
	Perfetto__Protos__ProcessTree__Thread *thp = &th;

	th.has_tid = 1, th.tid = tid;
	th.has_tgid = 1, th.tgid = pid;
	th.name = (char *)name;
	tree.n_threads = 1;
	tree.threads = &thp;
	pkt.has_timestamp = ts != 0;
	pkt.timestamp = ts;
	pkt.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_PROCESS_TREE;
	pkt.process_tree = &tree;
	return pftrace__write_packet(w, &pkt);
}

static uint64_t mix64(uint64_t x)
{
	/* splitmix64's finaliser: every input bit reaches every output bit. */
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint64_t pftrace__track_uuid(enum pftrace_uuid_kind kind, uint32_t pid, uint32_t tid)
{
	uint64_t h = mix64(mix64(((uint64_t)kind << 32 | pid) ^ 0x6c6f6f7073636f70ull) ^ tid);

	return h ? h : 1;
}

static int init_compress(struct pftrace *w, const struct pftrace_opts *o)
{
	int level = o->level > 0 && o->level <= 9 ? o->level : 6;

	w->chunk_size = o->chunk_size ? o->chunk_size : PFT_DEF_CHUNK;
	if (w->chunk_size > PFT_MAX_CHUNK)
		w->chunk_size = PFT_MAX_CHUNK;
	if (w->chunk_size < 64)
		w->chunk_size = 64;
	/* deflateInit (zlib header), not raw deflate: trace_processor rejects raw. */
	if (deflateInit(&w->zs, level) != Z_OK)
		return -ENOMEM;
	w->zs_ready = true;
	w->zcap = deflateBound(&w->zs, w->chunk_size);
	w->zbuf = malloc(w->zcap);
	if (!w->zbuf || buf_grow(&w->chunk, w->chunk_size))
		return -ENOMEM;
	w->compress = true;
	return 0;
}

struct pftrace *pftrace__new(int fd, const struct pftrace_opts *opts)
{
	static const struct pftrace_opts defaults;
	const struct pftrace_opts *o = opts ? opts : &defaults;
	struct pftrace *w;
	int err;

	if (fd < 0) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	w->fd = fd;
	w->base_off = lseek(fd, 0, SEEK_CUR);
	err = buf_grow(&w->out, o->buf_size ? o->buf_size : PFT_DEF_BUF);
	if (!err && o->compress)
		err = init_compress(w, o);
	w->out_limit = PFT_FIRST_FLUSH < w->out.cap ? PFT_FIRST_FLUSH : w->out.cap;
	w->chunk_limit = PFT_FIRST_FLUSH < w->chunk_size ? PFT_FIRST_FLUSH : w->chunk_size;
	if (err) {
		pftrace__free(w);
		errno = -err;
		return NULL;
	}
	return w;
}

void pftrace__free(struct pftrace *w)
{
	size_t i, k;

	if (!w)
		return;
	for (i = 0; i < PFTRACE_TABLE_MAX; i++) {
		for (k = 0; k < w->tables[i].n; k++)
			free(w->tables[i].strs[k]);
		free(w->tables[i].strs);
		free(w->tables[i].slots);
		free(w->scratch[i].e);
		free(w->scratch[i].ptrs);
	}
	if (w->zs_ready)
		deflateEnd(&w->zs);
	free(w->zbuf);
	free(w->chunk.data);
	free(w->out.data);
	free(w);
}

int pftrace__flush(struct pftrace *w)
{
	int err;

	if (w->err)
		return w->err;
	err = w->compress ? close_chunk(w) : 0;
	return err ? err : flush_out(w);
}

int pftrace__finish(struct pftrace *w)
{
	pftrace__flush(w);
	return w->err;
}

int pftrace__err(const struct pftrace *w)
{
	return w->err;
}

void pftrace__stats(const struct pftrace *w, struct pftrace_stats *st)
{
	*st = w->st;
}
