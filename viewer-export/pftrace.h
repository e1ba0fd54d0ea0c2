/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pftrace: a streaming Perfetto trace writer over a file descriptor.
 *
 * Every packet is packed by protobuf-c and framed by us as field 1 of Trace
 * (0x0A, varint length), so the file is a valid trace after every whole
 * packet. Everything goes on one writer sequence (id 1): the first packet
 * clears the incremental state, and interning tables live for the whole
 * file. Strings interned with pftrace__intern() are attached to the next
 * packet written, so an iid is always defined at or before its first use.
 *
 * Output is buffered; with opts->compress, runs of packets are wrapped in
 * compressed_packets wrappers (zlib format, written by libdeflate; each below
 * 512 KiB, as the format asks).
 * The first write error is sticky: the file is truncated back to the last
 * whole packet or wrapper and every later call returns that error.
 *
 * Not thread safe: one writer per thread, or serialise the calls.
 */
#ifndef LS_PFTRACE_H
#define LS_PFTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "perfetto_trace.pb-c.h"

#define PFTRACE_SEQ_ID		1
#define PFTRACE_MAX_ARGS	12	/* debug annotations per event */
#define PFTRACE_MAX_CATS	4	/* categories per event */

struct pftrace_opts {
	bool compress;		/* wrap packets in compressed_packets (zlib format) */
	int level;		/* libdeflate level 1-12; 0 = 5 */
	size_t chunk_size;	/* uncompressed bytes per wrapper; 0 = 256 KiB */
	size_t buf_size;	/* output buffer; 0 = 256 KiB */
};

struct pftrace_stats {
	uint64_t packets;	/* trace packets written, wrappers not counted */
	uint64_t events;	/* track events among them */
	uint64_t wrappers;	/* compressed_packets wrappers */
	uint64_t raw_bytes;	/* framed packet bytes before compression */
	uint64_t bytes;		/* bytes that reached the fd */
};

enum pftrace_table {
	PFTRACE_EVENT_NAME,
	PFTRACE_CATEGORY,
	PFTRACE_ANNOT_NAME,
	PFTRACE_STRING_VALUE,
	PFTRACE_TABLE_MAX,
};

/* Namespaces of pftrace__track_uuid(): one per kind of track we describe. */
enum pftrace_uuid_kind {
	PFTRACE_UUID_PROCESS = 1,
	PFTRACE_UUID_THREAD,
	PFTRACE_UUID_COUNTER,
	PFTRACE_UUID_PLAIN,
	PFTRACE_UUID_STALL_STACKS,
};

enum pftrace_track_kind {
	PFTRACE_TRACK_PLAIN,
	PFTRACE_TRACK_PROCESS,
	PFTRACE_TRACK_THREAD,
	PFTRACE_TRACK_COUNTER,
};

struct pftrace_track {
	enum pftrace_track_kind kind;
	uint64_t uuid;
	uint64_t parent_uuid;		/* 0 = none; ignored for process/thread */
	const char *name;		/* track name; process name; thread name */
	const char *description;	/* NULL = none */
	int32_t pid;			/* process and thread tracks */
	int64_t tid;			/* thread tracks */
	const char *cmdline;		/* process tracks: one cmdline element */
	const char *unit_name;		/* counter tracks: free-form unit */
	int64_t unit_multiplier;	/* counter tracks; 0 = unset */
	bool no_system_merge;		/* disallow_merging_with_system_tracks */
};

enum pftrace_event_type {
	PFTRACE_SLICE_BEGIN = 1,
	PFTRACE_SLICE_END = 2,
	PFTRACE_INSTANT = 3,
	PFTRACE_COUNTER = 4,
};

enum pftrace_arg_type {
	PFTRACE_ARG_BOOL,
	PFTRACE_ARG_UINT,
	PFTRACE_ARG_INT,
	PFTRACE_ARG_DOUBLE,
	PFTRACE_ARG_STR,	/* interned: for small sets of values */
};

struct pftrace_arg {
	const char *name;	/* interned as a debug annotation name */
	enum pftrace_arg_type type;
	union {
		bool b;
		uint64_t u;
		int64_t i;
		double d;
		const char *s;
	};
};

struct pftrace_event {
	enum pftrace_event_type type;
	uint64_t ts;			/* CLOCK_BOOTTIME ns */
	uint64_t track_uuid;
	const char *name;		/* BEGIN/INSTANT, interned; END: leave NULL */
	const char *categories;		/* "a,b": each part interned; NULL = none */
	const struct pftrace_arg *args;	/* up to PFTRACE_MAX_ARGS */
	unsigned nargs;
	bool int_counter;		/* COUNTER: counter_value instead of double */
	double value;			/* COUNTER */
	uint64_t callstack_iid;		/* 0 = none; from pftrace_stacks__callstack() */
	double callstack_weight;	/* with callstack_iid; 0 = unweighted */
	uint64_t flow_id;		/* 0 = none: starts or continues a flow (arrow) */
	uint64_t terminating_flow_id;	/* 0 = none: the flow's last slice */
};

/*
 * A second owner of interning tables on the writer's sequence (callstacks,
 * see pftrace_stacks.h). Before each packet stage() adds its not-yet-written
 * entries to *id and returns 1 if it added any, 0 if none, or -errno (which
 * becomes the writer's sticky error); commit() runs once that packet is in
 * the output, so the staged entries count as written.
 */
struct pftrace_interner {
	int (*stage)(void *ctx, Perfetto__Protos__InternedData *id);
	void (*commit)(void *ctx);
	void *ctx;
};

/* Returns NULL and sets errno on failure. opts may be NULL for defaults. */
struct pftrace *pftrace__new(int fd, const struct pftrace_opts *opts);
/* Frees memory only: unflushed output is dropped, call pftrace__finish() first. */
void pftrace__free(struct pftrace *w);

/*
 * Writes one packet. The writer sets the sequence id and flags and attaches
 * pending interned data (so it owns interned_data; leave it NULL).
 */
int pftrace__write_packet(struct pftrace *w, Perfetto__Protos__TracePacket *pkt);
int pftrace__event(struct pftrace *w, const struct pftrace_event *ev);
int pftrace__track(struct pftrace *w, uint64_t ts, const struct pftrace_track *t);
/*
 * A process's parent and command line (ProcessTree): trace_processor names
 * the process after the cmdline's first word, e.g. on a rename. ppid 0 = unknown.
 */
int pftrace__process_tree(struct pftrace *w, uint64_t ts, int32_t pid, int32_t ppid,
			  const char *cmdline);
/* Names a thread without a track descriptor (ProcessTree), e.g. on rename. */
int pftrace__thread_name(struct pftrace *w, uint64_t ts, int32_t pid, int32_t tid,
			 const char *name);

/*
 * Events on this track may omit their track uuid (TrackEventDefaults): give
 * it the busiest track, usually the loop thread's. 0 = none. Changing it
 * costs a few bytes on the next packet.
 */
void pftrace__set_default_track(struct pftrace *w, uint64_t uuid);

/* Installs (or with NULL removes) the one extra interner; copied. */
void pftrace__set_interner(struct pftrace *w, const struct pftrace_interner *in);

/* The iid of s in table t, adding it if new; 0 (and a sticky -ENOMEM) on failure. */
uint64_t pftrace__intern(struct pftrace *w, enum pftrace_table t, const char *s);
/* Deterministic and never 0, so re-describing a track reuses its uuid. */
uint64_t pftrace__track_uuid(enum pftrace_uuid_kind kind, uint32_t pid, uint32_t tid);

/* Writes buffered output (closing the open compressed wrapper); 0 or -errno. */
int pftrace__flush(struct pftrace *w);
/* Flushes; returns the first error the writer ever hit, or 0. */
int pftrace__finish(struct pftrace *w);
/* 0 or the sticky error. */
int pftrace__err(const struct pftrace *w);
void pftrace__stats(const struct pftrace *w, struct pftrace_stats *st);

#endif
