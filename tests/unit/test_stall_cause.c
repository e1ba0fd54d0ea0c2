/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stall_cause: synthetic stacks (leaf first, as the model has them) named
 * by a stub resolver: ip / 0x100 picks a function, so two ips in one
 * function (0x1010, 0x1020) share a name; ips from 0xf000 on are unnamed.
 */
#include <errno.h>
#include "../harness.h"
#include "viewer-export/stall_cause.h"

#define MS 1000000ull

static const char *const names[] = {
	[0x10] = "busy_spin", [0x11] = "handle_block", [0x12] = "loop_run", [0x13] = "main",
	[0x14] = "sha256_block", [0x15] = "sha256_update", [0x16] = "DeriveBits",
	[0x17] = "memcpy", [0x18] = "parse", [0x19] = "read", [0x1a] = "other_leaf",
	[0x80] = "__x64_sys_read", [0x81] = "do_syscall_64", [0x82] = "schedule",
	[0x83] = "pipe_read", [0x84] = "entry_SYSCALL_64",
	[0x20] = "JS:~parseBig /app/s.js:16", [0x21] = "JS:~tick /app/s.js:28",
	[0x22] = "JS:~listOnTimeout node:internal/timers", [0x23] = "JS:~processTimers node:internal/timers",
	[0x24] = "Builtins_JSEntryTrampoline", [0x25] = "JS:~pbkdf2Sync node:internal/crypto/pbkdf2",
	[0x26] = "uv__run_timers",
};

static int stub_resolve(void *ctx, uint32_t pid, uint64_t ip, bool kernel,
			struct ls_frame_info *out)
{
	uint64_t k = ip / 0x100;

	(void)ctx, (void)pid, (void)kernel;
	if (k < sizeof(names) / sizeof(names[0]) && names[k]) {
		out->function = names[k];
		return 0;
	}
	out->mapping = "/usr/lib/libx.so";
	out->map_start = 0xf000;
	out->map_end = 0x10000;
	out->rel_pc = ip - 0xf000;
	return -ENOENT;
}

static const struct ls_cause_ctx cx = { .resolve = stub_resolve, .pid = 1 };

/* The stacks a test made, freed at its end (free_made()): LeakSanitizer runs in CI. */
static struct ls_stack *made[64];
static unsigned nmade;

static void free_made(void)
{
	while (nmade)
		free(made[--nmade]);
}

/* A stack of n ips, leaf first. */
static struct ls_stack *stk(bool kernel, uint32_t n, const uint64_t *ips)
{
	struct ls_stack *s = calloc(1, sizeof(*s) + n * sizeof(s->ips[0]));

	ASSERT(s);
	ASSERT(nmade < sizeof(made) / sizeof(made[0]));
	made[nmade++] = s;
	s->kernel = kernel;
	s->nframes = n;
	memcpy(s->ips, ips, n * sizeof(ips[0]));
	return s;
}

#define STK(...) stk(false, sizeof((uint64_t[]){ __VA_ARGS__ }) / 8, (uint64_t[]){ __VA_ARGS__ })
#define KSTK(...) stk(true, sizeof((uint64_t[]){ __VA_ARGS__ }) / 8, (uint64_t[]){ __VA_ARGS__ })

TEST(cause_two_leaves_under_one_caller)
{
	/* 8 samples: 4 in sha256_block (two ips), 4 in memcpy, all under DeriveBits */
	struct ls_weighted_stack ws[] = {
		{ .user = STK(0x1410, 0x1510, 0x1610, 0x1110, 0x1210, 0x1310), .samples = 3 },
		{ .user = STK(0x1420, 0x1510, 0x1610, 0x1110, 0x1210, 0x1310), .samples = 1 },
		{ .user = STK(0x1710, 0x1620, 0x1110, 0x1210, 0x1310), .samples = 4 },
	};
	struct ls_cause c;
	char buf[256];

	ASSERT_EQ(ls_stall_cause(&cx, ws, 3, 8, 80 * MS, 0, &c), 0);
	ASSERT_EQ(c.nframes, 4);	/* DeriveBits <- handle_block <- loop_run <- main */
	ASSERT_STR_EQ(c.frames[0], "DeriveBits");
	ASSERT_STR_EQ(ls_cause_line(&c, 8, buf, sizeof(buf)),
		      "DeriveBits <- handle_block <- loop_run <- main");
	ASSERT_EQ(c.samples, 8);
	ASSERT_NEAR(c.share, 1.0, 1e-9);
	ASSERT(!c.offcpu);
	ASSERT_STR_EQ(ls_cause_share(&c, c.samples, c.nsamples, c.weight, c.total, buf, sizeof(buf)),
		      "8/8 samples, 100%");
	free_made();
}

TEST(cause_callers_stop_at_the_js_callbacks_entry)
{
	/* parse <- parseBig <- tick (the user's) <- listOnTimeout (node's timers) <- ... <- main */
	struct ls_weighted_stack ws[] = {
		{ .user = STK(0x1810, 0x2010, 0x2110, 0x2210, 0x2310, 0x2410, 0x2610, 0x1310), .samples = 5 },
	};
	struct ls_cause c;
	char buf[256];

	ASSERT_EQ(ls_stall_cause(&cx, ws, 1, 5, 80 * MS, 0, &c), 0);
	ASSERT_STR_EQ(ls_cause_line(&c, 16, buf, sizeof(buf)),
		      "parse <- JS:~parseBig /app/s.js:16 <- JS:~tick /app/s.js:28 <- "
		      "JS:~listOnTimeout node:internal/timers");
	free_made();
}

TEST(cause_in_nodes_own_js_goes_up_to_v8s_entry)
{
	/* DeriveBits <- pbkdf2Sync (node's) <- listOnTimeout <- processTimers <- JSEntry <- uv__run_timers */
	struct ls_weighted_stack ws[] = {
		{ .user = STK(0x1610, 0x2510, 0x2210, 0x2310, 0x2410, 0x2610, 0x1310), .samples = 5 },
	};
	struct ls_cause c;

	ASSERT_EQ(ls_stall_cause(&cx, ws, 1, 5, 80 * MS, 0, &c), 0);
	ASSERT_EQ(c.nframes, 5);
	ASSERT_STR_EQ(c.frames[4], "Builtins_JSEntryTrampoline");
	ASSERT_STR_EQ(c.frames[1], "JS:~pbkdf2Sync node:internal/crypto/pbkdf2");
	free_made();
}

TEST(cause_keeps_15_callers)
{
	/* a leaf 17 unnamed frames below main: the cause and 15 callers, the rest cut */
	struct ls_weighted_stack ws[] = {
		{ .user = STK(0xf010, 0xf020, 0xf030, 0xf040, 0xf050, 0xf060, 0xf070, 0xf080, 0xf090,
			      0xf0a0, 0xf0b0, 0xf0c0, 0xf0d0, 0xf0e0, 0xf0f0, 0xf100, 0xf110, 0x1310),
		  .samples = 5 },
	};
	struct ls_cause c;

	ASSERT_EQ(ls_stall_cause(&cx, ws, 1, 5, 80 * MS, 0, &c), 0);
	ASSERT_EQ(c.nframes, 16);
	free_made();
}

TEST(cause_60_40_split_takes_the_60_path)
{
	/* 6 samples busy_spin <- handle_block, 4 in parse <- read: unrelated below main */
	struct ls_weighted_stack ws[] = {
		{ .user = STK(0x1010, 0x1110, 0x1210, 0x1310), .samples = 4 },
		{ .user = STK(0x1020, 0x1110, 0x1210, 0x1310), .samples = 2 },
		{ .user = STK(0x1810, 0x1910, 0x1310), .samples = 4 },
	};
	struct ls_cause c;
	char buf[256];

	ASSERT_EQ(ls_stall_cause(&cx, ws, 3, 10, 100 * MS, 0, &c), 0);
	ASSERT_STR_EQ(ls_cause_line(&c, 8, buf, sizeof(buf)),
		      "busy_spin <- handle_block <- loop_run <- main");
	ASSERT_EQ(c.samples, 6);
	ASSERT_NEAR(c.share, 0.6, 1e-9);
	ASSERT_STR_EQ(ls_cause_share(&c, c.samples, c.nsamples, c.weight, c.total, buf, sizeof(buf)),
		      "6/10 samples, 60%");
	free_made();
}

TEST(cause_one_leaf_and_callers_capped)
{
	/* the loop's entry ends the callers: main's callers are every stall's */
	struct ls_weighted_stack ws[] = {
		{ .user = STK(0x1010, 0x1110, 0x1210, 0x1310, 0xf100, 0xf200), .samples = 9 },
	};
	struct ls_cause c;
	char buf[256];

	ASSERT_EQ(ls_stall_cause(&cx, ws, 1, 9, 80 * MS, 0, &c), 0);
	ASSERT_STR_EQ(ls_cause_line(&c, 8, buf, sizeof(buf)),
		      "busy_spin <- handle_block <- loop_run <- main");
	ASSERT_STR_EQ(ls_cause_line(&c, 2, buf, sizeof(buf)), "busy_spin <- handle_block");
	free_made();
}

TEST(cause_no_majority_and_unsampled_weight)
{
	/* two unrelated halves: no frame holds more than half */
	struct ls_weighted_stack ws[] = {
		{ .user = STK(0x1010, 0x1110), .samples = 5 },
		{ .user = STK(0x1810, 0x1910), .samples = 5 },
	};
	struct ls_weighted_stack one[] = { { .user = STK(0x1010, 0x1110), .samples = 5 } };
	struct ls_cause c;
	char buf[256];

	ASSERT_EQ(ls_stall_cause(&cx, ws, 2, 10, 80 * MS, 0, &c), 0);
	ASSERT_EQ(c.nframes, 0);
	ASSERT_STR_EQ(ls_cause_line(&c, 8, buf, sizeof(buf)), "no single function holds most of it");
	/* samples beyond the kept stacks weigh against the cause: 5 of 10 is not most */
	ASSERT_EQ(ls_stall_cause(&cx, one, 1, 10, 80 * MS, 0, &c), 0);
	ASSERT_EQ(c.nframes, 0);
	ASSERT_EQ(ls_stall_cause(&cx, one, 1, 9, 80 * MS, 0, &c), 0);
	ASSERT_STR_EQ(c.frames[0], "busy_spin");	/* 5 of 9 */
	ASSERT_NEAR(c.share, 5.0 / 9, 1e-9);
	free_made();
}

TEST(cause_unnamed_frames_by_address)
{
	struct ls_weighted_stack ws[] = {
		{ .user = STK(0xf110, 0x1110), .samples = 3 },
		{ .user = STK(0xf120, 0x1110), .samples = 3 },
	};
	struct ls_cause c;
	char buf[256];

	/* two ips of a stripped function are two labels: handle_block holds it */
	ASSERT_EQ(ls_stall_cause(&cx, ws, 2, 6, 80 * MS, 0, &c), 0);
	ASSERT_STR_EQ(ls_cause_line(&c, 8, buf, sizeof(buf)), "handle_block");
	((struct ls_stack *)ws[1].user)->ips[0] = 0xf110;
	ASSERT_EQ(ls_stall_cause(&cx, ws, 2, 6, 80 * MS, 0, &c), 0);
	ASSERT_STR_EQ(ls_cause_line(&c, 8, buf, sizeof(buf)), "libx.so+0x110 <- handle_block");
	free_made();
}

TEST(cause_off_cpu_names_the_syscall_and_waker)
{
	/* 150 ms busy: 140 ms blocked in read, 2 samples on CPU in parse */
	struct ls_weighted_stack ws[] = {
		{ .user = STK(0x1910, 0x1110, 0x1210, 0x1310),
		  .kern = KSTK(0x8210, 0x8310, 0x8010, 0x8110, 0x8410), .off_ns = 140 * MS,
		  .waker_tid = 42, .waker_comm = "writer" },
		{ .user = STK(0x1810, 0x1110, 0x1210, 0x1310), .samples = 2 },
	};
	struct ls_cause c;
	char buf[256];

	ASSERT_EQ(ls_stall_cause(&cx, ws, 2, 2, 150 * MS, 140 * MS, &c), 0);
	ASSERT_STR_EQ(ls_cause_line(&c, 8, buf, sizeof(buf)),
		      "__x64_sys_read <- read <- handle_block <- loop_run <- main");
	ASSERT(c.offcpu);
	ASSERT_STR_EQ(c.waited, "__x64_sys_read");
	ASSERT_EQ(c.waker_tid, 42);
	ASSERT_NEAR(c.share, 140.0 / 150, 1e-9);
	ASSERT_STR_EQ(ls_cause_share(&c, c.samples, c.nsamples, c.weight, c.total, buf, sizeof(buf)),
		      "93% of 150.0 ms, off CPU in __x64_sys_read, woken by tid 42 (writer)");
	free_made();
}

TEST(cause_off_cpu_says_what_it_waited_on)
{
	static const struct ls_wait_on pipe = { .sys = LS_SYS_READ, .fd_kind = LS_FD_PIPE, .fd = 5 };
	static const struct ls_wait_on file = { .sys = LS_SYS_WRITE, .fd_kind = LS_FD_FILE, .fd = 8,
						.path_len = 12, .path = "/var/app.logXX" };
	struct ls_weighted_stack ws[] = {
		{ .user = STK(0x1910, 0x1110), .kern = KSTK(0x8210, 0x8010), .off_ns = 140 * MS,
		  .waker_tid = 42, .waker_comm = "writer", .wait = &pipe },
	};
	struct ls_cause c;
	char buf[256];

	ASSERT_EQ(ls_stall_cause(&cx, ws, 1, 0, 150 * MS, 140 * MS, &c), 0);
	ASSERT_STR_EQ(ls_cause_share(&c, c.samples, c.nsamples, c.weight, c.total, buf, sizeof(buf)),
		      "100% of 140.0 ms, off CPU in __x64_sys_read on pipe fd 5 (read), woken by tid 42 (writer)");
	ws[0].wait = &file;	/* a path: as many bytes as path_len says */
	ASSERT_EQ(ls_stall_cause(&cx, ws, 1, 0, 150 * MS, 140 * MS, &c), 0);
	ASSERT_STR_EQ(ls_cause_share(&c, c.samples, c.nsamples, c.weight, c.total, buf, sizeof(buf)),
		      "100% of 140.0 ms, off CPU in __x64_sys_read on file /var/app.log (write, fd 8), "
		      "woken by tid 42 (writer)");
	ws[0].wait = NULL;	/* none of our calls held it */
	ASSERT_EQ(ls_stall_cause(&cx, ws, 1, 0, 150 * MS, 140 * MS, &c), 0);
	ASSERT_EQ(c.wait_on.sys, LS_SYS_NONE);
	free_made();
}

TEST(cause_kernel_frames_on_cpu_go_deeper)
{
	/* on CPU in a page fault under memcpy: the kernel frames are the deepest */
	struct ls_weighted_stack ws[] = {
		{ .user = STK(0x1710, 0x1110), .kern = KSTK(0x8310, 0x8410), .samples = 4 },
	};
	struct ls_cause c;
	char buf[256];

	ASSERT_EQ(ls_stall_cause(&cx, ws, 1, 4, 80 * MS, 0, &c), 0);
	ASSERT_STR_EQ(ls_cause_line(&c, 8, buf, sizeof(buf)),
		      "pipe_read <- entry_SYSCALL_64 <- memcpy <- handle_block");
	free_made();
}

TEST(cause_groups_same_cause)
{
	struct ls_cause a = { .nframes = 2, .frames = { "busy_spin", "handle_block" }, .samples = 9,
			      .nsamples = 9, .weight = 80e6, .total = 80e6 };
	struct ls_cause b = a, other = a;
	struct ls_cause_group g[4];
	uint32_t n = 0, i;

	snprintf(other.frames[1], LS_CAUSE_LABEL, "parse");
	for (i = 0; i < 25; i++)
		ASSERT_EQ(ls_cause_group_add(g, &n, 4, &a, (80 + i % 2) * MS), 0);
	ASSERT_EQ(ls_cause_group_add(g, &n, 4, &other, 200 * MS), 1);
	b.offcpu = true;	/* the same frames blocked are another cause */
	ASSERT_EQ(ls_cause_group_add(g, &n, 4, &b, 60 * MS), 2);
	ls_cause_groups_sort(g, n);
	ASSERT_EQ(n, 3);
	ASSERT_EQ(g[0].count, 25);
	ASSERT_U64_EQ(g[0].min_ns, 80 * MS);
	ASSERT_U64_EQ(g[0].max_ns, 81 * MS);
	ASSERT_U64_EQ(g[0].total_ns, 13 * 80 * MS + 12 * 81 * MS);
	ASSERT_U64_EQ(g[0].samples, 225);
	ASSERT_STR_EQ(g[1].cause.frames[1], "parse");
	ASSERT_EQ(g[2].count, 1);
	ASSERT_EQ(ls_cause_group_add(g, &n, 3, &(struct ls_cause){ .nframes = 0 }, MS), -1);
}

TEST(cause_groups_one_js_function_in_any_tier)
{
	/* spinFor interpreted in one stall, optimized in the next: one cause */
	struct ls_cause a = { .nframes = 2, .frames = { "Date_now", "JS:~spinFor /a.js:5" } };
	struct ls_cause b = a, c = a, d = a;
	struct ls_cause_group g[4];
	uint32_t n = 0;

	snprintf(b.frames[1], LS_CAUSE_LABEL, "JS:*spinFor /a.js:5");
	snprintf(c.frames[1], LS_CAUSE_LABEL, "JS:^spinFor /a.js:5");
	snprintf(d.frames[1], LS_CAUSE_LABEL, "JS:*spinFor /a.js:6");	/* another function */
	ASSERT_EQ(ls_cause_group_add(g, &n, 4, &a, 80 * MS), 0);
	ASSERT_EQ(ls_cause_group_add(g, &n, 4, &b, 90 * MS), 0);
	ASSERT_EQ(ls_cause_group_add(g, &n, 4, &c, 70 * MS), 0);
	ASSERT_EQ(ls_cause_group_add(g, &n, 4, &d, 70 * MS), 1);
	ASSERT_EQ(g[0].count, 3);
	ASSERT_STR_EQ(g[0].cause.frames[1], "JS:*spinFor /a.js:5");	/* the longest stall's */
}

TEST(cause_line_reaches_the_first_js_caller)
{
	struct ls_cause c = { .nframes = 8, .frames = { "Intern", "ParseValue", "Parse", "Builtin_Json",
		"CEntry", "JS:~parseBig /a.js:16", "JS:~tick /a.js:28", "JS:~listOnTimeout node:timers" } };
	char buf[256];
	int idx[8];

	ASSERT_STR_EQ(ls_cause_line(&c, 4, buf, sizeof(buf)),
		      "Intern <- ParseValue <- ... <- JS:~parseBig /a.js:16 <- JS:~tick /a.js:28");
	ASSERT_EQ(ls_cause_shown(&c, 5, idx), 6);	/* 0, 1, 2, "...", 5, 6 */
	ASSERT_EQ(idx[3], -1);
	ASSERT_EQ(idx[4], 5);
	ASSERT_EQ(ls_cause_shown(&c, 6, idx), 6);	/* the JS frame is the 6th: all six */
	ASSERT_EQ(idx[5], 5);
	/* within reach: no elision */
	ASSERT_STR_EQ(ls_cause_line(&c, 7, buf, sizeof(buf)),
		      "Intern <- ParseValue <- Parse <- Builtin_Json <- CEntry <- JS:~parseBig /a.js:16 "
		      "<- JS:~tick /a.js:28");
	c.nframes = 5;	/* no JS frame at all */
	ASSERT_STR_EQ(ls_cause_line(&c, 4, buf, sizeof(buf)), "Intern <- ParseValue <- Parse <- Builtin_Json");
}

TEST(cause_deepest_majority_below_the_split)
{
	/* 5 of 8 under sha256_update: deeper than DeriveBits, and sha256_block's two ips are one */
	struct ls_weighted_stack ws[] = {
		{ .user = STK(0x1410, 0x1510, 0x1610, 0x1110), .samples = 4 },
		{ .user = STK(0x1420, 0x1510, 0x1610, 0x1110), .samples = 1 },
		{ .user = STK(0x1710, 0x1620, 0x1110), .samples = 3 },
	};
	struct ls_cause c;
	char buf[256];

	ASSERT_EQ(ls_stall_cause(&cx, ws, 3, 8, 80 * MS, 0, &c), 0);
	ASSERT_STR_EQ(ls_cause_line(&c, 8, buf, sizeof(buf)),
		      "sha256_block <- sha256_update <- DeriveBits <- handle_block");
	ASSERT_EQ(c.samples, 5);
	free_made();
}
