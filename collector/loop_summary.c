/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdlib.h>
#include "file_io.h"
#include "loop_summary.h"

void ls_loop_keep_stall(struct ls_loop_summary *l, const struct ls_stall *s)
{
	uint32_t i = l->nstalls_kept;

	if (i == LS_TOP_STALLS) {
		if (l->top_stalls[i - 1].busy_ns >= s->busy_ns)
			return;
		i--;
	} else {
		l->nstalls_kept++;
	}
	for (; i > 0 && l->top_stalls[i - 1].busy_ns < s->busy_ns; i--)
		l->top_stalls[i] = l->top_stalls[i - 1];
	l->top_stalls[i] = *s;
}

/* The stats of a call or phase kind, made at its first use. */
struct ls_sys_stats *ls_loop_sys(struct ls_loop_summary *l, uint32_t sys)
{
	if (!l->sys[sys] && (l->sys[sys] = calloc(1, sizeof(*l->sys[sys]))))
		ls_hist_init(&l->sys[sys]->dur);
	return l->sys[sys];
}

struct ls_phase_stats *ls_loop_phase(struct ls_loop_summary *l, uint32_t phase)
{
	if (!l->phases[phase] && (l->phases[phase] = calloc(1, sizeof(*l->phases[phase]))))
		ls_hist_init(&l->phases[phase]->dur);
	return l->phases[phase];
}

/* dst's entries for what src has, made before anything is added: a merge never half-happens */
static int make_room(struct ls_loop_summary *dst, const struct ls_loop_summary *src)
{
	unsigned k;

	for (k = 0; k < LS_SYS_MAX; k++)
		if (src->sys[k] && !ls_loop_sys(dst, k))
			return -ENOMEM;
	for (k = 0; k < LS_PHASE_MAX; k++)
		if (src->phases[k] && !ls_loop_phase(dst, k))
			return -ENOMEM;
	return 0;
}

static void merge_sys(struct ls_sys_stats *dst, const struct ls_sys_stats *src)
{
	unsigned k;

	dst->count += src->count;
	dst->errors += src->errors;
	dst->total_ns += src->total_ns;
	for (k = 0; k < LS_FD_KIND_MAX; k++)
		dst->by_fd_kind[k] += src->by_fd_kind[k];
	ls_hist_merge(&dst->dur, &src->dur);
}

int ls_loop_merge(struct ls_loop_summary *dst, const struct ls_loop_summary *src)
{
	unsigned k;

	if (make_room(dst, src))
		return -ENOMEM;
	dst->iterations += src->iterations;
	dst->stalls += src->stalls;
	dst->stall_total_ns += src->stall_total_ns;
	dst->stall_total_partial |= src->stall_total_partial;
	dst->busy_total_ns += src->busy_total_ns;
	dst->poll_total_ns += src->poll_total_ns;
	ls_hist_merge(&dst->busy, &src->busy);
	ls_hist_merge(&dst->poll, &src->poll);
	for (k = 0; k < LS_SYS_MAX; k++)
		if (src->sys[k])
			merge_sys(dst->sys[k], src->sys[k]);
	for (k = 0; k < LS_PHASE_MAX; k++) {
		if (!src->phases[k])
			continue;
		dst->phases[k]->total_ns += src->phases[k]->total_ns;
		ls_hist_merge(&dst->phases[k]->dur, &src->phases[k]->dur);
	}
	for (k = 0; k < src->nstalls_kept; k++)
		ls_loop_keep_stall(dst, &src->top_stalls[k]);
	ls_file_io_merge(dst, src);
	dst->merged += src->merged ? src->merged : 1;
	return 0;
}

void ls_loop_free(struct ls_loop_summary *l)
{
	unsigned k;

	if (!l)
		return;
	for (k = 0; k < LS_SYS_MAX; k++)
		free(l->sys[k]);
	for (k = 0; k < LS_PHASE_MAX; k++)
		free(l->phases[k]);
	free(l->causes);
	free(l);
}
