/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * For the exporter's unit tests: a trace decoded back into its packets and
 * its track events (names and categories resolved from the interned data,
 * timestamps and default track as trace_processor resolves them).
 */
#ifndef LS_TEST_TRACE_DECODE_H
#define LS_TEST_TRACE_DECODE_H

#include <stdint.h>
#include "tests/tools/trace_seq.h"
#include "viewer-export/pftrace.h"
#include "viewer-export/trace_export.h"

#define MAX_EV		256
#define MAX_IID		256

/* The packet's payload of one kind, or NULL: data is a oneof, its members alias. */
#define PAYLOAD(p, kind, member)                                              \
	((p)->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_##kind ? (p)->member : NULL)

struct ev {
	int type;
	uint64_t ts;
	uint64_t track;
	const char *name;
	char cats[64];
	const Perfetto__Protos__TrackEvent *te;
};

struct trace {
	Perfetto__Protos__TracePacket *pk[MAX_EV * 2];
	size_t npk;
	struct ev ev[MAX_EV];
	size_t nev;
	const char *names[PFTRACE_TABLE_MAX][MAX_IID];
	struct trace_seq seq;
};

/*
 * Exports what feed_fn pushes into a sink to a trace written on fd; st and
 * counts may be NULL. Returns trace_export__finish()'s result.
 */
int td_export(int fd, const struct pftrace_opts *po, const struct trace_export_opts *o,
	      const struct ls_export_stats *st, struct trace_export_counts *counts,
	      void (*feed_fn)(struct ls_sink *));
/* Decodes the whole file fd into t; fails the test on a malformed trace. */
void td_decode(int fd, struct trace *t);
void td_free(struct trace *t);
/* The first event named name; fails the test if there is none. */
const struct ev *td_find(const struct trace *t, const char *name);
const Perfetto__Protos__DebugAnnotation *td_arg(const struct trace *t, const struct ev *e,
						const char *name);
const char *td_str_arg(const struct trace *t, const struct ev *e, const char *name);

#endif
