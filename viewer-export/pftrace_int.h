/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pftrace internals shared by pftrace.c (buffers, compression, clocks,
 * protobuf-c packets), pftrace_intern.c (interning tables),
 * pftrace_track.c (track descriptors, thread names) and pftrace_event.c
 * (track events, encoded by hand: they are nearly every packet of a trace).
 */
#ifndef LS_PFTRACE_INT_H
#define LS_PFTRACE_INT_H

#include <sys/types.h>
#include <libdeflate.h>
#include "collector/table.h"
#include "pftrace.h"

#define PFT_TAG_PACKET		0x0A	/* Trace.packet: field 1, length-delimited */
#define PFT_SEQ_CLEARED		PERFETTO__PROTOS__TRACE_PACKET__SEQUENCE_FLAGS__SEQ_INCREMENTAL_STATE_CLEARED
#define PFT_SEQ_NEEDS		PERFETTO__PROTOS__TRACE_PACKET__SEQUENCE_FLAGS__SEQ_NEEDS_INCREMENTAL_STATE
#define PFT_CLOCK_BOOTTIME	6
/* Sequence-scoped (64-127) and incremental: timestamps are deltas. */
#define PFT_CLOCK_DELTA		64

struct pft_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/*
 * One interning table: an open-addressing hash of string -> iid. iids are
 * dense (1..n), so strs[iid - 1] holds the string and the entries not yet
 * written to the trace are exactly iids emitted+1..n.
 */
struct pft_table {
	struct ls_table index;	/* of uint64_t iids, keyed by their string */
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
	struct pft_buf *open;	/* where the packet being written goes */
	struct libdeflate_compressor *zc;	/* whole-buffer, zlib format */
	uint8_t *zbuf;
	size_t zcap;
	/* the delta clock: set up at the first timestamp, in a ClockSnapshot */
	bool clock_set;
	uint64_t clock_last;
	/* TrackEventDefaults.track_uuid: events on it omit their track */
	uint64_t default_track;
	bool defaults_pending;	/* ride on the next packet */
	struct pft_table tables[PFTRACE_TABLE_MAX];
	struct pft_scratch scratch[PFTRACE_TABLE_MAX];
	struct pftrace_interner ext;	/* stage == NULL: none */
	struct pftrace_stats st;
};

/* Everything a packet carries besides its payload, resolved and staged. */
struct pft_envelope {
	bool has_ts;
	bool ts_absolute;	/* ts is BOOTTIME, not a delta */
	uint64_t ts;
	uint32_t flags;
	bool first;
	Perfetto__Protos__InternedData id;
	int interned;		/* 1: id holds entries */
	size_t id_sz;		/* packed sizes of id and defaults */
	size_t def_sz;
	Perfetto__Protos__TracePacketDefaults defaults;
	Perfetto__Protos__TrackEventDefaults te_defaults;
	bool has_defaults;
};

static inline size_t pft_varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static inline uint8_t *pft_put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

enum {
	PFT_WIRE_VARINT = 0,
	PFT_WIRE_FIXED64 = 1,
	PFT_WIRE_LEN = 2,
};

static inline uint8_t *pft_put_tag(uint8_t *p, uint32_t field, uint32_t wire)
{
	return pft_put_varint(p, (uint64_t)field << 3 | wire);
}

/* A varint field: tag, then value. */
static inline uint8_t *pft_put_field(uint8_t *p, uint32_t field, uint64_t v)
{
	return pft_put_varint(pft_put_tag(p, field, PFT_WIRE_VARINT), v);
}

int pft_set_err(struct pftrace *w, int err);

/*
 * A packet's envelope in two steps. pft_stamp() converts ts to the delta
 * clock, first writing the ClockSnapshot if this is the first timestamp.
 * pft_stage() then stages the interned entries and defaults not yet
 * written, so call it after interning what the packet names. 0 or -errno.
 */
int pft_stamp(struct pftrace *w, struct pft_envelope *env, bool has_ts, uint64_t ts);
int pft_stage(struct pftrace *w, struct pft_envelope *env, bool needs_state);
size_t pft_envelope_size(const struct pft_envelope *env);
uint8_t *pft_put_envelope(uint8_t *p, struct pft_envelope *env);
/* Room for a framed packet with a body of sz bytes: where the body goes, or NULL. */
uint8_t *pft_begin_packet(struct pftrace *w, size_t sz);
/* The body is written: counts it and marks what its envelope carried as written. */
void pft_end_packet(struct pftrace *w, size_t sz, const struct pft_envelope *env,
		    bool track_event);

uint64_t pft_intern_n(struct pftrace *w, enum pftrace_table tab, const char *s, size_t len);
/* Stages own and extra interner entries into *id: 1 if any, 0 if none, or -errno. */
int pft_stage_all(struct pftrace *w, Perfetto__Protos__InternedData *id);
void pft_commit_interned(struct pftrace *w);
void pft_init_tables(struct pftrace *w);
void pft_free_tables(struct pftrace *w);

#endif
