/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Track events, encoded by hand: they are nearly every packet of a trace,
 * and protobuf-c's generic size-then-pack walk over descriptors cost more
 * than the rest of the export together. Field numbers and wire types are
 * those of perfetto_trace.proto (TrackEvent, DebugAnnotation); the unit
 * tests decode what this writes with protobuf-c.
 */
#include <errno.h>
#include <string.h>
#include "pftrace_int.h"

/* Worst case: every field present with 10-byte varints. */
#define PFT_EVENT_MAX	(64 + PFTRACE_MAX_CATS * 11 + PFTRACE_MAX_ARGS * 28 + 4 * 11)

static uint8_t *put_fixed64(uint8_t *p, uint32_t field, uint64_t v)
{
	int i;

	p = pft_put_tag(p, field, PFT_WIRE_FIXED64);
	for (i = 0; i < 8; i++)
		*p++ = (uint8_t)(v >> (8 * i));	/* little endian on the wire */
	return p;
}

static uint8_t *put_double(uint8_t *p, uint32_t field, double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof(v));
	return put_fixed64(p, field, v);
}

/* Splits "a,b" into category fields (3), each interned. */
static uint8_t *put_categories(struct pftrace *w, uint8_t *p, const char *cats)
{
	const char *end;
	unsigned n = 0;

	while (cats && *cats && n < PFTRACE_MAX_CATS) {
		end = strchr(cats, ',');
		if (!end)
			end = cats + strlen(cats);
		if (end > cats) {
			p = pft_put_field(p, 3, pft_intern_n(w, PFTRACE_CATEGORY, cats, (size_t)(end - cats)));
			n++;
		}
		cats = *end ? end + 1 : end;
	}
	return p;
}

/* One DebugAnnotation (field 4): name_iid 1, then the value's own field. */
static uint8_t *put_arg(struct pftrace *w, uint8_t *p, const struct pftrace_arg *a)
{
	uint8_t body[32], *q = body;

	q = pft_put_field(q, 1, pftrace__intern(w, PFTRACE_ANNOT_NAME, a->name));
	switch (a->type) {
	case PFTRACE_ARG_BOOL:
		q = pft_put_field(q, 2, a->b);
		break;
	case PFTRACE_ARG_UINT:
		q = pft_put_field(q, 3, a->u);
		break;
	case PFTRACE_ARG_INT:
		q = pft_put_field(q, 4, (uint64_t)a->i);	/* int64: two's complement varint */
		break;
	case PFTRACE_ARG_DOUBLE:
		q = put_double(q, 5, a->d);
		break;
	case PFTRACE_ARG_STR:
		q = pft_put_field(q, 17, pftrace__intern(w, PFTRACE_STRING_VALUE, a->s ? a->s : ""));
		break;
	}
	p = pft_put_tag(p, 4, PFT_WIRE_LEN);
	p = pft_put_varint(p, (uint64_t)(q - body));
	memcpy(p, body, (size_t)(q - body));
	return p + (q - body);
}

/* The TrackEvent message body; interns what it names. */
static size_t encode_track_event(struct pftrace *w, const struct pftrace_event *ev, uint8_t *buf)
{
	uint8_t *p = buf;
	unsigned i;

	p = pft_put_field(p, 9, (uint64_t)ev->type);
	if (ev->track_uuid != w->default_track || !w->default_track)
		p = pft_put_field(p, 11, ev->track_uuid);
	if (ev->name && ev->type != PFTRACE_SLICE_END)
		p = pft_put_field(p, 10, pftrace__intern(w, PFTRACE_EVENT_NAME, ev->name));
	p = put_categories(w, p, ev->categories);
	for (i = 0; i < ev->nargs; i++)
		p = put_arg(w, p, &ev->args[i]);
	if (ev->type == PFTRACE_COUNTER && ev->int_counter)
		p = pft_put_field(p, 30, (uint64_t)(int64_t)ev->value);
	else if (ev->type == PFTRACE_COUNTER)
		p = put_double(p, 44, ev->value);
	if (ev->flow_id)
		p = put_fixed64(p, 47, ev->flow_id);
	if (ev->terminating_flow_id)
		p = put_fixed64(p, 48, ev->terminating_flow_id);
	if (ev->callstack_iid) {
		p = pft_put_field(p, 56, ev->callstack_iid);
		if (ev->callstack_weight != 0)
			p = put_double(p, 57, ev->callstack_weight);
	}
	return (size_t)(p - buf);
}

int pftrace__event(struct pftrace *w, const struct pftrace_event *ev)
{
	uint8_t te[PFT_EVENT_MAX], *p;
	struct pft_envelope env;
	size_t te_len, sz;
	int err;

	if (w->err)
		return w->err;
	if (ev->nargs > PFTRACE_MAX_ARGS || ev->type < PFTRACE_SLICE_BEGIN ||
	    ev->type > PFTRACE_COUNTER)
		return -EINVAL;
	/* the clock first: a snapshot packet would carry what we intern below */
	err = pft_stamp(w, &env, true, ev->ts);
	if (err)
		return err;
	te_len = encode_track_event(w, ev, te);
	if (w->err)	/* an intern above ran out of memory */
		return w->err;
	err = pft_stage(w, &env, true);
	if (err)
		return err;
	sz = pft_envelope_size(&env) + 1 + pft_varint_len(te_len) + te_len;
	p = pft_begin_packet(w, sz);
	if (!p)
		return w->err;
	p = pft_put_tag(p, 11, PFT_WIRE_LEN);
	p = pft_put_varint(p, te_len);
	memcpy(p, te, te_len);
	p = pft_put_envelope(p + te_len, &env);
	pft_end_packet(w, sz, &env, true);
	return 0;
}
