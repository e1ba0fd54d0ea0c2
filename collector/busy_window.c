/* SPDX-License-Identifier: BSD-2-Clause */
/* A loop's busy share over a window of its timeline (busy_window.h). */
#include "busy_window.h"

void ls_busy_window_add(struct ls_busy_window *w, const struct ls_iteration *it)
{
	uint64_t from;

	if (!w->acct_to)	/* its first iteration: the timeline starts here */
		w->acct_to = it->start;
	/* only the busy part inside this window: the rest was in an earlier one */
	from = it->start > w->acct_to ? it->start : w->acct_to;
	if (it->poll_start > from)
		w->busy_ns += it->poll_start - from;
	if (it->end > w->known_to)
		w->known_to = it->end;
}

double ls_busy_window_share(const struct ls_busy_window *w)
{
	if (w->known_to <= w->acct_to)
		return -1;
	return (double)w->busy_ns / (double)(w->known_to - w->acct_to);
}

void ls_busy_window_next(struct ls_busy_window *w)
{
	if (w->known_to > w->acct_to)
		w->acct_to = w->known_to;
	w->busy_ns = 0;
}
