/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary_json: a hand-built summary is written, parsed back by a strict
 * little JSON checker (RFC 8259 grammar, UTF-8 not re-validated) and
 * searched for its fields.
 */
#include <ctype.h>
#include <errno.h>
#include "../harness.h"
#include "viewer-export/summary_json.h"

#define MS 1000000ull

/* ---- a strict JSON syntax checker: returns the end of the value or NULL ---- */

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *json_value(const char *p, int depth);

static const char *json_string(const char *p)
{
	int i;

	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;	/* raw control characters (and NUL) are invalid */
		if (*p++ != '\\')
			continue;
		if (*p == 'u') {
			for (i = 1; i <= 4; i++)
				if (!isxdigit((unsigned char)p[i]))
					return NULL;
			p += 5;
		} else if (strchr("\"\\/bfnrt", *p) && *p) {
			p++;
		} else {
			return NULL;
		}
	}
	return p + 1;
}

static const char *json_number(const char *p)
{
	const char *s;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (isdigit((unsigned char)*p))
			p++;
	else
		return NULL;
	if (*p == '.') {
		s = ++p;
		while (isdigit((unsigned char)*p))
			p++;
		if (p == s)
			return NULL;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		s = p;
		while (isdigit((unsigned char)*p))
			p++;
		if (p == s)
			return NULL;
	}
	return p;
}

/* Object members or array elements up to the closing bracket. */
static const char *json_items(const char *p, char close, int depth)
{
	p = ws(p);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			p = json_string(ws(p));
			if (!p || *(p = ws(p)) != ':')
				return NULL;
			p++;
		}
		p = json_value(p, depth + 1);
		if (!p)
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *p, int depth)
{
	p = ws(p);
	if (depth > 64)
		return NULL;
	switch (*p) {
	case '{':
		return json_items(p + 1, '}', depth);
	case '[':
		return json_items(p + 1, ']', depth);
	case '"':
		return json_string(p);
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	default:
		return json_number(p);
	}
}

static bool json_valid(const char *doc)
{
	const char *end = json_value(doc, 0);

	return end && !*ws(end);
}

/* ---- the summary under test ---- */

static struct ls_sys_stats read_stats;
static struct ls_loop_summary loop;
static struct ls_loop_summary *loops[] = { &loop };

static void build(struct ls_summary *s)
{
	int i;

	memset(&loop, 0, sizeof(loop));
	memset(&read_stats, 0, sizeof(read_stats));
	loop.pid = 42, loop.tid = 43;
	memcpy(loop.comm, "we\"ird\\\n\x01\xff", 11);	/* quote, backslash, controls, bad UTF-8 */
	loop.iterations = 100, loop.stalls = 1;
	ls_hist_init(&loop.busy);
	ls_hist_init(&loop.poll);
	for (i = 0; i < 99; i++)
		ls_hist_add(&loop.busy, 1 * MS);
	ls_hist_add(&loop.busy, 80 * MS);
	loop.busy_total_ns = 179 * MS;
	ls_hist_add(&loop.poll, 5 * MS);
	loop.poll_total_ns = 5 * MS;
	ls_hist_init(&read_stats.dur);
	ls_hist_add(&read_stats.dur, 10000);
	ls_hist_add(&read_stats.dur, 79 * MS);
	read_stats.count = 2, read_stats.errors = 1, read_stats.total_ns = 79 * MS + 10000;
	read_stats.by_fd_kind[LS_FD_FILE] = 1, read_stats.by_fd_kind[LS_FD_SOCKET] = 1;
	loop.sys[LS_SYS_READ] = &read_stats;
	loop.nstalls_kept = 1;
	loop.top_stalls[0] = (struct ls_stall){ .seq = 7, .start = 5000 * MS, .busy_ns = 80 * MS,
						.ncalls = 2, .nfile_io = 1 };
	loop.nfile_fds = 1, loop.file_io_calls = 1, loop.file_io_ns = 79 * MS;
	loop.file_io[0] = (struct ls_file_io){ .fd = 20, .count = 1, .total_ns = 79 * MS,
					       .max_ns = 79 * MS,
					       .sys_mask = 1u << LS_SYS_READ | 1u << LS_SYS_PREAD64 };
	*s = (struct ls_summary){ .first_ts = 1000 * MS, .last_ts = 3000 * MS,
				  .stall_threshold_ns = 50 * MS, .records = 1234, .bad_records = 2,
				  .threads = 3, .other_calls = 17, .nloops = 1, .loops = loops };
}

static char *write_to_string(const struct ls_summary *s, const struct summary_json_meta *m)
{
	FILE *f = tmpfile();
	long len;
	char *buf;

	ASSERT(f);
	ASSERT_EQ(summary_json__write(f, s, m), 0);
	len = ftell(f);
	ASSERT(len > 0);
	buf = calloc(1, (size_t)len + 1);
	ASSERT(buf);
	rewind(f);
	ASSERT_EQ(fread(buf, 1, (size_t)len, f), len);
	fclose(f);
	return buf;
}

#define ASSERT_HAS(doc, needle)                                               \
	do {                                                                  \
		if (!strstr((doc), (needle)))                                 \
			LS_FAIL("missing %s in %s", (needle), (doc));         \
	} while (0)

TEST(summary_json_fields)
{
	struct summary_json_meta m = {
		.pid = 42, .command = "node \"app.js\"", .duration_ns = 2500 * MS,
		.drops = { .rb_drops = 5, .inflight_full = 1, .missed_exit = 0, .bad_records = 0 },
		.trace_path = "/tmp/x.pftrace", .version = "0.1.0",
	};
	struct ls_summary s;
	char *doc;

	build(&s);
	doc = write_to_string(&s, &m);
	if (!json_valid(doc))
		LS_FAIL("invalid JSON: %s", doc);
	ASSERT_HAS(doc, "\"schema_version\":1,\"tool\":\"loopscope\",\"version\":\"0.1.0\"");
	ASSERT_HAS(doc, "\"target\":{\"pid\":42,\"command\":\"node \\\"app.js\\\"\"}");
	ASSERT_HAS(doc, "\"duration_s\":2.500000");
	ASSERT_HAS(doc, "\"stall_threshold_ms\":50.000");
	ASSERT_HAS(doc, "\"trace\":\"/tmp/x.pftrace\"");
	ASSERT_HAS(doc, "\"drops\":{\"ring_buffer\":5,\"inflight_full\":1,\"missed_exit\":0,"
			"\"bad_records\":2}");
	ASSERT_HAS(doc, "\"records\":1234");
	ASSERT_HAS(doc, "\"comm\":\"we\\\"ird\\\\\\u000a\\u0001\\ufffd\"");
	ASSERT_HAS(doc, "\"iterations\":100,\"stalls\":1");
	ASSERT_HAS(doc, "\"busy\":{\"count\":100,\"total_ms\":179.000,\"p50_ms\":1.");
	ASSERT_HAS(doc, "\"max_ms\":80.000,\"hist\":{\"count\":100,\"sum_ns\":179000000,"
			"\"min_ns\":1000000,\"max_ns\":80000000,\"buckets\":[[954,99],[1356,1]]}}");
	ASSERT_HAS(doc, "\"hist_scheme\":{\"name\":\"log-linear\",\"unit\":\"ns\","
			"\"exact_below\":128,\"sub_buckets\":64,\"buckets\":2752,"
			"\"relative_error\":0.015625}");
	ASSERT_HAS(doc, "\"poll_wait\":{\"count\":1,\"total_ms\":5.000");
	ASSERT_HAS(doc, "\"syscalls\":{\"read\":{\"count\":2,\"errors\":1,\"total_ms\":79.010");
	ASSERT_HAS(doc, "\"max_us\":79000.000,\"fd_kinds\":{\"file\":1,\"socket\":1},"
			"\"hist\":{\"count\":2,\"sum_ns\":79010000,\"min_ns\":10000,"
			"\"max_ns\":79000000,\"buckets\":[[526,1],[1355,1]]}}}");
	ASSERT(!strstr(doc, "\"stalls\":["));	/* no duplicate key with the count */
	ASSERT_HAS(doc, "\"stalls_top\":[{\"seq\":7,\"start_ns\":5000000000,\"busy_ms\":80.000,"
			"\"calls\":2,\"file_io\":1,\"offset_s\":4.000000,\"samples\":0,"
			"\"offcpu_ms\":0.000,\"stacks\":[],\"cause\":{\"frames\":[],\"offcpu\":false,");
	/* no stacks: no cause, but the stall still counts in a group (of no frames) */
	ASSERT_HAS(doc, "\"stall_causes\":[{\"frames\":[],\"offcpu\":false,\"count\":1,"
			"\"min_ms\":80.000,\"max_ms\":80.000,\"total_ms\":80.000,\"share\":0.4469,");
	ASSERT_HAS(doc, "\"sync_file_io\":{\"calls\":1,\"total_ms\":79.000,\"fds\":[{\"fd\":20,"
			"\"count\":1,\"total_ms\":79.000,\"max_ms\":79.000,"
			"\"syscalls\":[\"read\",\"pread64\"]}],\"paths\":[{\"path\":null,\"cut\":false,\"fd\":20,"
			"\"count\":1,\"total_ms\":79.000,\"max_ms\":79.000,\"syscalls\":[\"read\",\"pread64\"],\"stack\":null}],"
			"\"perf_map\":{\"calls\":0,\"total_ms\":0.000,\"max_ms\":0.000}}");
	ASSERT_HAS(doc, "\"other_threads_calls\":17,\"threadpool\":{");
	free(doc);
}

TEST(summary_json_empty_and_null_meta)
{
	struct ls_summary s = { .stall_threshold_ns = 50 * MS };
	char *doc = write_to_string(&s, NULL);

	if (!json_valid(doc))
		LS_FAIL("invalid JSON: %s", doc);
	ASSERT_HAS(doc, "\"command\":null");
	ASSERT_HAS(doc, "\"trace\":null");
	ASSERT_HAS(doc, "\"loops\":[]");
	ASSERT_HAS(doc, "\"duration_s\":0.000000");
	free(doc);
}

TEST(summary_json_valid_utf8_passes_through)
{
	struct ls_summary s;
	char *doc;

	build(&s);
	memset(loop.comm, 0, sizeof(loop.comm));
	memcpy(loop.comm, "w\xc3\xa9rker\xe2\x82", 9);	/* é kept; a cut 3-byte sequence is not */
	doc = write_to_string(&s, NULL);
	if (!json_valid(doc))
		LS_FAIL("invalid JSON: %s", doc);
	ASSERT_HAS(doc, "\"comm\":\"w\xc3\xa9rker\\ufffd\\ufffd\"");
	free(doc);
}

TEST(summary_json_checker_rejects_garbage)
{
	ASSERT(json_valid("{\"a\":[1,2.5,-3e2,true,null,{\"b\":\"\\u00e9\"}]}"));
	ASSERT(!json_valid("{\"a\":1,}"));
	ASSERT(!json_valid("{\"a\":\"x\ny\"}"));
	ASSERT(!json_valid("{\"a\":01}"));
	ASSERT(!json_valid("[1] 2"));
}

TEST(summary_json_write_error)
{
	FILE *f = fopen("/dev/full", "w");
	struct ls_summary s;

	ASSERT(f);
	build(&s);
	ASSERT_EQ(summary_json__write(f, &s, NULL), -ENOSPC);
	fclose(f);
}
