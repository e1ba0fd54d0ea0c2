/* SPDX-License-Identifier: BSD-2-Clause */
/* Decoding a trace back for the exporter's tests (trace_decode.h). */
#include <sys/stat.h>
#include <unistd.h>
#include "../harness.h"
#include "trace_decode.h"

static uint64_t varint(const uint8_t *b, size_t len, size_t *pos)
{
	uint64_t v = 0;
	unsigned sh = 0;

	while (*pos < len) {
		v |= (uint64_t)(b[*pos] & 0x7f) << sh;
		if (!(b[(*pos)++] & 0x80))
			return v;
		sh += 7;
	}
	LS_FAIL("truncated varint");
}

/* InternedString.str is bytes: not NUL-terminated once decoded. Freed by td_free(). */
static const char *bytes_str(const ProtobufCBinaryData *b)
{
	char *s = strndup((const char *)b->data, b->len);

	ASSERT(s);
	return s;
}

static void learn(struct trace *t, int tab, uint64_t iid, const char *s)
{
	ASSERT(iid > 0 && iid < MAX_IID && !t->names[tab][iid]);
	t->names[tab][iid] = s;
}

static const char *name_of(const struct trace *t, int tab, uint64_t iid)
{
	if (!(iid > 0 && iid < MAX_IID && t->names[tab][iid]))
		LS_FAIL("iid %llu of table %d undefined", (unsigned long long)iid, tab);
	return t->names[tab][iid];
}

static void add_event(struct trace *t, const Perfetto__Protos__TracePacket *p)
{
	const Perfetto__Protos__TrackEvent *te = p->track_event;
	struct ev *e = &t->ev[t->nev++];
	size_t k;

	ASSERT(t->nev <= MAX_EV);
	e->type = te->type;
	e->ts = p->timestamp;
	e->track = te->track_uuid;
	e->te = te;
	if (te->name_field_case == PERFETTO__PROTOS__TRACK_EVENT__NAME_FIELD_NAME_IID)
		e->name = name_of(t, PFTRACE_EVENT_NAME, te->name_iid);
	for (k = 0; k < te->n_category_iids; k++) {
		if (k)
			strcat(e->cats, ",");
		strcat(e->cats, name_of(t, PFTRACE_CATEGORY, te->category_iids[k]));
	}
}

void td_decode(int fd, struct trace *t)
{
	struct stat st;
	uint8_t *b;
	size_t pos = 0, len, i, sz;

	ASSERT(fstat(fd, &st) == 0);
	len = (size_t)st.st_size;
	b = malloc(len);
	ASSERT(b && pread(fd, b, len, 0) == (ssize_t)len);
	memset(t, 0, sizeof(*t));
	while (pos < len) {
		Perfetto__Protos__TracePacket *p;
		Perfetto__Protos__InternedData *id;

		ASSERT_EQ(b[pos++], 0x0A);
		sz = varint(b, len, &pos);
		p = perfetto__protos__trace_packet__unpack(NULL, sz, b + pos);
		ASSERT(p && t->npk < MAX_EV * 2);
		ASSERT(trace_seq_resolve(&t->seq, p) == 0);
		t->pk[t->npk++] = p;
		pos += sz;
		id = p->interned_data;
		for (i = 0; id && i < id->n_event_names; i++)
			learn(t, PFTRACE_EVENT_NAME, id->event_names[i]->iid, id->event_names[i]->name);
		for (i = 0; id && i < id->n_event_categories; i++)
			learn(t, PFTRACE_CATEGORY, id->event_categories[i]->iid,
			      id->event_categories[i]->name);
		for (i = 0; id && i < id->n_debug_annotation_names; i++)
			learn(t, PFTRACE_ANNOT_NAME, id->debug_annotation_names[i]->iid,
			      id->debug_annotation_names[i]->name);
		for (i = 0; id && i < id->n_debug_annotation_string_values; i++)
			learn(t, PFTRACE_STRING_VALUE, id->debug_annotation_string_values[i]->iid,
			      bytes_str(&id->debug_annotation_string_values[i]->str));
		if (PAYLOAD(p, TRACK_EVENT, track_event))
			add_event(t, p);
	}
	free(b);
}

const Perfetto__Protos__DebugAnnotation *td_arg(const struct trace *t, const struct ev *e,
						const char *name)
{
	size_t k;

	for (k = 0; k < e->te->n_debug_annotations; k++)
		if (!strcmp(name_of(t, PFTRACE_ANNOT_NAME, e->te->debug_annotations[k]->name_iid), name))
			return e->te->debug_annotations[k];
	LS_FAIL("event %s has no annotation %s", e->name ? e->name : "?", name);
}

const char *td_str_arg(const struct trace *t, const struct ev *e, const char *name)
{
	return name_of(t, PFTRACE_STRING_VALUE, td_arg(t, e, name)->string_value_iid);
}

const struct ev *td_find(const struct trace *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nev; i++)
		if (t->ev[i].name && !strcmp(t->ev[i].name, name))
			return &t->ev[i];
	LS_FAIL("no event named \"%s\"", name);
}

void td_free(struct trace *t)
{
	size_t i;

	for (i = 0; i < t->npk; i++)
		perfetto__protos__trace_packet__free_unpacked(t->pk[i], NULL);
	for (i = 0; i < MAX_IID; i++)
		free((char *)t->names[PFTRACE_STRING_VALUE][i]);
}

int td_export(int fd, const struct pftrace_opts *po, const struct trace_export_opts *o,
	      const struct ls_export_stats *st, struct trace_export_counts *counts,
	      void (*feed_fn)(struct ls_sink *))
{
	struct pftrace *w = pftrace__new(fd, po);
	struct trace_export *te;
	struct ls_sink sink;
	int err;

	ASSERT(w);
	te = trace_export__new(w, o);
	ASSERT(te);
	sink = trace_export__sink(te);
	feed_fn(&sink);
	err = trace_export__finish(te, st);
	if (counts)
		trace_export__counts(te, counts);
	trace_export__free(te);
	pftrace__free(w);
	return err;
}
