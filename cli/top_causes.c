/* SPDX-License-Identifier: BSD-2-Clause */
/* top's stall causes (top_causes.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "collector/cause.h"
#include "viewer-export/stall_cause.h"
#include "viewer-export/summary_text.h"
#include "viewer-export/text_escape.h"
#include "proc_syms.h"
#include "top_causes.h"

#define TOP_CAUSE_FRAMES	4	/* one line a cause: the cause and 3 callers, or "..." to JS */
#define TOP_LINE		768

struct top_causes {
	struct proc_syms *syms;
	struct ls_cause worst;		/* this window's longest stall's */
	uint64_t worst_ns;		/* its busy time, 0: no stall this window */
	uint32_t worst_pid, worst_tid;
	char worst_comm[LS_COMM_LEN];
	struct ls_cause_group groups[LS_CAUSE_GROUPS];	/* since the start */
	uint32_t ngroups;
	uint64_t ungrouped;		/* stalls past LS_CAUSE_GROUPS causes */
};

struct top_causes *top_causes__new(struct proc_syms *syms)
{
	struct top_causes *tc = calloc(1, sizeof(*tc));

	if (tc)
		tc->syms = syms;
	return tc;
}

void top_causes__free(struct top_causes *tc)
{
	free(tc);
}

void top_causes__add(struct top_causes *tc, const struct ls_thread *th, const struct ls_iteration *it)
{
	const struct ls_cause_ctx cx = { .resolve = proc_syms__resolve_cb, .resolve_ctx = tc->syms,
					 .pid = it->pid };
	uint64_t busy = ls_iteration_busy(it);
	/* without stacks (sampling off, none copied) there is no cause to tell */
	struct ls_cause *c = ls_iteration_cause(&cx, it);

	if (!c)
		return;
	if (busy > tc->worst_ns) {
		tc->worst = *c;
		tc->worst_ns = busy;
		tc->worst_pid = it->pid;
		tc->worst_tid = th->tid;
		memcpy(tc->worst_comm, th->comm, sizeof(tc->worst_comm));
	}
	if (ls_cause_group_add(tc->groups, &tc->ngroups, LS_CAUSE_GROUPS, c, busy) < 0)
		tc->ungrouped++;
	else
		ls_cause_groups_sort(tc->groups, tc->ngroups);
	free(c);
}

/* "A <- B <- C (8/8 samples, 100%)", escaped for the terminal. */
static const char *cause_text(const struct ls_cause *c, uint64_t samples, uint64_t nsamples, double weight,
			      double total, char *out, size_t sz)
{
	char line[TOP_LINE], share[256], both[TOP_LINE + 300];

	ls_cause_line(c, TOP_CAUSE_FRAMES, line, sizeof(line));
	if (c->nframes)
		snprintf(both, sizeof(both), "%s (%s)", line,
			 ls_cause_share(c, samples, nsamples, weight, total, share, sizeof(share)));
	else
		snprintf(both, sizeof(both), "%s", line);
	return ls_esc_str(LS_ESC_TEXT, out, sz, both, sizeof(both));
}

void top_causes__draw(const struct top_causes *tc, FILE *f, unsigned max_groups)
{
	char esc[LS_ESC_SIZE(TOP_LINE + 300)], comm[LS_ESC_SIZE(LS_COMM_LEN)], a[16], b[16], t[16];
	const struct ls_cause *w = &tc->worst;
	unsigned i;

	if (tc->worst_ns)
		fprintf(f, "\nWORST STALL %s in %u/%u (%s): %s\n", ls_fmt_duration(a, sizeof(a), tc->worst_ns),
			tc->worst_pid, tc->worst_tid,
			ls_esc_str(LS_ESC_TEXT, comm, sizeof(comm), tc->worst_comm, sizeof(tc->worst_comm)),
			cause_text(w, w->samples, w->nsamples, w->weight, w->total, esc, sizeof(esc)));
	if (!tc->ngroups)
		return;
	fprintf(f, "\nSTALL CAUSES since the start, by total busy time\n");
	for (i = 0; i < tc->ngroups && i < max_groups; i++) {
		const struct ls_cause_group *g = &tc->groups[i];

		fprintf(f, "  %4u stall%s %9s-%-9s %9s in all: %s\n", g->count, g->count == 1 ? " " : "s",
			ls_fmt_duration(a, sizeof(a), g->min_ns), ls_fmt_duration(b, sizeof(b), g->max_ns),
			ls_fmt_duration(t, sizeof(t), g->total_ns),
			cause_text(&g->cause, g->samples, g->nsamples, g->weight, g->total_weight, esc,
				   sizeof(esc)));
	}
	if (tc->ngroups > max_groups || tc->ungrouped)
		fprintf(f, "  ... %u more causes%s\n", tc->ngroups > max_groups ? tc->ngroups - max_groups : 0,
			tc->ungrouped ? ", and stalls past the causes kept" : "");
}

const char *top_causes__line(const struct top_causes *tc, char *buf, size_t sz)
{
	char esc[LS_ESC_SIZE(TOP_LINE + 300)];
	const struct ls_cause *w = &tc->worst;

	if (!tc->worst_ns)
		buf[0] = '\0';
	else	/* last on the line: the rest of it, whatever the names hold */
		snprintf(buf, sz, " cause: %s",
			 cause_text(w, w->samples, w->nsamples, w->weight, w->total, esc, sizeof(esc)));
	return buf;
}

void top_causes__reset_window(struct top_causes *tc)
{
	tc->worst_ns = 0;
}
