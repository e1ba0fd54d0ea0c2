// SPDX-License-Identifier: BSD-2-Clause
/*
 * bench/zbench: the Perfetto export's compression on its own. Reads a plain
 * packet stream (bench/pftrace-packets.py) and compresses it the way
 * viewer-export/pftrace.c cuts it: chunks of whole packets, the first 4 KiB,
 * each next one twice as large up to the chunk size, each chunk one zlib
 * stream (zlib or libdeflate, both the zlib format). PASSES passes over all
 * methods in turn (so a noisy stretch hits every method), each method run
 * until it has used MIN_MS of CPU; prints per pass and method:
 *   zbench METHOD LEVEL CHUNK_KIB NS_PER_RECORD MB_PER_S OUT_BYTES IN_BYTES
 * USAGE: zbench STREAM RECORDS [PASSES=3] [MIN_MS=300]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libdeflate.h>
#include <zlib.h>

#define FIRST_CHUNK	(4u << 10)

struct method {
	const char *name;	/* "zlib" or "libdeflate" */
	int level;
	size_t chunk;
};

static const struct method methods[] = {
	{ "zlib", 1, 256u << 10 },
	{ "zlib", 5, 256u << 10 },	/* the export's setting before libdeflate */
	{ "zlib", 6, 256u << 10 },
	{ "zlib", 5, 64u << 10 },
	{ "zlib", 5, 128u << 10 },
	{ "zlib", 5, 448u << 10 },
	{ "libdeflate", 1, 256u << 10 },
	{ "libdeflate", 4, 256u << 10 },
	{ "libdeflate", 5, 256u << 10 },
	{ "libdeflate", 6, 256u << 10 },
	{ "libdeflate", 6, 64u << 10 },
	{ "libdeflate", 6, 448u << 10 },
};

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The length of the framed packet at p (0x0A, varint length, payload). */
static size_t packet_len(const uint8_t *p, size_t left)
{
	size_t n = 0, i = 1;
	int shift = 0;

	while (i < left && shift < 35) {
		n |= (size_t)(p[i] & 0x7f) << shift;
		shift += 7;
		if (!(p[i++] & 0x80))
			return i + n <= left ? i + n : left;
	}
	return left;
}

/* One pass over the stream; returns the compressed bytes, 0 on failure. */
static size_t compress_all(const struct method *m, const uint8_t *in, size_t len,
			   uint8_t *out, size_t cap, z_stream *zs, struct libdeflate_compressor *ld)
{
	size_t off = 0, total = 0, limit = FIRST_CHUNK, start, n;

	while (off < len) {
		start = off;
		while (off < len) {
			n = packet_len(in + off, len - off);
			if (off > start && off - start + n > limit)
				break;
			off += n;
		}
		if (ld) {
			n = libdeflate_zlib_compress(ld, in + start, off - start, out, cap);
			if (!n)
				return 0;
		} else {
			if (deflateReset(zs) != Z_OK)
				return 0;
			zs->next_in = (uint8_t *)in + start;
			zs->avail_in = (uInt)(off - start);
			zs->next_out = out;
			zs->avail_out = (uInt)cap;
			if (deflate(zs, Z_FINISH) != Z_STREAM_END)
				return 0;
			n = cap - zs->avail_out;
		}
		total += n;
		limit = limit * 2 < m->chunk ? limit * 2 : m->chunk;
	}
	return total;
}

static int run(const struct method *m, const uint8_t *in, size_t len, double records, double min_s)
{
	struct libdeflate_compressor *ld = NULL;
	z_stream zs = { 0 };
	size_t cap, outb = 0;
	double t0, t;
	uint8_t *out;
	int reps = 0;

	if (!strcmp(m->name, "libdeflate")) {
		ld = libdeflate_alloc_compressor(m->level);
		if (!ld)
			return -ENOMEM;
		cap = libdeflate_zlib_compress_bound(ld, len);
	} else {
		if (deflateInit(&zs, m->level) != Z_OK)
			return -ENOMEM;
		cap = deflateBound(&zs, len);
	}
	out = malloc(cap);
	t0 = cpu_now();
	do {
		outb = out ? compress_all(m, in, len, out, cap, &zs, ld) : 0;
		reps++;
		t = cpu_now() - t0;
	} while (outb && t < min_s);
	if (outb)
		printf("zbench\t%s\t%d\t%zu\t%.1f\t%.1f\t%zu\t%zu\n", m->name, m->level, m->chunk >> 10,
		       1e9 * t / reps / records, len * (double)reps / t / 1e6, outb, len);
	free(out);
	if (ld)
		libdeflate_free_compressor(ld);
	else
		deflateEnd(&zs);
	return outb ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	int passes = argc > 3 ? atoi(argv[3]) : 3, p;
	double records, min_s = (argc > 4 ? atoi(argv[4]) : 300) / 1e3;
	size_t len = 0, cap = 1 << 20, i, n;
	uint8_t *in = malloc(cap), *t;
	FILE *f;

	if (argc < 3 || argc > 5 || (records = atof(argv[2])) <= 0 || passes <= 0) {
		fprintf(stderr, "usage: zbench STREAM RECORDS [PASSES] [MIN_MS]\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f || !in) {
		fprintf(stderr, "zbench: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	while ((n = fread(in + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			t = realloc(in, cap *= 2);
			if (!t)
				return 1;
			in = t;
		}
	}
	fclose(f);
	for (p = 0; p < passes; p++)
		for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
			if (run(&methods[(i + p) % (sizeof(methods) / sizeof(methods[0]))], in, len, records, min_s)) {
				fprintf(stderr, "zbench: compression failed\n");
				return 1;
			}
	free(in);
	return 0;
}
