/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary_read: a summary written by summary_json__write reads back into
 * the same histograms and fields, writes again byte for byte the same, and
 * damaged documents fail with a message naming the member.
 */
#include <errno.h>
#include "../harness.h"
#include "collector/cause.h"
#include "collector/summary_read.h"
#include "viewer-export/report_text.h"
#include "viewer-export/summary_json.h"

#define MS 1000000ull

static struct ls_sys_stats rd_stats;
static struct ls_loop_summary rloop;
static struct ls_loop_summary *rloops[] = { &rloop };

static void build(struct ls_summary *s)
{
	uint64_t v;
	int i;

	memset(&rloop, 0, sizeof(rloop));
	memset(&rd_stats, 0, sizeof(rd_stats));
	rloop.pid = 42, rloop.tid = 43;
	memcpy(rloop.comm, "srv", 4);
	ls_hist_init(&rloop.busy);
	ls_hist_init(&rloop.poll);
	ls_hist_init(&rd_stats.dur);
	for (i = 0, v = 1; i < 5000; i++, v = v * 7 % 100000007) {
		ls_hist_add(&rloop.busy, v);
		ls_hist_add(&rloop.poll, v / 3);
		ls_hist_add(&rd_stats.dur, i);
	}
	rloop.iterations = 5000, rloop.stalls = 2, rloop.stall_total_ns = 140 * MS;
	rloop.busy_total_ns = rloop.busy.sum, rloop.poll_total_ns = rloop.poll.sum;
	rd_stats.count = 5000, rd_stats.errors = 3, rd_stats.total_ns = rd_stats.dur.sum;
	rd_stats.by_fd_kind[LS_FD_SOCKET] = 4999, rd_stats.by_fd_kind[LS_FD_FILE] = 1;
	rloop.sys[LS_SYS_READ] = &rd_stats;
	rloop.nstalls_kept = 2;
	rloop.top_stalls[0] = (struct ls_stall){ 9, 77 * MS, 80 * MS, 3, 1 };
	rloop.top_stalls[1] = (struct ls_stall){ 4, 12 * MS, 60 * MS, 1, 0 };
	rloop.nfile_fds = 1, rloop.file_io_calls = 1, rloop.file_io_ns = 2 * MS;
	rloop.file_io[0] = (struct ls_file_io){ .fd = 7, .count = 1, .total_ns = 2 * MS,
						.max_ns = 2 * MS, .sys_mask = 1u << LS_SYS_READ,
						.user_stack = -1, .stack_call_ns = 2 * MS,
						.stack_nframes = 30, .nframes = 2,
						.frames = { "read", "readFileSync node:fs:1" } };
	*s = (struct ls_summary){ .stall_threshold_ns = 50 * MS, .records = 10000,
				  .bad_records = 1, .threads = 2, .other_calls = 5, .nloops = 1,
				  .loops = rloops };
}

static char *to_json(const struct ls_summary *s, const struct summary_json_meta *m, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	ASSERT(f);
	ASSERT_EQ(summary_json__write(f, s, m), 0);
	fclose(f);
	return buf;
}

static const struct summary_json_meta meta = {
	.pid = 42, .command = "srv -x", .duration_ns = 3 * 1000 * MS, .trace_path = "t.pftrace",
	.version = "9.9", .drops = { .rb_drops = 1, .inflight_full = 2, .missed_exit = 3 },
};

/* What was read writes the same document again; frees both. */
static void rewrites_same(struct summary_file *f, char *doc)
{
	struct summary_json_meta m2 = meta;
	size_t len2;
	char *doc2;

	m2.command = f->command;
	m2.trace_path = f->trace;
	doc2 = to_json(&f->s, &m2, &len2);
	ASSERT_STR_EQ(doc2, doc);
	free(doc);
	free(doc2);
	summary_file_free(f);
}

TEST(summary_read_round_trip)
{
	struct summary_error err;
	struct summary_file *f;
	const struct ls_loop_summary *l;
	struct ls_summary s;
	size_t len;
	char *doc;

	build(&s);
	doc = to_json(&s, &meta, &len);
	if (summary_read_buf(doc, len, &f, &err))
		LS_FAIL("read back: %s", err.msg);
	ASSERT_STR_EQ(f->version, "9.9");
	ASSERT_STR_EQ(f->command, "srv -x");
	ASSERT_STR_EQ(f->trace, "t.pftrace");
	ASSERT_NEAR(f->duration_s, 3.0, 1e-9);
	ASSERT_EQ(summary_file_drops(f), 7);
	ASSERT_EQ(f->s.nloops, 1);
	l = f->s.loops[0];
	ASSERT_STR_EQ(l->comm, "srv");
	ASSERT(!memcmp(&l->busy, &rloop.busy, sizeof(l->busy)));
	ASSERT(!memcmp(&l->poll, &rloop.poll, sizeof(l->poll)));
	ASSERT(l->sys[LS_SYS_READ]);
	ASSERT(!l->sys[LS_SYS_WRITE]);
	ASSERT(!memcmp(l->sys[LS_SYS_READ], &rd_stats, sizeof(rd_stats)));
	ASSERT_EQ(l->nstalls_kept, 2);
	ASSERT(!memcmp(l->top_stalls, rloop.top_stalls, 2 * sizeof(struct ls_stall)));
	ASSERT_U64_EQ(l->stall_total_ns, 140 * MS);
	ASSERT(!l->stall_total_partial);
	ASSERT(!memcmp(l->file_io, rloop.file_io, sizeof(struct ls_file_io)));
	/* what we read writes the same document again */
	rewrites_same(f, doc);
}

/* Files before "stall_ns": the listed stalls' sum, and said to be partial when some are not listed. */
TEST(summary_read_stall_total_of_older_files)
{
	struct summary_error err;
	struct summary_file *f;
	struct ls_summary s;
	const char *from = "\"stall_ns\":140000000,";
	char *doc, *p;
	size_t len;
	int stalls;

	for (stalls = 2; stalls <= 3; stalls++) {
		build(&s);
		rloop.stalls = (uint64_t)stalls;
		doc = to_json(&s, &meta, &len);
		ASSERT((p = strstr(doc, from)) != NULL);
		memmove(p, p + strlen(from), strlen(p + strlen(from)) + 1);
		if (summary_read_buf(doc, strlen(doc), &f, &err))
			LS_FAIL("read back: %s", err.msg);
		ASSERT_U64_EQ(f->s.loops[0]->stall_total_ns, 140 * MS);	/* 80 + 60 ms listed */
		ASSERT_EQ(f->s.loops[0]->stall_total_partial, stalls == 3);
		summary_file_free(f);
		free(doc);
	}
	rloop.stalls = 2;
}

/* The entry of merged exited loop threads keeps its count through JSON. */
TEST(summary_read_merged_loops)
{
	struct summary_error err;
	struct summary_file *f;
	struct ls_summary s;
	size_t len;
	char *doc;

	build(&s);
	rloop.tid = 0;
	rloop.merged = 68;
	doc = to_json(&s, &meta, &len);
	ASSERT(strstr(doc, "\"merged_threads\":68"));
	if (summary_read_buf(doc, len, &f, &err))
		LS_FAIL("read back: %s", err.msg);
	ASSERT_EQ(f->s.loops[0]->tid, 0);
	ASSERT_EQ(f->s.loops[0]->merged, 68);
	rewrites_same(f, doc);
	build(&s);	/* one thread again: no merged_threads written */
	doc = to_json(&s, &meta, &len);
	ASSERT(!strstr(doc, "merged_threads"));
	free(doc);
}

/* Replaces the first occurrence of from by to in doc, then expects rc and msg. */
static void damaged(const char *from, const char *to, int rc, const char *msg)
{
	struct summary_error err;
	struct summary_file *f;
	struct ls_summary s;
	char *doc, *p, *bad;
	size_t len;

	build(&s);
	doc = to_json(&s, &meta, &len);
	p = strstr(doc, from);
	if (!p)
		LS_FAIL("'%s' not in the document", from);
	bad = calloc(1, len + strlen(to) + 1);
	memcpy(bad, doc, (size_t)(p - doc));
	strcat(bad, to);
	strcat(bad, p + strlen(from));
	if (summary_read_buf(bad, strlen(bad), &f, &err) != rc || !strstr(err.msg, msg))
		LS_FAIL("'%s' -> '%s': msg '%s', expected rc %d with '%s'", from, to, err.msg, rc,
			msg);
	ASSERT(!f);
	free(bad);
	free(doc);
}

TEST(summary_read_rejects_damage)
{
	damaged("\"schema_version\":1", "\"schema_version\":2", -EINVAL,
		"schema_version: unsupported number 2");
	damaged("\"schema_version\":1,", "", -EINVAL, "schema_version: missing");
	damaged("\"exact_below\":128", "\"exact_below\":256", -EINVAL, "hist_scheme: not this");
	damaged("\"iterations\":5000", "\"iterations\":-1", -EINVAL,
		"loops[0]: \"iterations\" must be a non-negative integer");
	damaged("\"hist\":{\"count\":5000", "\"hist\":{\"count\":5001", -EINVAL,
		"loops[0].busy.hist: bucket counts add up to 5000");
	damaged("\"buckets\":[[", "\"buckets\":[[9999,1],[", -EINVAL,
		"loops[0].busy.hist.buckets[0]: bucket index 9999");
	damaged("\"min_ns\":1,", "\"min_ns\":0,", -EINVAL, "min_ns/max_ns");
	damaged("\"fd_kinds\":{", "\"fd_kinds\":{\"pipe\":\"x\",", -EINVAL,
		"loops[0].syscalls.read: fd_kinds.pipe");
	damaged("\"loops\":[", "\"loops\":[7,", -EINVAL, "loops[0]: expected an object");
	damaged("\"comm\":\"srv\"", "\"comm\":3", -EINVAL, "\"comm\" is a number, expected string");
	damaged("\"tid\":43", "\"tid\":4294967339", -EINVAL,
		"loops[0]: \"tid\" is out of range (4294967339)");
	damaged("\"pid\":42,\"command\"", "\"pid\":4294967338,\"command\"", -EINVAL,
		"target: \"pid\" is out of range");
	damaged("\"other_threads_calls\":5,", "\"other_threads_calls\":5", -EINVAL,
		"expected ',' or '}'");
	/* check compares labels whole: one longer than record allows is refused, never cut */
	damaged("\"schema_version\":1,", "\"schema_version\":1,\"label\":"
		"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaX\",", -EINVAL,
		"\"label\" is longer than 64 bytes");
}

TEST(summary_read_ignores_additions)
{
	struct summary_error err;
	struct summary_file *f;
	const char *doc = "{\"schema_version\":1,\"version\":\"x\",\"future\":[1,{}],"
		"\"target\":{\"pid\":1,\"command\":null},\"duration_s\":1,\"stall_threshold_ms\":50,"
		"\"trace\":null,\"drops\":{\"ring_buffer\":0,\"inflight_full\":0,\"missed_exit\":0,"
		"\"bad_records\":0},\"records\":0,\"threads\":0,\"other_threads_calls\":0,"
		"\"hist_scheme\":{\"exact_below\":128,\"sub_buckets\":64,\"buckets\":2752},"
		"\"loops\":[]}";

	if (summary_read_buf(doc, strlen(doc), &f, &err))
		LS_FAIL("%s", err.msg);
	ASSERT(!f->command);
	ASSERT(!f->trace);
	ASSERT_EQ(f->s.nloops, 0);
	summary_file_free(f);
}

TEST(summary_read_file_errors)
{
	struct summary_error err;
	struct summary_file *f;

	ASSERT_EQ(summary_read_file("/nonexistent/x.json", &f, &err), -ENOENT);
	ASSERT(strstr(err.msg, "No such file"));
	ASSERT_EQ(summary_read_file("/", &f, &err), -EISDIR);
	ASSERT_EQ(summary_read_file("/dev/null", &f, &err), -EINVAL);
	ASSERT(strstr(err.msg, "byte 0: empty input"));
}

/* A loop's stall_causes read back, and `report` printing them as a section. */
TEST(summary_read_stall_causes_and_report)
{
	static const char group[] = "\"stall_causes\":[{\"frames\":[\"busy_spin\",\"handle_block\","
		"\"loop_run\"],\"offcpu\":false,\"count\":25,\"min_ms\":80.100,\"max_ms\":80.200,"
		"\"total_ms\":2003.000,\"share\":0.9500,\"cause_share\":1.0000,\"samples\":225,"
		"\"stall_samples\":225},";
	struct report_text_opts o = { .name = "r.json" };
	struct summary_error err;
	struct summary_file *f;
	struct ls_summary s;
	char *doc, *in, *at, *out = NULL;
	size_t len, olen;
	FILE *mf;

	build(&s);
	doc = to_json(&s, &meta, &len);
	at = strstr(doc, "\"stall_causes\":[");
	ASSERT(at && (in = calloc(1, len + sizeof(group))));
	memcpy(in, doc, (size_t)(at - doc));
	strcat(in, group);
	strcat(in, at + strlen("\"stall_causes\":["));
	if (summary_read_buf(in, strlen(in), &f, &err))
		LS_FAIL("read back: %s", err.msg);
	ASSERT_EQ(f->s.loops[0]->ncauses, 2);
	ASSERT_EQ(f->s.loops[0]->causes[0].count, 25);
	ASSERT_STR_EQ(f->s.loops[0]->causes[0].cause.frames[2], "loop_run");
	ASSERT_U64_EQ(f->s.loops[0]->causes[0].max_ns, 80200000);
	ASSERT(mf = open_memstream(&out, &olen));
	report_text__write(mf, f, &o);
	fclose(mf);
	ASSERT(strstr(out, "STALL CAUSES of the 2 stalls kept, by total busy time\n"));
	ASSERT(strstr(out, "  1        25    80.1 ms    80.2 ms  2003.0 ms   95.0%\n"
			   "      busy_spin (225/225 samples, 100%)\n"
			   "        <- handle_block\n        <- loop_run\n"));
	ASSERT(strstr(out, "no single function holds most of it"));	/* the stalls without stacks */
	summary_file_free(f);
	free(out);
	free(in);
	free(doc);
}

TEST(summary_read_stall_causes_damaged)
{
	struct summary_error err;
	struct summary_file *f;
	struct ls_summary s;
	size_t len;
	char *doc, *at;

	build(&s);
	doc = to_json(&s, &meta, &len);
	at = strstr(doc, "\"stall_causes\"");
	ASSERT(at && (at = strstr(at, "\"share\":0")));
	memcpy(at, "\"share\":2", 9);
	ASSERT_EQ(summary_read_buf(doc, len, &f, &err), -EINVAL);
	ASSERT(strstr(err.msg, "loops[0].stall_causes[0]"));
	free(doc);
}

/* libuv's phases and thread pool come back for `report`, histogram for histogram. */
TEST(summary_read_phases_and_pool)
{
	static struct ls_phase_stats timers;
	static struct ls_work_stats fs;
	static struct ls_work_named pbkdf2 = { .name = "DeriveBitsJob<PBKDF2Traits>", .kind = LS_WORK_WORK };
	struct summary_error err;
	struct summary_file *f;
	struct ls_summary s;
	size_t len;
	char *doc;
	uint64_t v;

	build(&s);
	ls_hist_init(&timers.dur);
	ls_hist_init(&fs.queue), ls_hist_init(&fs.run), ls_hist_init(&fs.done);
	for (v = 1000; v < 200000; v += 1000) {
		ls_hist_add(&timers.dur, v);
		ls_hist_add(&fs.queue, v * 3);
		ls_hist_add(&fs.run, v * 7);
	}
	timers.total_ns = timers.dur.sum;
	fs.count = 199, fs.incomplete = 2, fs.sync = 5, fs.sync_ns = 4 * MS;
	rloop.phases[LS_PHASE_TIMERS] = &timers;
	s.pool.kinds[LS_WORK_FS] = &fs;
	s.pool.nworkers = 4, s.pool.max_queued = 9, s.pool.max_running = 4;
	pbkdf2.st = fs;
	pbkdf2.st.count = 8;
	s.pool.named[0] = &pbkdf2, s.pool.nnamed = 1, s.pool.named_full = 3;
	doc = to_json(&s, &meta, &len);
	rloop.phases[LS_PHASE_TIMERS] = NULL;
	if (summary_read_buf(doc, len, &f, &err))
		LS_FAIL("read back: %s", err.msg);
	ASSERT(f->s.loops[0]->phases[LS_PHASE_TIMERS]);
	ASSERT(!f->s.loops[0]->phases[LS_PHASE_CHECK]);
	ASSERT(!memcmp(&f->s.loops[0]->phases[LS_PHASE_TIMERS]->dur, &timers.dur, sizeof(timers.dur)));
	ASSERT(f->s.pool.kinds[LS_WORK_FS]);
	ASSERT(!f->s.pool.kinds[LS_WORK_WORK]);
	ASSERT_EQ(f->s.pool.kinds[LS_WORK_FS]->count, 199);
	ASSERT_EQ(f->s.pool.kinds[LS_WORK_FS]->incomplete, 2);
	ASSERT_EQ(f->s.pool.kinds[LS_WORK_FS]->sync, 5);
	ASSERT(!memcmp(&f->s.pool.kinds[LS_WORK_FS]->queue, &fs.queue, sizeof(fs.queue)));
	ASSERT(!memcmp(&f->s.pool.kinds[LS_WORK_FS]->run, &fs.run, sizeof(fs.run)));
	ASSERT_EQ(f->s.pool.max_queued, 9);
	ASSERT_EQ(f->s.pool.nworkers, 4);
	ASSERT_EQ(f->s.pool.nnamed, 1);
	ASSERT_STR_EQ(f->s.pool.named[0]->name, "DeriveBitsJob<PBKDF2Traits>");
	ASSERT_EQ(f->s.pool.named[0]->kind, LS_WORK_WORK);
	ASSERT_EQ(f->s.pool.named[0]->st.count, 8);
	ASSERT(!memcmp(&f->s.pool.named[0]->st.run, &fs.run, sizeof(fs.run)));
	ASSERT_U64_EQ(f->s.pool.named_full, 3);
	free(doc);
	summary_file_free(f);
}
