/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Decodes a loopscope trace with our own .proto subset and prints it as
 * lines the integration tests can grep:
 *   track UUID KIND PID TID NAME       (KIND: process, thread, counter, track)
 *   thread_name TID NAME               (ProcessTree renames)
 *   process PID PPID CMDLINE           (ProcessTree: a process's parent, renames)
 *   slice UUID TS DUR DEPTH NAME ARGS  (BEGIN/END matched per track, by time;
 *                                       ARGS ends with flow=ID / tflow=ID)
 *   instant UUID TS NAME
 *   counter UUID TS VALUE
 *   unclosed UUID TS NAME
 *   weighted UUID TS NAME WEIGHT       (an event's callstack_weight, beside its
 *                                       slice or instant line)
 * Exits 1 on a framing, decoding or interning error: a trace that does not
 * decode is a test failure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "perfetto_trace.pb-c.h"
#include "trace_seq.h"

#define MAX_IIDS 65536

struct event {
	uint64_t track, ts, seq;
	int type;
	char *name;
	char *args;
};

static char *names[MAX_IIDS], *ann_names[MAX_IIDS], *str_values[MAX_IIDS];
static struct event *events;
static size_t nevents, cap_events;
static struct trace_seq seq;
static uint64_t order;
static int raw;	/* -r: also print each track event in file order */

static void die(const char *msg)
{
	fprintf(stderr, "pftrace-dump: %s\n", msg);
	exit(1);
}

static void intern(char **table, uint64_t iid, const char *s, size_t len)
{
	if (!iid || iid >= MAX_IIDS)
		die("interned iid out of range");
	free(table[iid]);
	table[iid] = strndup(s, len);
}

static const char *lookup(char **table, uint64_t iid)
{
	if (iid >= MAX_IIDS || !table[iid])
		die("reference to an undefined interned iid");
	return table[iid];
}

static void read_interned(const Perfetto__Protos__InternedData *d)
{
	size_t i;

	for (i = 0; i < d->n_event_names; i++)
		intern(names, d->event_names[i]->iid, d->event_names[i]->name,
		       strlen(d->event_names[i]->name));
	for (i = 0; i < d->n_debug_annotation_names; i++)
		intern(ann_names, d->debug_annotation_names[i]->iid,
		       d->debug_annotation_names[i]->name, strlen(d->debug_annotation_names[i]->name));
	for (i = 0; i < d->n_debug_annotation_string_values; i++)
		intern(str_values, d->debug_annotation_string_values[i]->iid,
		       (const char *)d->debug_annotation_string_values[i]->str.data,
		       d->debug_annotation_string_values[i]->str.len);
}

static char *format_args(const Perfetto__Protos__TrackEvent *te)
{
	char *buf = NULL;
	size_t sz = 0, i;
	FILE *f = open_memstream(&buf, &sz);

	for (i = 0; i < te->n_debug_annotations; i++) {
		const Perfetto__Protos__DebugAnnotation *a = te->debug_annotations[i];

		fprintf(f, "%s%s=", i ? "," : "",
			a->name_field_case == PERFETTO__PROTOS__DEBUG_ANNOTATION__NAME_FIELD_NAME_IID ?
			lookup(ann_names, a->name_iid) : a->name ? a->name : "?");
		switch (a->value_case) {
		case PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_BOOL_VALUE: fprintf(f, "%d", a->bool_value); break;
		case PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_UINT_VALUE: fprintf(f, "%" PRIu64, a->uint_value); break;
		case PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_INT_VALUE: fprintf(f, "%" PRId64, a->int_value); break;
		case PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_DOUBLE_VALUE: fprintf(f, "%g", a->double_value); break;
		case PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_STRING_VALUE: fprintf(f, "%s", a->string_value); break;
		case PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_STRING_VALUE_IID:
			fprintf(f, "%s", lookup(str_values, a->string_value_iid)); break;
		default: fprintf(f, "?"); break;
		}
	}
	for (i = 0; i < te->n_flow_ids; i++)
		fprintf(f, "%sflow=%" PRIu64, te->n_debug_annotations || i ? "," : "", te->flow_ids[i]);
	for (i = 0; i < te->n_terminating_flow_ids; i++)
		fprintf(f, "%stflow=%" PRIu64, te->n_debug_annotations || te->n_flow_ids || i ? "," : "",
			te->terminating_flow_ids[i]);
	fclose(f);
	return buf;
}

static void add_event(const Perfetto__Protos__TracePacket *p)
{
	const Perfetto__Protos__TrackEvent *te = p->track_event;
	struct event *e;

	if (!p->has_timestamp || !p->has_trusted_packet_sequence_id || !te->has_type)
		die("track event without timestamp, sequence id or type");
	if (nevents == cap_events) {
		cap_events = cap_events ? cap_events * 2 : 4096;
		events = realloc(events, cap_events * sizeof(*events));
	}
	e = &events[nevents++];
	e->track = te->track_uuid;
	e->ts = p->timestamp;
	e->seq = order++;
	e->type = te->type;
	e->name = strdup(te->name_field_case == PERFETTO__PROTOS__TRACK_EVENT__NAME_FIELD_NAME_IID ?
			 lookup(names, te->name_iid) : te->name ? te->name : "");
	e->args = format_args(te);
	if (raw)
		printf("raw %" PRIu64 " %" PRIu64 " %" PRIu64 " %d %s\n", e->seq, e->track, e->ts,
		       e->type, e->name);
	if (te->has_callstack_weight)
		printf("weighted %" PRIu64 " %" PRIu64 " %s %.17g\n", e->track, e->ts, e->name,
		       te->callstack_weight);
	if (te->type == PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_COUNTER)
		printf("counter %" PRIu64 " %" PRIu64 " %.17g\n", e->track, e->ts,
		       te->counter_value_field_case ==
		       PERFETTO__PROTOS__TRACK_EVENT__COUNTER_VALUE_FIELD_COUNTER_VALUE ?
		       (double)te->counter_value : te->double_counter_value);
}

static void print_track(const Perfetto__Protos__TrackDescriptor *t)
{
	if (t->process)
		printf("track %" PRIu64 " process %d 0 %s\n", t->uuid, t->process->pid,
		       t->process->process_name ? t->process->process_name : "");
	else if (t->thread)
		printf("track %" PRIu64 " thread %d %" PRId64 " %s\n", t->uuid, t->thread->pid,
		       t->thread->tid, t->thread->thread_name ? t->thread->thread_name : "");
	else
		printf("track %" PRIu64 " %s 0 0 %s\n", t->uuid, t->counter ? "counter" : "track",
		       t->name ? t->name : "");
}

static void parse_packets(const uint8_t *buf, size_t len);

static void handle_packet(const uint8_t *buf, size_t len)
{
	Perfetto__Protos__TracePacket *p = perfetto__protos__trace_packet__unpack(NULL, len, buf);
	size_t i;

	if (!p)
		die("a packet does not decode");
	if (trace_seq_resolve(&seq, p))
		die("a timestamp on a clock nothing defined");
	if (p->interned_data)
		read_interned(p->interned_data);
	/* payload fields share a union: only the one data_case names is valid */
	if (p->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_DESCRIPTOR)
		print_track(p->track_descriptor);
	if (p->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_EVENT)
		add_event(p);
	if (p->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_PROCESS_TREE) {
		for (i = 0; i < p->process_tree->n_threads; i++)
			printf("thread_name %d %s\n", p->process_tree->threads[i]->tid,
			       p->process_tree->threads[i]->name);
		for (i = 0; i < p->process_tree->n_processes; i++)
			printf("process %d %d %s\n", p->process_tree->processes[i]->pid,
			       p->process_tree->processes[i]->ppid,
			       p->process_tree->processes[i]->n_cmdline ?
			       p->process_tree->processes[i]->cmdline[0] : "");
	}
	if (p->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_COMPRESSED_PACKETS) {
		uLongf out_len = 16 << 20;
		uint8_t *out = malloc(out_len);

		if (uncompress(out, &out_len, p->compressed_packets.data, p->compressed_packets.len) != Z_OK)
			die("compressed_packets does not inflate");
		parse_packets(out, out_len);
		free(out);
	}
	perfetto__protos__trace_packet__free_unpacked(p, NULL);
}

static void parse_packets(const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		uint64_t plen = 0;
		int shift = 0;

		if (buf[off++] != 0x0a)
			die("bad framing: field 1 expected");
		do {
			if (off >= len || shift > 63)
				die("truncated length");
			plen |= (uint64_t)(buf[off] & 0x7f) << shift;
			shift += 7;
		} while (buf[off++] & 0x80);
		if (plen > len - off)
			die("truncated packet");
		handle_packet(buf + off, plen);
		off += plen;
	}
}

static int by_track_then_time(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->track != y->track)
		return x->track < y->track ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : 1;	/* stable: file order breaks ties */
}

static void print_slices(void)
{
	struct event *stack[512];
	size_t i, depth = 0;

	qsort(events, nevents, sizeof(*events), by_track_then_time);
	for (i = 0; i < nevents; i++) {
		struct event *e = &events[i];

		if (i && e->track != events[i - 1].track) {
			while (depth)
				printf("unclosed %" PRIu64 " %" PRIu64 " %s\n", stack[depth - 1]->track,
				       stack[depth - 1]->ts, stack[depth - 1]->name), depth--;
		}
		if (e->type == PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_BEGIN && depth < 512) {
			stack[depth++] = e;
		} else if (e->type == PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_END && depth) {
			struct event *b = stack[--depth];

			printf("slice %" PRIu64 " %" PRIu64 " %" PRIu64 " %zu %s %s%s%s\n", b->track,
			       b->ts, e->ts - b->ts, depth, b->name, b->args,
			       *b->args && *e->args ? "," : "", e->args);
		} else if (e->type == PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_INSTANT) {
			printf("instant %" PRIu64 " %" PRIu64 " %s %s\n", e->track, e->ts, e->name, e->args);
		}
	}
	while (depth)
		printf("unclosed %" PRIu64 " %" PRIu64 " %s\n", stack[depth - 1]->track,
		       stack[depth - 1]->ts, stack[depth - 1]->name), depth--;
}

/* Everything main allocated, so LeakSanitizer runs (SAN=1) stay quiet. */
static void free_all(uint8_t *buf)
{
	size_t i;

	for (i = 0; i < nevents; i++) {
		free(events[i].name);
		free(events[i].args);
	}
	free(events);
	for (i = 0; i < MAX_IIDS; i++) {
		free(names[i]);
		free(ann_names[i]);
		free(str_values[i]);
	}
	free(buf);
}

int main(int argc, char **argv)
{
	FILE *f;
	uint8_t *buf;
	long len;

	if (argc == 3 && !strcmp(argv[1], "-r")) {
		raw = 1;
		argv++;
		argc--;
	}
	if (argc != 2)
		die("usage: pftrace-dump [-r] TRACE");
	f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		die("cannot read the trace");
	buf = malloc((size_t)len + 1);
	if (fread(buf, 1, (size_t)len, f) != (size_t)len)
		die("short read");
	fclose(f);
	if (!len)
		die("empty trace");
	parse_packets(buf, (size_t)len);
	print_slices();
	free_all(buf);
	return 0;
}
