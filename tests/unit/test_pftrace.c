/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pftrace: the file is read back and decoded with protobuf-c, checking what
 * trace_processor relies on: framing, sequence flags, interning order,
 * compressed_packets wrappers, and a valid file after a failed write.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "../harness.h"
#include "tests/tools/trace_seq.h"
#include "viewer-export/pftrace.h"

#define MAX_WRAPPER	(512u << 10)
#define MAX_IID		4096

/* The packet's payload of one kind, or NULL: data is a oneof, its members alias. */
#define PAYLOAD(p, kind, member)                                              \
	((p)->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_##kind ? (p)->member : NULL)

struct decoded {
	Perfetto__Protos__TracePacket **pk;
	size_t n;
	size_t cap;
	size_t wrappers;
	struct trace_seq seq;
	bool raw;	/* leave clocks and default tracks unresolved */
};

static uint8_t *read_fd(int fd, size_t *len)
{
	struct stat st;
	uint8_t *buf;

	ASSERT(fstat(fd, &st) == 0);
	buf = malloc((size_t)st.st_size + 1);
	ASSERT(buf);
	ASSERT_EQ(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
	*len = (size_t)st.st_size;
	return buf;
}

static uint64_t get_varint(const uint8_t *buf, size_t len, size_t *pos)
{
	uint64_t v = 0;
	unsigned shift = 0;

	while (*pos < len && shift < 64) {
		uint8_t b = buf[(*pos)++];

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
		shift += 7;
	}
	LS_FAIL("truncated varint at %zu", *pos);
}

static uint8_t *inflate_all(const uint8_t *in, size_t len, size_t *out_len)
{
	z_stream zs = { 0 };
	size_t cap = len * 4 + 1024;
	uint8_t *out = malloc(cap);
	int rc;

	ASSERT(out && inflateInit(&zs) == Z_OK);	/* zlib header, as TP requires */
	zs.next_in = (uint8_t *)in;
	zs.avail_in = (uInt)len;
	do {
		if (zs.total_out == cap) {
			cap *= 2;
			out = realloc(out, cap);
			ASSERT(out);
		}
		zs.next_out = out + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		rc = inflate(&zs, Z_FINISH);
	} while (rc == Z_BUF_ERROR || rc == Z_OK);
	ASSERT_EQ(rc, Z_STREAM_END);
	ASSERT_EQ(zs.avail_in, 0);	/* one stream per wrapper, nothing after it */
	*out_len = zs.total_out;
	inflateEnd(&zs);
	return out;
}

static void decode(const uint8_t *buf, size_t len, struct decoded *d, int depth)
{
	size_t pos = 0, sz;
	Perfetto__Protos__TracePacket *p;

	while (pos < len) {
		ASSERT_EQ(buf[pos], 0x0A);
		pos++;
		sz = get_varint(buf, len, &pos);
		ASSERT(pos + sz <= len);
		p = perfetto__protos__trace_packet__unpack(NULL, sz, buf + pos);
		ASSERT(p);
		pos += sz;
		if (p->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_COMPRESSED_PACKETS) {
			size_t ilen;
			uint8_t *inner;

			ASSERT_EQ(depth, 0);	/* nesting makes TP abort */
			ASSERT(sz < MAX_WRAPPER);
			ASSERT(!p->has_trusted_packet_sequence_id && !p->interned_data);
			inner = inflate_all(p->compressed_packets.data, p->compressed_packets.len, &ilen);
			ASSERT(ilen > 0);
			decode(inner, ilen, d, 1);
			free(inner);
			perfetto__protos__trace_packet__free_unpacked(p, NULL);
			d->wrappers++;
			continue;
		}
		ASSERT(sz < MAX_WRAPPER);
		ASSERT(d->raw || trace_seq_resolve(&d->seq, p) == 0);
		if (d->n == d->cap) {
			d->cap = d->cap ? d->cap * 2 : 256;
			d->pk = realloc(d->pk, d->cap * sizeof(*d->pk));
			ASSERT(d->pk);
		}
		d->pk[d->n++] = p;
	}
}

static void decode_fd_as(int fd, struct decoded *d, bool raw)
{
	size_t len;
	uint8_t *buf = read_fd(fd, &len);

	memset(d, 0, sizeof(*d));
	d->raw = raw;
	ASSERT(len > 0);
	ASSERT_EQ(buf[0], 0x0A);	/* how TP recognises a proto trace */
	decode(buf, len, d, 0);
	free(buf);
}

static void decode_fd(int fd, struct decoded *d)
{
	decode_fd_as(fd, d, false);
}

static void decode_fd_raw(int fd, struct decoded *d)
{
	decode_fd_as(fd, d, true);
}

/* Interned strings seen so far, per table, indexed by iid. */
struct names {
	const char *s[PFTRACE_TABLE_MAX][MAX_IID];
};

/* InternedString.str is bytes: not NUL-terminated once decoded. Freed by free_names(). */
static const char *bytes_str(const ProtobufCBinaryData *b)
{
	char *s = strndup((const char *)b->data, b->len);

	ASSERT(s);
	return s;
}

static void define(struct names *nm, int t, uint64_t iid, const char *s)
{
	ASSERT(iid > 0 && iid < MAX_IID);
	if (nm->s[t][iid])
		LS_FAIL("iid %llu of table %d defined twice", (unsigned long long)iid, t);
	nm->s[t][iid] = s;
}

static const char *lookup(const struct names *nm, int t, uint64_t iid)
{
	ASSERT(iid > 0 && iid < MAX_IID);
	if (!nm->s[t][iid])
		LS_FAIL("iid %llu of table %d used before it was defined", (unsigned long long)iid, t);
	return nm->s[t][iid];
}

static void learn(struct names *nm, const Perfetto__Protos__InternedData *id)
{
	size_t i;

	for (i = 0; id && i < id->n_event_names; i++)
		define(nm, PFTRACE_EVENT_NAME, id->event_names[i]->iid, id->event_names[i]->name);
	for (i = 0; id && i < id->n_event_categories; i++)
		define(nm, PFTRACE_CATEGORY, id->event_categories[i]->iid, id->event_categories[i]->name);
	for (i = 0; id && i < id->n_debug_annotation_names; i++)
		define(nm, PFTRACE_ANNOT_NAME, id->debug_annotation_names[i]->iid,
		       id->debug_annotation_names[i]->name);
	for (i = 0; id && i < id->n_debug_annotation_string_values; i++)
		define(nm, PFTRACE_STRING_VALUE, id->debug_annotation_string_values[i]->iid,
		       bytes_str(&id->debug_annotation_string_values[i]->str));
}

/* Checks sequence rules and that every iid is defined at or before its use. */
static void check_sequence(const struct decoded *d, struct names *nm)
{
	size_t i, k;

	ASSERT(d->n > 0);
	for (i = 0; i < d->n; i++) {
		const Perfetto__Protos__TracePacket *p = d->pk[i];
		const Perfetto__Protos__TrackEvent *te = PAYLOAD(p, TRACK_EVENT, track_event);
		uint32_t flags = p->has_sequence_flags ? p->sequence_flags : 0;

		ASSERT(p->has_trusted_packet_sequence_id);
		ASSERT_EQ(p->trusted_packet_sequence_id, PFTRACE_SEQ_ID);
		ASSERT_EQ(!!(flags & 1), i == 0);	/* cleared once, first */
		ASSERT_EQ(p->has_first_packet_on_sequence, i == 0);
		learn(nm, p->interned_data);	/* TP reads interned_data before the payload */
		if (p->interned_data)
			ASSERT(flags & 2);
		if (p->data_case != PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_EVENT)
			continue;
		ASSERT(flags & 2);
		ASSERT(p->has_timestamp && te->has_type && te->has_track_uuid);
		if (te->name_field_case == PERFETTO__PROTOS__TRACK_EVENT__NAME_FIELD_NAME_IID)
			lookup(nm, PFTRACE_EVENT_NAME, te->name_iid);
		for (k = 0; k < te->n_category_iids; k++)
			lookup(nm, PFTRACE_CATEGORY, te->category_iids[k]);
		for (k = 0; k < te->n_debug_annotations; k++) {
			const Perfetto__Protos__DebugAnnotation *a = te->debug_annotations[k];

			lookup(nm, PFTRACE_ANNOT_NAME, a->name_iid);
			if (a->value_case == PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_STRING_VALUE_IID)
				lookup(nm, PFTRACE_STRING_VALUE, a->string_value_iid);
		}
	}
}

static void free_names(struct names *nm)
{
	size_t i;

	for (i = 0; i < MAX_IID; i++)
		free((char *)nm->s[PFTRACE_STRING_VALUE][i]);
	free(nm);
}

static void free_decoded(struct decoded *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		perfetto__protos__trace_packet__free_unpacked(d->pk[i], NULL);
	free(d->pk);
}

/* A small but complete trace: process, thread, counter, nested slices, args. */
static void write_sample(struct pftrace *w, uint64_t ts, int nrep)
{
	uint64_t proc = pftrace__track_uuid(PFTRACE_UUID_PROCESS, 100, 0);
	uint64_t thr = pftrace__track_uuid(PFTRACE_UUID_THREAD, 100, 101);
	uint64_t ctr = pftrace__track_uuid(PFTRACE_UUID_COUNTER, 100, 101);
	struct pftrace_track tp = { .kind = PFTRACE_TRACK_PROCESS, .uuid = proc, .pid = 100,
				    .name = "demo", .cmdline = "demo --flag" };
	struct pftrace_track tt = { .kind = PFTRACE_TRACK_THREAD, .uuid = thr, .pid = 100,
				    .tid = 101, .name = "worker" };
	struct pftrace_track tc = { .kind = PFTRACE_TRACK_COUNTER, .uuid = ctr, .parent_uuid = proc,
				    .name = "depth", .unit_name = "items" };
	struct pftrace_arg args[] = {
		{ .name = "fd", .type = PFTRACE_ARG_INT, .i = -3 },
		{ .name = "kind", .type = PFTRACE_ARG_STR, .s = "socket" },
		{ .name = "ok", .type = PFTRACE_ARG_BOOL, .b = true },
		{ .name = "ms", .type = PFTRACE_ARG_DOUBLE, .d = 1.5 },
	};
	struct pftrace_event ev = { .track_uuid = thr };
	int i;

	ASSERT_EQ(pftrace__track(w, ts, &tp), 0);
	ASSERT_EQ(pftrace__track(w, ts, &tt), 0);
	ASSERT_EQ(pftrace__track(w, ts, &tc), 0);
	for (i = 0; i < nrep; i++, ts += 1000) {
		ev = (struct pftrace_event){ .type = PFTRACE_SLICE_BEGIN, .ts = ts, .track_uuid = thr,
					     .name = i % 2 ? "odd" : "even", .categories = "a,b",
					     .args = args, .nargs = 4 };
		ASSERT_EQ(pftrace__event(w, &ev), 0);
		ev = (struct pftrace_event){ .type = PFTRACE_SLICE_END, .ts = ts + 500, .track_uuid = thr };
		ASSERT_EQ(pftrace__event(w, &ev), 0);
		ev = (struct pftrace_event){ .type = PFTRACE_COUNTER, .ts = ts + 500, .track_uuid = ctr,
					     .value = i };
		ASSERT_EQ(pftrace__event(w, &ev), 0);
	}
}

TEST(pftrace_plain_sequence_and_interning)
{
	int fd = memfd_create("t", 0);
	struct pftrace *w = pftrace__new(fd, NULL);
	struct names *nm = calloc(1, sizeof(*nm));
	struct pftrace_stats st;
	struct decoded d;
	size_t i, begins = 0, names = 0;

	ASSERT(w && nm);
	write_sample(w, 1000000, 50);
	ASSERT_EQ(pftrace__finish(w), 0);
	pftrace__stats(w, &st);
	ASSERT_U64_EQ(st.packets, 1 + 3 + 150);	/* the clock snapshot first */
	ASSERT_U64_EQ(st.events, 150);
	ASSERT_U64_EQ(st.bytes, st.raw_bytes);
	ASSERT_U64_EQ(st.bytes, (uint64_t)lseek(fd, 0, SEEK_END));
	decode_fd(fd, &d);
	ASSERT_EQ(d.n, 154);
	ASSERT_EQ(d.wrappers, 0);
	check_sequence(&d, nm);
	ASSERT(PAYLOAD(d.pk[0], CLOCK_SNAPSHOT, clock_snapshot));
	ASSERT_EQ(PAYLOAD(d.pk[1], TRACK_DESCRIPTOR, track_descriptor)->process->pid, 100);
	ASSERT_STR_EQ(PAYLOAD(d.pk[1], TRACK_DESCRIPTOR, track_descriptor)->process->process_name, "demo");
	ASSERT_EQ(PAYLOAD(d.pk[2], TRACK_DESCRIPTOR, track_descriptor)->thread->tid, 101);
	ASSERT_STR_EQ(PAYLOAD(d.pk[3], TRACK_DESCRIPTOR, track_descriptor)->counter->unit_name, "items");
	for (i = 0; i < d.n; i++) {
		Perfetto__Protos__TrackEvent *te = PAYLOAD(d.pk[i], TRACK_EVENT, track_event);

		if (!te || te->type != PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_BEGIN)
			continue;
		begins++;
		ASSERT_EQ(te->n_category_iids, 2);
		ASSERT_STR_EQ(lookup(nm, PFTRACE_CATEGORY, te->category_iids[1]), "b");
		ASSERT_STR_EQ(lookup(nm, PFTRACE_STRING_VALUE,
				     te->debug_annotations[1]->string_value_iid), "socket");
		ASSERT_EQ(te->debug_annotations[0]->int_value, -3);
		ASSERT_NEAR(te->debug_annotations[3]->double_value, 1.5, 1e-9);
	}
	ASSERT_EQ(begins, 50);
	for (i = 1; i < MAX_IID; i++)	/* "odd"/"even" interned once each */
		names += nm->s[PFTRACE_EVENT_NAME][i] != NULL;
	ASSERT_EQ(names, 2);
	free_decoded(&d);
	pftrace__free(w);
	close(fd);
	free_names(nm);
}

TEST(pftrace_varint_framing_of_large_packets)
{
	int fd = memfd_create("t", 0);
	struct pftrace_opts o = { .buf_size = 4096 };	/* smaller than the packet */
	struct pftrace *w = pftrace__new(fd, &o);
	size_t lens[] = { 1, 100, 200, 20000, 300000 }, i;
	struct pftrace_event ev = { .type = PFTRACE_INSTANT, .track_uuid = 7 };
	struct decoded d;
	char *name = malloc(300001);

	ASSERT(w && name);
	for (i = 0; i < 5; i++) {
		memset(name, 'a' + (int)i, lens[i]);
		name[lens[i]] = 0;
		ev.ts = 10 + i;
		ev.name = name;
		ASSERT_EQ(pftrace__event(w, &ev), 0);
	}
	ASSERT_EQ(pftrace__finish(w), 0);
	decode_fd(fd, &d);
	ASSERT_EQ(d.n, 1 + 5);	/* the clock snapshot first */
	for (i = 0; i < 5; i++) {
		Perfetto__Protos__InternedData *id = d.pk[1 + i]->interned_data;

		ASSERT(id && id->n_event_names == 1);
		ASSERT_EQ(strlen(id->event_names[0]->name), lens[i]);
		ASSERT_EQ(d.pk[1 + i]->timestamp, 10 + i);
	}
	free_decoded(&d);
	pftrace__free(w);
	free(name);
	close(fd);
}

/*
 * Timestamps are deltas on the sequence's incremental clock, written absolute
 * (BOOTTIME) when they go back; events on the default track omit it. What
 * trace_processor resolves must be exactly what was written.
 */
TEST(pftrace_delta_clock_and_default_track)
{
	enum { N = 300 };
	int fd = memfd_create("t", 0);
	struct pftrace *w = pftrace__new(fd, NULL);
	uint64_t want_ts[2 * N], want_track[2 * N], ts = 5000000000ull;
	size_t n = 0, i, k = 0, omitted = 0, absolute = 0, on_default = 0;
	struct pftrace_stats st;
	struct decoded d;

	ASSERT(w);
	pftrace__set_default_track(w, 7);
	for (i = 0; i < N; i++, ts += 1234) {
		struct pftrace_event ev = { .type = PFTRACE_INSTANT, .ts = ts, .track_uuid = 7,
					    .name = "tick" };

		if (i == N / 2)
			pftrace__set_default_track(w, 8);
		if (i % 50 == 49) {	/* back in time, on another track */
			ev.ts = ts - 5000;
			ev.track_uuid = 9;
		} else if (i % 3 == 0) {
			ev.track_uuid = 8;
		}
		ASSERT_EQ(pftrace__event(w, &ev), 0);
		on_default += ev.track_uuid == (i < N / 2 ? 7u : 8u);
		want_ts[n] = ev.ts;
		want_track[n++] = ev.track_uuid;
	}
	ASSERT_EQ(pftrace__finish(w), 0);
	pftrace__stats(w, &st);
	decode_fd(fd, &d);
	for (i = 0; i < d.n; i++) {
		Perfetto__Protos__TrackEvent *te = PAYLOAD(d.pk[i], TRACK_EVENT, track_event);

		if (!te)
			continue;
		ASSERT(k < n);
		ASSERT_U64_EQ(d.pk[i]->timestamp, want_ts[k]);
		ASSERT_U64_EQ(te->track_uuid, want_track[k]);
		k++;
	}
	ASSERT_EQ(k, n);
	/* decode again without resolving: what the writer actually left out */
	free_decoded(&d);
	decode_fd_raw(fd, &d);
	for (i = 0; i < d.n; i++) {
		Perfetto__Protos__TrackEvent *te = PAYLOAD(d.pk[i], TRACK_EVENT, track_event);

		omitted += te && !te->has_track_uuid;
		absolute += te && d.pk[i]->has_timestamp_clock_id;
	}
	ASSERT_EQ(absolute, N / 50);
	ASSERT_EQ(omitted, on_default);
	/* 2-3 byte deltas, no uuid: a bare instant in about a dozen bytes */
	ASSERT(st.raw_bytes / st.events <= 16);
	free_decoded(&d);
	pftrace__free(w);
	close(fd);
}

TEST(pftrace_compressed_wrappers)
{
	int fd = memfd_create("t", 0);
	struct pftrace_opts o = { .compress = true, .chunk_size = 64 << 10 };
	struct pftrace *w = pftrace__new(fd, &o);
	struct names *nm = calloc(1, sizeof(*nm));
	struct pftrace_stats st;
	struct decoded d;

	ASSERT(w && nm);
	write_sample(w, 5000000, 20000);
	ASSERT_EQ(pftrace__finish(w), 0);
	pftrace__stats(w, &st);
	ASSERT_U64_EQ(st.events, 60000);
	ASSERT(st.wrappers > 10);
	ASSERT(st.bytes * 4 < st.raw_bytes);	/* repetitive events compress well */
	decode_fd(fd, &d);
	ASSERT_U64_EQ(d.wrappers, st.wrappers);
	ASSERT_U64_EQ(d.n, st.packets);
	check_sequence(&d, nm);
	free_decoded(&d);
	pftrace__free(w);
	close(fd);
	free_names(nm);
}

TEST(pftrace_enospc_is_sticky)
{
	int fd = open("/dev/full", O_WRONLY);
	struct pftrace *w;
	struct pftrace_event ev = { .type = PFTRACE_INSTANT, .ts = 1, .track_uuid = 7, .name = "x" };

	ASSERT(fd >= 0);
	w = pftrace__new(fd, NULL);
	ASSERT(w);
	ASSERT_EQ(pftrace__event(w, &ev), 0);	/* buffered */
	ASSERT_EQ(pftrace__flush(w), -ENOSPC);
	ASSERT_EQ(pftrace__event(w, &ev), -ENOSPC);
	ASSERT_EQ(pftrace__intern(w, PFTRACE_EVENT_NAME, "new"), 0);
	ASSERT_EQ(pftrace__err(w), -ENOSPC);
	ASSERT_EQ(pftrace__finish(w), -ENOSPC);
	pftrace__free(w);
	close(fd);
}

/* A write that fails part way (file size limit) leaves a whole-packet file. */
TEST(pftrace_failed_write_truncates_to_packet_boundary)
{
	struct rlimit rl;
	char path[] = "/tmp/ls-pftrace-XXXXXX";
	int fd = mkstemp(path);
	struct pftrace_opts o = { .buf_size = 30000 };
	struct pftrace *w;
	struct names *nm = calloc(1, sizeof(*nm));
	struct pftrace_stats st;
	struct decoded d;
	int err = 0, i;

	ASSERT(fd >= 0 && nm);
	unlink(path);
	signal(SIGXFSZ, SIG_IGN);	/* get EFBIG instead of being killed */
	ASSERT(getrlimit(RLIMIT_FSIZE, &rl) == 0);
	rl.rlim_cur = 100000;	/* this forked test only */
	ASSERT(setrlimit(RLIMIT_FSIZE, &rl) == 0);
	w = pftrace__new(fd, &o);
	ASSERT(w);
	for (i = 0; i < 100000 && !err; i++) {
		struct pftrace_event ev = { .type = PFTRACE_INSTANT, .ts = 1 + (uint64_t)i,
					    .track_uuid = 7, .name = i % 3 ? "tick" : "tock" };
		err = pftrace__event(w, &ev);
	}
	ASSERT_EQ(err, -EFBIG);
	ASSERT_EQ(pftrace__finish(w), -EFBIG);
	pftrace__stats(w, &st);
	ASSERT(st.bytes > 0 && st.bytes <= 100000);
	ASSERT_U64_EQ((uint64_t)lseek(fd, 0, SEEK_END), st.bytes);
	decode_fd(fd, &d);	/* decodes to the end: no partial packet */
	check_sequence(&d, nm);
	free_decoded(&d);
	pftrace__free(w);
	close(fd);
	free_names(nm);
}

TEST(pftrace_track_uuids_are_stable)
{
	uint64_t a = pftrace__track_uuid(PFTRACE_UUID_THREAD, 1, 2);

	ASSERT_U64_EQ(a, pftrace__track_uuid(PFTRACE_UUID_THREAD, 1, 2));
	ASSERT(a != pftrace__track_uuid(PFTRACE_UUID_THREAD, 2, 1));
	ASSERT(a != pftrace__track_uuid(PFTRACE_UUID_PROCESS, 1, 2));
	ASSERT(pftrace__track_uuid(PFTRACE_UUID_PROCESS, 0, 0) != 0);
}
