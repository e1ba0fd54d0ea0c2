/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The sync-file-I/O finding on synthetic streams: files named by their
 * LS_REC_FD_PATH (only when pid, fd, inode and device all match), the
 * kernel's own files (procfs) and the target's perf map not findings, and
 * what the text summary, the JSON, its reader and `report` make of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../harness.h"
#include "collector/correlator.h"
#include "collector/file_io.h"
#include "collector/record.h"
#include "collector/summary_read.h"
#include "viewer-export/report_text.h"
#include "viewer-export/summary_json.h"
#include "viewer-export/summary_text.h"

#define US 1000ull
#define MS 1000000ull
#define PID 300
#define TID 301
#define INO 4242
#define DEV ((8u << 20) | 1)	/* 8:1, the kernel's encoding */

static struct ls_rec_syscall call(uint32_t sys, uint64_t ts, uint64_t dur, int fd, uint32_t kind,
				  uint64_t ino)
{
	struct ls_rec_syscall r = {
		.type = LS_REC_SYSCALL, .pid = PID, .tid = TID, .ts = ts, .dur = dur, .ret = 4096,
		.arg = 4096, .fd = fd, .sys = sys, .fd_kind = kind,
		.dev = kind == LS_FD_FILE ? DEV : 0, .ino = kind == LS_FD_FILE ? ino : 0,
		.user_stack = -1,
	};
	return r;
}

static void push_call(struct correlator *c, struct ls_rec_syscall r)
{
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
}

static void push_path(struct correlator *c, int fd, uint64_t ino, const char *path)
{
	struct ls_rec_fd_path p = { .type = LS_REC_FD_PATH, .pid = PID, .fd = fd, .dev = DEV,
				    .ino = ino, .len = (uint32_t)strlen(path) };

	memcpy(p.path, path, p.len);
	ASSERT_EQ(correlator__push(c, &p, sizeof(p)), 0);
}

/* One iteration (epoll returns at 0 and at 100 ms) holding what fill() pushes; its loop. */
static const struct ls_loop_summary *one_iteration(struct correlator *c,
						   void (*fill)(struct correlator *c))
{
	const struct ls_summary *s;

	push_call(c, call(LS_SYS_EPOLL_WAIT, 0, 10, 3, LS_FD_EPOLL, 0));
	fill(c);
	push_call(c, call(LS_SYS_EPOLL_WAIT, 100 * MS, 10, 3, LS_FD_EPOLL, 0));
	s = correlator__summary(c);
	ASSERT_EQ(s->nloops, 1);
	return s->loops[0];
}

static struct correlator *new_corr(void)
{
	struct correlator_opts o = { .stall_threshold_ns = 50 * MS };
	struct correlator *c = correlator__new(&o);

	ASSERT(c);
	return c;
}

static char *text_of(const struct ls_summary *s)
{
	struct summary_text_meta m = { .duration_s = 1 };
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	ASSERT(f);
	summary_text__write(f, s, &m);
	fclose(f);
	return buf;
}

#define ASSERT_IN(doc, needle)                                               \
	do {                                                                 \
		if (!strstr((doc), (needle)))                                \
			LS_FAIL("missing %s in %s", (needle), (doc));        \
	} while (0)
#define ASSERT_NOT_IN(doc, needle)                                           \
	do {                                                                 \
		if (strstr((doc), (needle)))                                 \
			LS_FAIL("unexpected %s in %s", (needle), (doc));     \
	} while (0)

/* open, 16 reads of 4 KiB and the EOF read of a named file, then 2 preads of another, unnamed */
static void named_reads(struct correlator *c)
{
	int i;

	push_path(c, 7, INO, "/srv/data/a.bin");
	for (i = 0; i < 17; i++)
		push_call(c, call(LS_SYS_READ, MS + i * 100 * US, 50 * US + i * US, 7, LS_FD_FILE, INO));
	push_call(c, call(LS_SYS_PREAD64, 60 * MS, 3 * MS, 8, LS_FD_FILE, INO + 1));
	push_call(c, call(LS_SYS_PREAD64, 64 * MS, 1 * MS, 8, LS_FD_FILE, INO + 1));
}

TEST(findings_by_path)
{
	struct correlator *c = new_corr();
	const struct ls_loop_summary *l = one_iteration(c, named_reads);
	unsigned idx[LS_TOP_FILE_FDS];
	char *txt;

	ASSERT_EQ(l->file_io_calls, 19);
	ASSERT_EQ(l->nfile_fds, 2);
	ASSERT_EQ(ls_file_io_by_time(l, idx), 2);
	/* the unnamed file took more time: it comes first */
	ASSERT_EQ(l->file_io[idx[0]].path_len, 0);
	ASSERT_EQ(l->file_io[idx[0]].fd, 8);
	ASSERT_EQ(l->file_io[idx[1]].count, 17);
	ASSERT_U64_EQ(l->file_io[idx[1]].max_ns, 66 * US);
	ASSERT_EQ(l->file_io[idx[1]].path_len, strlen("/srv/data/a.bin"));
	ASSERT_EQ(l->top_stalls[0].nfile_io, 19);
	txt = text_of(correlator__summary(c));
	ASSERT_IN(txt, "finding: 19 synchronous regular-file calls on the loop thread");
	ASSERT_IN(txt, "      read /srv/data/a.bin: 17 calls, ");
	ASSERT_IN(txt, "      pread64 fd 8 (closed before it was named): 2 calls, 4000.0 us, longest 3000.0 us");
	free(txt);
	correlator__free(c);
}

/* A path whose inode is another file's (the fd was reused): the calls are not named by it. */
static void mismatching_inode(struct correlator *c)
{
	push_path(c, 9, INO + 100, "/etc/shadow");
	push_call(c, call(LS_SYS_READ, MS, 2 * MS, 9, LS_FD_FILE, INO));
}

TEST(findings_mismatching_inode_is_not_named)
{
	struct correlator *c = new_corr();
	const struct ls_loop_summary *l = one_iteration(c, mismatching_inode);
	char *txt;

	ASSERT_EQ(l->file_io_calls, 1);
	ASSERT_EQ(l->file_io[0].path_len, 0);
	txt = text_of(correlator__summary(c));
	ASSERT_IN(txt, "read fd 9 (closed before it was named): 1 calls");
	ASSERT_NOT_IN(txt, "shadow");
	free(txt);
	correlator__free(c);
}

/* redis' serverCron reads /proc/self/stat; node writes its perf map */
static void procfs_and_perf_map(struct correlator *c)
{
	int i;

	for (i = 0; i < 5; i++)
		push_call(c, call(LS_SYS_READ, MS + i * MS, 20 * US, 11, LS_FD_PROCFS, 0));
	push_call(c, call(LS_SYS_READ, 10 * MS, 20 * US, 12, LS_FD_SYSFS, 0));
	push_path(c, 13, INO, "/tmp/perf-4321.map");
	for (i = 0; i < 40; i++)
		push_call(c, call(LS_SYS_WRITE, 20 * MS + i * MS, 10 * US + i * US, 13, LS_FD_FILE, INO));
}

TEST(findings_procfs_and_perf_map_are_not_findings)
{
	struct correlator *c = new_corr();
	const struct ls_loop_summary *l = one_iteration(c, procfs_and_perf_map);
	char *txt;

	ASSERT_EQ(l->file_io_calls, 0);
	ASSERT_EQ(l->nfile_fds, 0);
	ASSERT_EQ(l->top_stalls[0].nfile_io, 0);
	ASSERT_EQ(l->top_stalls[0].ncalls, 46);
	ASSERT_U64_EQ(l->perf_map.count, 40);
	ASSERT_U64_EQ(l->perf_map.max_ns, 49 * US);
	/* still calls, of their kind */
	ASSERT_U64_EQ(l->sys[LS_SYS_READ]->by_fd_kind[LS_FD_PROCFS], 5);
	ASSERT_U64_EQ(l->sys[LS_SYS_READ]->by_fd_kind[LS_FD_SYSFS], 1);
	txt = text_of(correlator__summary(c));
	ASSERT_NOT_IN(txt, "finding:");
	ASSERT_IN(txt, "perf map writes: 40, ");
	free(txt);
	correlator__free(c);
}

TEST(findings_perf_map_pattern)
{
	ASSERT(ls_path_is_perf_map("/tmp/perf-1.map", 15));
	ASSERT(ls_path_is_perf_map("/tmp/perf-123456.map", 20));
	ASSERT(!ls_path_is_perf_map("/tmp/perf-.map", 14));
	ASSERT(!ls_path_is_perf_map("/tmp/perf-12a.map", 17));
	ASSERT(!ls_path_is_perf_map("/tmp/perf-12.map.bak", 20));
	ASSERT(!ls_path_is_perf_map("/var/tmp/perf-12.map", 20));
	ASSERT(!ls_path_is_perf_map("/tmp/perf-12.map (deleted)", 26));
}

/* A hostile name: escapes and a forged line stay inside the finding's line. */
static void hostile_name(struct correlator *c)
{
	push_path(c, 7, INO, "/tmp/x\x1b[2J\nloopscope: forged\"q");
	push_call(c, call(LS_SYS_WRITE, MS, 2 * MS, 7, LS_FD_FILE, INO));
}

TEST(findings_path_escaped_in_text_json_and_report)
{
	struct correlator *c = new_corr();
	struct summary_json_meta m = { .pid = PID, .version = "t" };
	struct report_text_opts ro = { .name = "x.json" };
	struct summary_file *sf = NULL;
	struct summary_error err;
	char *txt, *doc = NULL, *rep = NULL;
	size_t len, rlen;
	FILE *f;

	one_iteration(c, hostile_name);
	txt = text_of(correlator__summary(c));
	ASSERT_IN(txt, "write /tmp/x\\x1b[2J\\x0aloopscope: forged\"q: 1 calls");
	ASSERT_NOT_IN(txt, "\x1b");
	f = open_memstream(&doc, &len);
	ASSERT(f);
	ASSERT_EQ(summary_json__write(f, correlator__summary(c), &m), 0);
	fclose(f);
	ASSERT_IN(doc, "\"paths\":[{\"path\":\"/tmp/x\\u001b[2J\\u000aloopscope: forged\\\"q\",\"cut\":false,"
		       "\"fd\":7,\"count\":1,\"total_ms\":2.000,\"max_ms\":2.000,\"syscalls\":[\"write\"],\"stack\":null}]");
	ASSERT_EQ(summary_read_buf(doc, len, &sf, &err), 0);
	ASSERT_EQ(sf->s.loops[0]->nfile_fds, 1);
	ASSERT_EQ(sf->s.loops[0]->file_io[0].path_len, strlen("/tmp/x\x1b[2J\nloopscope: forged\"q"));
	f = open_memstream(&rep, &rlen);
	ASSERT(f);
	report_text__write(f, sf, &ro);
	fclose(f);
	ASSERT_IN(rep, "FINDING: 1 synchronous regular-file calls on the loop thread");
	ASSERT_IN(rep, "write    /tmp/x\\x1b[2J\\x0aloopscope: forged\"q\n");
	ASSERT_NOT_IN(rep, "\x1b");
	summary_file_free(sf);
	free(rep);
	free(doc);
	free(txt);
	correlator__free(c);
}

TEST(findings_perf_map_in_json_and_report)
{
	struct correlator *c = new_corr();
	struct summary_json_meta m = { .pid = PID, .version = "t" };
	struct report_text_opts ro = { .name = "x.json" };
	struct summary_file *sf = NULL;
	struct summary_error err;
	char *doc = NULL, *rep = NULL;
	size_t len, rlen;
	FILE *f;

	one_iteration(c, procfs_and_perf_map);
	f = open_memstream(&doc, &len);
	ASSERT(f);
	ASSERT_EQ(summary_json__write(f, correlator__summary(c), &m), 0);
	fclose(f);
	ASSERT_IN(doc, "\"sync_file_io\":{\"calls\":0,\"total_ms\":0.000,\"fds\":[],\"paths\":[],"
		       "\"perf_map\":{\"calls\":40,\"total_ms\":1.180,\"max_ms\":0.049}}");
	ASSERT_IN(doc, "\"fd_kinds\":{\"procfs\":5,\"sysfs\":1}");
	ASSERT_EQ(summary_read_buf(doc, len, &sf, &err), 0);
	ASSERT_U64_EQ(sf->s.loops[0]->perf_map.count, 40);
	f = open_memstream(&rep, &rlen);
	ASSERT(f);
	report_text__write(f, sf, &ro);
	fclose(f);
	ASSERT_NOT_IN(rep, "FINDING");
	ASSERT_IN(rep, "perf map writes: 40, 1180.0 us in total");
	summary_file_free(sf);
	free(rep);
	free(doc);
	correlator__free(c);
}

/* Three reads of one file: two with stacks (ids 5 and 6), the longest without. */
static void reads_with_stacks(struct correlator *c)
{
	struct ls_rec_stack st = { .type = LS_REC_STACK, .id = 5, .nframes = 2,
				   .ips = { 0x401000, 0x402000 } };
	struct ls_rec_syscall r;

	ASSERT_EQ(correlator__push(c, &st, sizeof(st)), 0);
	st.id = 6, st.nframes = 3, st.ips[2] = 0x403000;
	ASSERT_EQ(correlator__push(c, &st, sizeof(st)), 0);
	push_path(c, 7, INO, "/srv/conf.json");
	r = call(LS_SYS_READ, MS, 1 * MS, 7, LS_FD_FILE, INO);
	r.user_stack = 5;
	push_call(c, r);
	r = call(LS_SYS_READ, 3 * MS, 3 * MS, 7, LS_FD_FILE, INO);
	r.user_stack = 6;
	push_call(c, r);
	push_call(c, call(LS_SYS_READ, 8 * MS, 9 * MS, 7, LS_FD_FILE, INO));
}

/* A file keeps the stack of its longest call that had one, through JSON and into report. */
TEST(findings_stack_of_the_longest_call)
{
	struct correlator *c = new_corr();
	struct summary_json_meta m = { .pid = PID, .version = "t", .corr = c };
	struct report_text_opts ro = { .name = "x.json" };
	const struct ls_loop_summary *l = one_iteration(c, reads_with_stacks);
	const struct ls_file_io *io;
	struct summary_file *sf = NULL;
	struct summary_error err;
	char *doc = NULL, *rep = NULL;
	size_t len, rlen;
	FILE *f;

	ASSERT_EQ(l->nfile_fds, 1);
	ASSERT_EQ(l->file_io[0].user_stack, 6);
	ASSERT_U64_EQ(l->file_io[0].stack_call_ns, 3 * MS);
	f = open_memstream(&doc, &len);
	ASSERT(f);
	ASSERT_EQ(summary_json__write(f, correlator__summary(c), &m), 0);
	fclose(f);
	ASSERT_IN(doc, "\"syscalls\":[\"read\"],\"stack\":{\"call_ms\":3.000,\"depth\":3,\"frames\":[\"");
	ASSERT_EQ(summary_read_buf(doc, len, &sf, &err), 0);
	io = &sf->s.loops[0]->file_io[0];
	ASSERT_EQ(io->nframes, 3);
	ASSERT_EQ(io->stack_nframes, 3);
	ASSERT_U64_EQ(io->stack_call_ns, 3 * MS);
	ASSERT_IN(io->frames[2], "403000");
	f = open_memstream(&rep, &rlen);
	ASSERT(f);
	report_text__write(f, sf, &ro);
	fclose(f);
	ASSERT_IN(rep, "/srv/conf.json\n    stack of a 3000.0 us call, innermost first:\n      0x401000\n");
	summary_file_free(sf);
	free(rep);
	free(doc);
	correlator__free(c);
}
