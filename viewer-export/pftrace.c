/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Streaming Perfetto writer; see pftrace.h for the contract.
 *
 * Buffers: packets are written straight into their destination, the output
 * buffer (plain mode) or the open chunk (compress mode), behind a 0x0A+varint
 * header we write ourselves. Both buffers only ever hold whole packets or
 * whole wrappers, which is what lets a failed write truncate the file back
 * to a valid trace. Nothing is allocated per event once the buffers, the
 * interning tables and the scratch arrays have grown to their working size.
 *
 * Size: timestamps are deltas on an incremental sequence clock (a few bytes
 * instead of eight, and they compress), and events on the default track
 * (TrackEventDefaults) omit their 64-bit track uuid. A timestamp earlier
 * than the previous one is written absolute, on BOOTTIME.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pftrace_int.h"

#define PFT_DEF_BUF		(256u << 10)
#define PFT_DEF_CHUNK		(256u << 10)
/*
 * The first flush (and the first wrapper) is small and each one after doubles
 * up to the full size: a disk that fills early still keeps a trace holding
 * about half of what fitted, not an empty file.
 */
#define PFT_FIRST_FLUSH		(4u << 10)
/* The compress bound of 448 KiB plus framing stays below the format's 512 KiB per wrapper. */
#define PFT_MAX_CHUNK		(448u << 10)

int pft_set_err(struct pftrace *w, int err)
{
	if (!w->err)
		w->err = err;
	return w->err;
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
	return pft_set_err(w, err);
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
		return pft_set_err(w, -ENOMEM);
	return 0;
}

/*
 * Deflates the open chunk into one compressed_packets wrapper packet: one
 * zlib stream per chunk, which is what lets a whole-buffer compressor do it.
 */
static int close_chunk(struct pftrace *w)
{
	size_t zlen, inner;
	uint8_t *p;
	int err;

	if (!w->chunk.len)
		return 0;
	/* zcap is the bound for chunk_size, so 0 (no room) cannot happen */
	zlen = libdeflate_zlib_compress(w->zc, w->chunk.data, w->chunk.len, w->zbuf, w->zcap);
	if (!zlen)
		return pft_set_err(w, -EIO);
	inner = 2 + pft_varint_len(zlen) + zlen;	/* tag of field 50 takes two bytes */
	err = out_reserve(w, 1 + pft_varint_len(inner) + inner);
	if (err)
		return err;
	p = w->out.data + w->out.len;
	*p++ = PFT_TAG_PACKET;
	p = pft_put_varint(p, inner);
	p = pft_put_tag(p, 50, PFT_WIRE_LEN);
	p = pft_put_varint(p, zlen);
	memcpy(p, w->zbuf, zlen);
	w->out.len = (size_t)(p + zlen - w->out.data);
	w->chunk.len = 0;
	w->st.wrappers++;
	w->chunk_limit = w->chunk_limit * 2 < w->chunk_size ? w->chunk_limit * 2 : w->chunk_size;
	return 0;
}

uint8_t *pft_begin_packet(struct pftrace *w, size_t sz)
{
	size_t need = 1 + pft_varint_len(sz) + sz;
	struct pft_buf *b = &w->out;
	uint8_t *p;

	if (w->err)
		return NULL;
	if (w->compress && need <= w->chunk_size) {
		if (w->chunk.len + need > w->chunk_limit && close_chunk(w))
			return NULL;
		b = &w->chunk;
	} else {
		/* Keep file order: what is in the chunk was written first. */
		if ((w->compress && close_chunk(w)) || out_reserve(w, need))
			return NULL;
	}
	w->open = b;
	p = b->data + b->len;
	*p++ = PFT_TAG_PACKET;
	return pft_put_varint(p, sz);
}

void pft_end_packet(struct pftrace *w, size_t sz, const struct pft_envelope *env, bool track_event)
{
	size_t need = 1 + pft_varint_len(sz) + sz;

	w->open->len += need;
	w->st.raw_bytes += need;
	if (env->interned)
		pft_commit_interned(w);
	if (env->has_defaults)
		w->defaults_pending = false;
	w->started = true;
	w->st.packets++;
	w->st.events += track_event;
}

size_t pft_envelope_size(const struct pft_envelope *env)
{
	size_t n = 2 + (env->flags ? 1 + pft_varint_len(env->flags) : 0);	/* sequence id, flags */

	if (env->has_ts)
		n += 1 + pft_varint_len(env->ts) + (env->ts_absolute ? 3 : 0);
	if (env->first)
		n += 3;
	if (env->interned)
		n += 1 + pft_varint_len(env->id_sz) + env->id_sz;
	if (env->has_defaults)
		n += 2 + pft_varint_len(env->def_sz) + env->def_sz;
	return n;
}

uint8_t *pft_put_envelope(uint8_t *p, struct pft_envelope *env)
{
	if (env->has_ts) {
		p = pft_put_field(p, 8, env->ts);
		if (env->ts_absolute)
			p = pft_put_field(p, 58, PFT_CLOCK_BOOTTIME);
	}
	p = pft_put_field(p, 10, PFTRACE_SEQ_ID);
	if (env->flags)
		p = pft_put_field(p, 13, env->flags);
	if (env->first)
		p = pft_put_field(p, 87, 1);
	if (env->interned) {
		p = pft_put_tag(p, 12, PFT_WIRE_LEN);
		p = pft_put_varint(p, env->id_sz);
		p += protobuf_c_message_pack(&env->id.base, p);
	}
	if (env->has_defaults) {
		p = pft_put_tag(p, 59, PFT_WIRE_LEN);
		p = pft_put_varint(p, env->def_sz);
		p += protobuf_c_message_pack(&env->defaults.base, p);
	}
	return p;
}

/* Defaults replace each other whole: always restate both. */
static void stage_defaults(struct pftrace *w, struct pft_envelope *env)
{
	static const Perfetto__Protos__TracePacketDefaults def_init =
		PERFETTO__PROTOS__TRACE_PACKET_DEFAULTS__INIT;
	static const Perfetto__Protos__TrackEventDefaults ted_init =
		PERFETTO__PROTOS__TRACK_EVENT_DEFAULTS__INIT;

	env->has_defaults = w->defaults_pending;
	if (!env->has_defaults)
		return;
	env->defaults = def_init;
	env->te_defaults = ted_init;
	env->defaults.has_timestamp_clock_id = w->clock_set;
	env->defaults.timestamp_clock_id = PFT_CLOCK_DELTA;
	if (w->default_track) {
		env->te_defaults.has_track_uuid = 1;
		env->te_defaults.track_uuid = w->default_track;
		env->defaults.track_event_defaults = &env->te_defaults;
	}
	env->def_sz = protobuf_c_message_get_packed_size(&env->defaults.base);
}

static void set_flags(struct pftrace *w, struct pft_envelope *env, bool needs_state)
{
	env->first = !w->started;
	env->flags = (env->first ? PFT_SEQ_CLEARED : 0) |
		     (needs_state || env->interned || env->has_defaults ? PFT_SEQ_NEEDS : 0);
}

int pft_stage(struct pftrace *w, struct pft_envelope *env, bool needs_state)
{
	static const Perfetto__Protos__InternedData id_init = PERFETTO__PROTOS__INTERNED_DATA__INIT;

	env->id = id_init;
	env->interned = pft_stage_all(w, &env->id);
	if (env->interned < 0)
		return env->interned;
	env->id_sz = env->interned ? protobuf_c_message_get_packed_size(&env->id.base) : 0;
	stage_defaults(w, env);
	set_flags(w, env, needs_state);
	return 0;
}

/* Packs a protobuf-c payload (pkt's envelope fields unset) behind env. */
static int write_enveloped(struct pftrace *w, struct pft_envelope *env,
			   Perfetto__Protos__TracePacket *pkt)
{
	size_t esz = pft_envelope_size(env);
	size_t sz = esz + protobuf_c_message_get_packed_size(&pkt->base);
	uint8_t *p = pft_begin_packet(w, sz);

	if (!p)
		return w->err;
	p = pft_put_envelope(p, env);
	protobuf_c_message_pack(&pkt->base, p);
	pft_end_packet(w, sz, env, pkt->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_EVENT);
	return 0;
}

/*
 * Defines the delta clock at the first timestamp: BOOTTIME and clock 64
 * read the same at ts. The packet itself is stamped on BOOTTIME, and it
 * carries the defaults that make clock 64 the sequence's clock.
 */
static int write_clock_snapshot(struct pftrace *w, uint64_t ts)
{
	Perfetto__Protos__TracePacket pkt = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	Perfetto__Protos__ClockSnapshot cs = PERFETTO__PROTOS__CLOCK_SNAPSHOT__INIT;
	Perfetto__Protos__ClockSnapshot__Clock c[2] = {
		PERFETTO__PROTOS__CLOCK_SNAPSHOT__CLOCK__INIT,
		PERFETTO__PROTOS__CLOCK_SNAPSHOT__CLOCK__INIT,
	};
	Perfetto__Protos__ClockSnapshot__Clock *cp[2] = { &c[0], &c[1] };
	struct pft_envelope env = { 0 };

	c[0].has_clock_id = 1, c[0].clock_id = PFT_CLOCK_BOOTTIME;
	c[0].has_timestamp = 1, c[0].timestamp = ts;
	c[1].has_clock_id = 1, c[1].clock_id = PFT_CLOCK_DELTA;
	c[1].has_timestamp = 1, c[1].timestamp = ts;
	c[1].has_is_incremental = 1, c[1].is_incremental = 1;
	cs.n_clocks = 2;
	cs.clocks = cp;
	pkt.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_CLOCK_SNAPSHOT;
	pkt.clock_snapshot = &cs;
	w->clock_set = true;
	w->clock_last = ts;
	w->defaults_pending = true;
	/* interned entries wait for the packet that uses them: env.interned = 0 */
	stage_defaults(w, &env);
	set_flags(w, &env, true);
	env.has_ts = true;
	env.ts_absolute = true;
	env.ts = ts;
	return write_enveloped(w, &env, &pkt);
}

int pft_stamp(struct pftrace *w, struct pft_envelope *env, bool has_ts, uint64_t ts)
{
	int err;

	if (w->err)
		return w->err;
	if (has_ts && !w->clock_set && (err = write_clock_snapshot(w, ts)))
		return err;
	env->has_ts = has_ts;
	env->ts_absolute = has_ts && ts < w->clock_last;
	env->ts = env->ts_absolute ? ts : ts - w->clock_last;
	if (has_ts && !env->ts_absolute)
		w->clock_last = ts;
	return 0;
}

int pftrace__write_packet(struct pftrace *w, Perfetto__Protos__TracePacket *pkt)
{
	struct pft_envelope env;
	bool has_ts = pkt->has_timestamp;
	int err;

	if (w->err)
		return w->err;
	pkt->has_timestamp = 0;
	err = pft_stamp(w, &env, has_ts, pkt->timestamp);
	if (!err)
		err = pft_stage(w, &env, pkt->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_PERF_SAMPLE);
	if (!err)
		err = write_enveloped(w, &env, pkt);
	pkt->has_timestamp = has_ts;
	return err;
}

void pftrace__set_default_track(struct pftrace *w, uint64_t uuid)
{
	if (uuid == w->default_track)
		return;
	w->default_track = uuid;
	w->defaults_pending = true;
}

void pftrace__set_interner(struct pftrace *w, const struct pftrace_interner *in)
{
	static const struct pftrace_interner none;

	w->ext = in ? *in : none;
}

static int init_compress(struct pftrace *w, const struct pftrace_opts *o)
{
	/*
	 * libdeflate, not zlib: the same format (trace_processor inflates it
	 * with zlib) in whole buffers, which is what a chunk is. At level 5 it
	 * compressed node traces' packets 1.4-1.5x as fast as zlib at 5 (the
	 * former setting) for files under 1% larger, and the replay of a
	 * node fs capture with the export went from 0.58M to 0.72M records/s
	 * per core; its 6 was about zlib 5's size and barely faster
	 * (bench/zbench, bench/results.md).
	 */
	int level = o->level > 0 && o->level <= 12 ? o->level : 5;

	w->chunk_size = o->chunk_size ? o->chunk_size : PFT_DEF_CHUNK;
	if (w->chunk_size > PFT_MAX_CHUNK)
		w->chunk_size = PFT_MAX_CHUNK;
	if (w->chunk_size < 64)
		w->chunk_size = 64;
	/* The zlib format (header, adler32), not raw deflate: trace_processor rejects raw. */
	w->zc = libdeflate_alloc_compressor(level);
	if (!w->zc)
		return -ENOMEM;
	w->zcap = libdeflate_zlib_compress_bound(w->zc, w->chunk_size);
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
	pft_init_tables(w);
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
	if (!w)
		return;
	pft_free_tables(w);
	if (w->zc)
		libdeflate_free_compressor(w->zc);
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
