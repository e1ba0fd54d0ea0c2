/* SPDX-License-Identifier: BSD-2-Clause */
/* When two causes are one (cause.h): by frame, in one run's groups; by callers, across runs. */
#include <string.h>
#include "cause.h"

bool ls_cause_frame_same(const char *a, const char *b)
{
	if (!strncmp(a, "JS:", 3) && !strncmp(b, "JS:", 3)) {
		a += 3 + (a[3] && strchr("~^+*", a[3]));
		b += 3 + (b[3] && strchr("~^+*", b[3]));
	}
	return !strcmp(a, b);
}

bool ls_cause_same(const struct ls_cause *a, const struct ls_cause *b)
{
	uint32_t i;

	if (a->nframes != b->nframes || a->offcpu != b->offcpu)
		return false;
	for (i = 0; i < a->nframes; i++)
		if (!ls_cause_frame_same(a->frames[i], b->frames[i]))
			return false;
	return true;
}

bool ls_cause_same_stall(const struct ls_cause *a, const struct ls_cause *b)
{
	uint32_t k = a->nframes < b->nframes ? a->nframes : b->nframes, i;

	if (a->offcpu != b->offcpu || (k < 2 && a->nframes != b->nframes))
		return false;
	for (i = 1; i <= k; i++)
		if (!ls_cause_frame_same(a->frames[a->nframes - i], b->frames[b->nframes - i]))
			return false;
	return true;
}
