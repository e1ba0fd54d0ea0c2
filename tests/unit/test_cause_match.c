/* SPDX-License-Identifier: BSD-2-Clause */
/* cause_match.c: one cause in a run's groups, one stall across runs. */
#include "../harness.h"
#include "collector/cause.h"

static struct ls_cause cause(bool offcpu, uint32_t n, const char *const *frames)
{
	struct ls_cause c = { .nframes = n, .offcpu = offcpu };
	uint32_t i;

	for (i = 0; i < n; i++)
		snprintf(c.frames[i], LS_CAUSE_LABEL, "%s", frames[i]);
	return c;
}

#define CAUSE(off, ...) cause(off, sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(char *), \
			      (const char *[]){ __VA_ARGS__ })

TEST(cause_frame_same_across_js_tiers_only)
{
	ASSERT(ls_cause_frame_same("JS:~f /a.js:1", "JS:*f /a.js:1"));
	ASSERT(ls_cause_frame_same("JS:^f /a.js:1", "JS:+f /a.js:1"));
	ASSERT(!ls_cause_frame_same("JS:~f /a.js:1", "JS:~f /a.js:2"));
	ASSERT(!ls_cause_frame_same("~f", "*f"));	/* not JS: the mark is part of the name */
	ASSERT(ls_cause_frame_same("JS:", "JS:"));
}

TEST(cause_same_stall_one_level_deeper_in_another_run)
{
	struct ls_cause a = CAUSE(false, "ParseJsonValue", "ParseJson", "JS:~parseBig /a.js:16", "JS:~tick /a.js:28");
	struct ls_cause b = CAUSE(false, "InternalizeString", "ParseJsonValue", "ParseJson",
				  "JS:*parseBig /a.js:16", "JS:~tick /a.js:28");
	struct ls_cause other = CAUSE(false, "busy_spin", "JS:~tick /a.js:28");
	struct ls_cause blocked = a;

	ASSERT(ls_cause_same_stall(&a, &b));
	ASSERT(ls_cause_same_stall(&b, &a));
	ASSERT(!ls_cause_same(&a, &b));		/* in one run's groups they are two */
	ASSERT(!ls_cause_same_stall(&a, &other));
	blocked.offcpu = true;
	ASSERT(!ls_cause_same_stall(&a, &blocked));
}

TEST(cause_same_stall_needs_two_frames_of_callers)
{
	struct ls_cause main_only = CAUSE(false, "main");
	struct ls_cause deep = CAUSE(false, "busy_spin", "loop_run", "main");
	struct ls_cause none = { .nframes = 0 }, none2 = { .nframes = 0 };
	struct ls_cause one = CAUSE(false, "busy_spin"), one2 = CAUSE(false, "busy_spin");

	ASSERT(!ls_cause_same_stall(&main_only, &deep));	/* "main" alone is every stall */
	ASSERT(ls_cause_same_stall(&none, &none2));		/* no single function, both */
	ASSERT(!ls_cause_same_stall(&none, &deep));
	ASSERT(ls_cause_same_stall(&one, &one2));
}
