/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * text_escape and its users: a target string reaches a terminal, a folded
 * stack, the JSON summary or the trace without a raw control byte, a split
 * frame or line, or invalid UTF-8, and with its real bytes wherever the
 * format can hold them.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "../harness.h"
#include "collector/json.h"
#include "viewer-export/folded.h"
#include "viewer-export/pftrace.h"
#include "viewer-export/summary_json.h"
#include "viewer-export/summary_json_int.h"
#include "viewer-export/text_escape.h"
#include "viewer-export/wallclock.h"

static const char *esc(enum ls_esc_mode m, const char *s)
{
	static char buf[1024];

	return ls_esc_str(m, buf, sizeof(buf), s, SIZE_MAX);
}

TEST(text_escape_terminal_rules)
{
	ASSERT_STR_EQ(esc(LS_ESC_TEXT, "epoll-server"), "epoll-server");
	ASSERT_STR_EQ(esc(LS_ESC_TEXT, "a\x1b[31mred"), "a\\x1b[31mred");
	ASSERT_STR_EQ(esc(LS_ESC_TEXT, "\x1b]0;title\x07"), "\\x1b]0;title\\x07");
	ASSERT_STR_EQ(esc(LS_ESC_TEXT, "x\nloopscope: FAKE"), "x\\x0aloopscope: FAKE");
	ASSERT_STR_EQ(esc(LS_ESC_TEXT, "\r\t\x7f"), "\\x0d\\x09\\x7f");
	ASSERT_STR_EQ(esc(LS_ESC_TEXT, "back\\slash;semi"), "back\\\\slash;semi");
	/* valid UTF-8 stays; C1 controls, bidi overrides and bad bytes do not */
	ASSERT_STR_EQ(esc(LS_ESC_TEXT, "w\xc3\xa9rker \xe2\x82\xac"), "w\xc3\xa9rker \xe2\x82\xac");
	ASSERT_STR_EQ(esc(LS_ESC_TEXT, "\xc2\x9b" "2J"), "\\xc2\\x9b2J");
	ASSERT_STR_EQ(esc(LS_ESC_TEXT, "a\xe2\x80\xae" "b\xe2\x81\xa6"), "a\\xe2\\x80\\xaeb\\xe2\\x81\\xa6");
	ASSERT_STR_EQ(esc(LS_ESC_TEXT, "\xe2\x80\xa8"), "\\xe2\\x80\\xa8");
	ASSERT_STR_EQ(esc(LS_ESC_TEXT, "\xe2\x80\x94"), "\xe2\x80\x94");	/* an em dash is text */
	ASSERT_STR_EQ(esc(LS_ESC_TEXT, "\xff\xc0\xaf" "cut\xe2\x82"), "\\xff\\xc0\\xafcut\\xe2\\x82");
	ASSERT_STR_EQ(esc(LS_ESC_TEXT, "\xed\xa0\x80"), "\\xed\\xa0\\x80");	/* a surrogate */
	ASSERT_STR_EQ(esc(LS_ESC_TEXT, NULL), "");
}

TEST(text_escape_bounds)
{
	char buf[8], comm[16];

	/* an escape that does not fit is left out whole, never cut */
	ASSERT_STR_EQ(ls_esc_str(LS_ESC_TEXT, buf, 6, "\x1b\x1b", SIZE_MAX), "\\x1b");
	ASSERT_STR_EQ(ls_esc_str(LS_ESC_TEXT, buf, 4, "\x1b", SIZE_MAX), "");
	ASSERT_STR_EQ(ls_esc_str(LS_ESC_TEXT, buf, sizeof(buf), "ab\xc3\xa9\xc3\xa9", SIZE_MAX),
		      "ab\xc3\xa9\xc3\xa9");
	ASSERT_STR_EQ(ls_esc_str(LS_ESC_TEXT, buf, 6, "ab\xc3\xa9\xc3\xa9", SIZE_MAX), "ab\xc3\xa9");
	ASSERT_STR_EQ(ls_esc_str(LS_ESC_TEXT, buf, 1, "abc", SIZE_MAX), "");
	/* n bounds the input: a comm without its NUL, or a prefix of a longer string */
	memset(comm, 'x', sizeof(comm));
	ASSERT_STR_EQ(ls_esc_str(LS_ESC_TEXT, buf, sizeof(buf), comm, 3), "xxx");
	/* a sequence cut by n is invalid there */
	ASSERT_STR_EQ(ls_esc_str(LS_ESC_TEXT, buf, sizeof(buf), "\xc3\xa9", 1), "\\xc3");
	/* the worst case fits LS_ESC_SIZE */
	{
		char big[LS_ESC_SIZE(15)];

		memset(comm, 0x1b, 15);
		comm[15] = '\0';
		ls_esc_str(LS_ESC_TEXT, big, sizeof(big), comm, sizeof(comm));
		ASSERT_EQ(strlen(big), 60);
	}
}

TEST(text_escape_fputs)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ASSERT(f);
	ls_esc_fputs(f, "name\n\x1b[2Jx");
	ls_esc_fputs(f, NULL);
	fclose(f);
	ASSERT_STR_EQ(out, "name\\x0a\\x1b[2Jx");
	free(out);
}

TEST(text_escape_folded_frames)
{
	struct folded *f = folded__new(NULL);
	const char *a[] = { "evil;comm\nloopscope: FAKE", "fn\x1b[31m", "ok" };
	struct ls_frame_info fr[] = { { .function = "leaf;x" }, { .function = "root\r" } };
	char *out = NULL, comm[LS_ESC_SIZE(16)];
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);

	ASSERT(f && m);
	ASSERT_STR_EQ(esc(LS_ESC_FOLDED, "a;b\nc\r\x01\\"), "a:b c \\x01\\\\");
	ASSERT_EQ(folded__add(f, a, 3, 7), 0);
	/* the prefix (a thread name) is escaped by the caller, as trace_export does */
	ls_esc_str(LS_ESC_FOLDED, comm, sizeof(comm), "t;n\n", 16);
	ASSERT_EQ(folded__add_frames(f, comm, fr, 2, 2), 0);
	ASSERT_EQ(folded__write(f, m), 0);
	fclose(m);
	ASSERT_STR_EQ(out, "evil:comm loopscope: FAKE;fn\\x1b[31m;ok 7\n"
			   "t:n ;root ;leaf:x 2\n");
	free(out);
	folded__free(f);
}

TEST(text_escape_utf8_fix)
{
	size_t n;
	char *s;

	ASSERT(ls_utf8_valid("", 0));
	ASSERT(ls_utf8_valid("plain \x1b ascii", 13));
	ASSERT(ls_utf8_valid("w\xc3\xa9\xf0\x9f\x98\x80", 8));
	ASSERT(!ls_utf8_valid("\xc3", 1));
	ASSERT(!ls_utf8_valid("a\x80z", 3));
	ASSERT(!ls_utf8_valid("\xf4\x90\x80\x80", 4));	/* above U+10FFFF */
	s = ls_utf8_fixdup("a\xff" "b\xe2\x82", 5, &n);
	ASSERT_STR_EQ(s, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd");
	ASSERT_EQ(n, strlen(s));
	ASSERT(ls_utf8_valid(s, n));
	free(s);
	s = ls_utf8_fixdup("fine \xc3\xa9", 7, NULL);
	ASSERT_STR_EQ(s, "fine \xc3\xa9");
	free(s);
}

/* A JSON string as sj_str writes it, parsed back by the strict reader. */
static char *json_roundtrip(const char *in, size_t max, char **text)
{
	struct json_error e;
	struct json_doc *d;
	size_t len = 0;
	char *out;
	FILE *f = open_memstream(text, &len);

	ASSERT(f);
	sj_str(f, in, max);
	fclose(f);
	if (json_parse(*text, len, NULL, &d, &e))
		LS_FAIL("sj_str wrote invalid JSON at %zu (%s): %s", e.offset, e.msg, *text);
	ASSERT_EQ(json_root(d)->type, JSON_STRING);
	out = strdup(json_root(d)->str);
	json_free(d);
	return out;
}

TEST(text_escape_json_every_control_byte)
{
	char in[64], *text, *back, *p;
	unsigned c, k = 0;

	for (c = 1; c < 0x20; c++)
		in[k++] = (char)c;
	in[k++] = 0x7f;
	in[k++] = '"';
	in[k++] = '\\';
	in[k] = '\0';
	back = json_roundtrip(in, SIZE_MAX, &text);
	ASSERT_STR_EQ(back, in);	/* decoded, the original bytes */
	for (p = text; *p; p++)	/* written, not one raw control byte */
		ASSERT((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f);
	ASSERT(strstr(text, "\\u001b") && strstr(text, "\\u000a") && strstr(text, "\\u007f"));
	free(back);
	free(text);
}

TEST(text_escape_json_invalid_utf8)
{
	char *text, *back;

	back = json_roundtrip("a\xff\xc0\xaf" "b\xe2\x82", SIZE_MAX, &text);
	ASSERT_STR_EQ(back, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd");
	free(back);
	free(text);
	/* max cuts a sequence: the cut bytes are invalid, not read past max */
	back = json_roundtrip("\xc3\xa9\xc3\xa9", 3, &text);
	ASSERT_STR_EQ(back, "\xc3\xa9\xef\xbf\xbd");
	free(back);
	free(text);
	back = json_roundtrip("\x1b]0;pwned\x07\xc3\xa9", SIZE_MAX, &text);
	ASSERT_STR_EQ(back, "\x1b]0;pwned\x07\xc3\xa9");
	free(back);
	free(text);
}

TEST(text_escape_summary_json_hostile_names)
{
	static struct ls_loop_summary loop;
	struct ls_loop_summary *loops[] = { &loop };
	struct ls_summary s = { .stall_threshold_ns = 50000000, .loops = loops, .nloops = 1 };
	struct summary_json_meta m = { .pid = 7, .command = "evil\n\x1b[31mcmd\xff" };
	const struct json_value *r, *l;
	struct json_error e;
	struct json_doc *d;
	char *doc = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&doc, &len);

	ASSERT(f);
	loop.tid = 8;
	loop.iterations = 1;
	memcpy(loop.comm, "a\x1b[31m;\nFAKE\x9b", 14);
	ls_hist_init(&loop.busy);
	ls_hist_init(&loop.poll);
	ASSERT_EQ(summary_json__write(f, &s, &m), 0);
	fclose(f);
	if (json_parse(doc, len, NULL, &d, &e))
		LS_FAIL("invalid JSON at %zu (%s)", e.offset, e.msg);
	r = json_root(d);
	ASSERT_STR_EQ(json_get(json_get(r, "target"), "command")->str,
		      "evil\n\x1b[31mcmd\xef\xbf\xbd");
	l = json_get(r, "loops")->child;
	ASSERT_STR_EQ(json_get(l, "comm")->str, "a\x1b[31m;\nFAKE\xef\xbf\xbd");
	json_free(d);
	free(doc);
}

static unsigned count_mem(const char *buf, size_t n, const char *needle)
{
	size_t len = strlen(needle);
	const char *p = buf, *end = buf + n;
	unsigned k = 0;

	while ((p = memmem(p, (size_t)(end - p), needle, len))) {
		k++;
		p += len;
	}
	return k;
}

/* The trace holds the valid UTF-8 form of a name, never the bad bytes. */
TEST(text_escape_trace_names_valid_utf8)
{
	int fd = memfd_create("t", 0);
	struct pftrace *w = pftrace__new(fd, NULL);
	uint64_t thr = pftrace__track_uuid(PFTRACE_UUID_THREAD, 1, 2);
	struct pftrace_track tt = { .kind = PFTRACE_TRACK_THREAD, .uuid = thr, .pid = 1, .tid = 2,
				    .name = "thr\xff" "A\x1b" };
	struct pftrace_arg a = { .name = "woken_by", .type = PFTRACE_ARG_STR, .s = "arg\xfe" "B" };
	struct pftrace_event ev = { .type = PFTRACE_INSTANT, .ts = 1000, .track_uuid = thr,
				    .name = "ev\xc3" "C", .args = &a, .nargs = 1 };
	char buf[4096];
	ssize_t n;

	ASSERT(w);
	ASSERT_EQ(pftrace__track(w, 1000, &tt), 0);
	ASSERT_EQ(pftrace__event(w, &ev), 0);
	ev.ts = 2000;
	ASSERT_EQ(pftrace__event(w, &ev), 0);	/* found again, not interned twice */
	ASSERT_EQ(pftrace__thread_name(w, 3000, 1, 2, "ren\x80" "D"), 0);
	ASSERT_EQ(pftrace__finish(w), 0);
	pftrace__free(w);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	ASSERT(n > 0);
	close(fd);
	ASSERT(memmem(buf, (size_t)n, "thr\xef\xbf\xbd" "A\x1b", 7));	/* ESC is valid: kept */
	ASSERT(memmem(buf, (size_t)n, "arg\xef\xbf\xbd" "B", 7));
	ASSERT(memmem(buf, (size_t)n, "ev\xef\xbf\xbd" "C", 6));
	ASSERT(memmem(buf, (size_t)n, "ren\xef\xbf\xbd" "D", 7));
	ASSERT(!memmem(buf, (size_t)n, "thr\xff", 4) && !memmem(buf, (size_t)n, "arg\xfe", 4));
	ASSERT(!memmem(buf, (size_t)n, "ev\xc3" "C", 3) && !memmem(buf, (size_t)n, "ren\x80", 4));
	ASSERT_EQ(count_mem(buf, (size_t)n, "ev\xef\xbf\xbd" "C"), 1);	/* interned once */
}

TEST(wallclock_utc_or_nothing)
{
	char buf[40];

	/* 1796190735158013290 + 1000000000 ns = 2026-12-02T05:52:16.158Z */
	ASSERT_STR_EQ(ls_wallclock(buf, sizeof(buf), 1000000000ull, 1796190735158013290ull, LS_WALL_ISO),
		      "2026-12-02T05:52:16.158Z");
	ASSERT_STR_EQ(ls_wallclock(buf, sizeof(buf), 1000000000ull, 1796190735158013290ull, LS_WALL_TIME),
		      "05:52:16.158 UTC");
	ASSERT_STR_EQ(ls_wallclock(buf, sizeof(buf), 1000000000ull, 0, LS_WALL_ISO), "");	/* unknown */
}
