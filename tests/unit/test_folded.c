/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * folded: aggregation of identical stacks, root-first order, sanitising of
 * ';' and newlines, labels of unnamed frames, sorted deterministic output.
 */
#include <errno.h>
#include "../harness.h"
#include "viewer-export/folded.h"

static char *render(struct folded *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ASSERT(out);
	ASSERT_EQ(folded__write(f, out), 0);
	fclose(out);
	return buf;
}

TEST(folded_aggregates_and_sorts)
{
	struct folded *f = folded__new(NULL);
	const char *a[] = { "main", "serve", "hashPasswordsSync" };
	const char *b[] = { "main", "idle" };
	const char *c[] = { "main", "odd;name", "line\nbreak", "" };
	char *out;

	ASSERT(f);
	ASSERT_EQ(folded__add(f, a, 3, 2), 0);
	ASSERT_EQ(folded__add(f, b, 2, 1), 0);
	ASSERT_EQ(folded__add(f, a, 3, 40), 0);
	ASSERT_EQ(folded__add(f, c, 4, 1), 0);
	ASSERT_EQ(folded__add(f, a, 0, 1), -EINVAL);
	ASSERT_EQ(folded__stacks(f), 3);
	out = render(f);
	ASSERT_STR_EQ(out, "main;idle 1\n"
			   "main;odd:name;line break;[unknown] 1\n"
			   "main;serve;hashPasswordsSync 42\n");
	free(out);
	folded__free(f);
	folded__free(NULL);
}

TEST(folded_symbolized_frames_leaf_first)
{
	struct folded_opts o = { .annotate = true };
	struct folded *f = folded__new(&o);
	struct ls_frame_info fr[] = {	/* leaf first */
		{ .function = "do_syscall_64", .kind = LS_FRAME_KERNEL },
		{ .function = "JS:*hashPasswordsSync", .kind = LS_FRAME_JIT },
		{ .mapping = "/usr/lib/x86_64-linux-gnu/libc.so.6", .kind = LS_FRAME_NATIVE },
		{ .mapping = "[vdso]", .kind = LS_FRAME_NATIVE },
		{ .kind = LS_FRAME_UNKNOWN },
		{ .function = "main", .kind = LS_FRAME_NATIVE },
	};
	char *out;

	ASSERT(f);
	ASSERT_EQ(folded__add_frames(f, "node;tid 42", fr, 6, 3), 0);
	ASSERT_EQ(folded__add_frames(f, NULL, &fr[5], 1, 1), 0);
	out = render(f);
	ASSERT_STR_EQ(out, "main 1\n"
			   "node;tid 42;main;[unknown];[vdso];[libc.so.6];"
			   "JS:*hashPasswordsSync_[j];do_syscall_64_[k] 3\n");
	free(out);
	folded__free(f);
}

TEST(folded_empty_and_write_error)
{
	struct folded *f = folded__new(NULL);
	const char *a[] = { "x" };
	FILE *full = fopen("/dev/full", "w");
	char *out;

	ASSERT(f && full);
	out = render(f);
	ASSERT_STR_EQ(out, "");
	free(out);
	ASSERT_EQ(folded__add(f, a, 1, 1), 0);
	ASSERT_EQ(folded__write(f, full), -ENOSPC);	/* the write's own errno, not EIO */
	fclose(full);
	folded__free(f);
}
