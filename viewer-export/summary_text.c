/* SPDX-License-Identifier: BSD-2-Clause */
#include <inttypes.h>
#include "collector/record.h"
#include "summary_text.h"

const char *ls_fmt_duration(char *buf, size_t sz, uint64_t ns)
{
	if (ns < 10000)
		snprintf(buf, sz, "%" PRIu64 " ns", ns);
	else if (ns < 10000000)
		snprintf(buf, sz, "%.1f us", (double)ns / 1e3);
	else if (ns < 10000000000ull)
		snprintf(buf, sz, "%.1f ms", (double)ns / 1e6);
	else
		snprintf(buf, sz, "%.2f s", (double)ns / 1e9);
	return buf;
}

static void write_loop(FILE *f, const struct ls_loop_summary *l)
{
	char p50[32], p99[32], max[32], fio[32];
	uint32_t i;

	fprintf(f, "  loop %s[%u]: %" PRIu64 " iterations, busy p50 %s p99 %s max %s, %" PRIu64
		" stalls\n", l->comm[0] ? l->comm : "?", l->tid, l->iterations,
		ls_fmt_duration(p50, sizeof(p50), ls_hist_quantile(&l->busy, 0.5)),
		ls_fmt_duration(p99, sizeof(p99), ls_hist_quantile(&l->busy, 0.99)),
		ls_fmt_duration(max, sizeof(max), l->busy.max), l->stalls);
	for (i = 0; i < l->nstalls_kept && i < 3; i++)
		fprintf(f, "    stall: %s busy in iteration %" PRIu64 " (%u calls, %u file I/O)\n",
			ls_fmt_duration(max, sizeof(max), l->top_stalls[i].busy_ns),
			l->top_stalls[i].seq, l->top_stalls[i].ncalls, l->top_stalls[i].nfile_io);
	if (l->file_io_calls)
		fprintf(f, "    finding: %" PRIu64 " synchronous regular-file calls on the loop thread, "
			"%s in total (fd %d first)\n", l->file_io_calls,
			ls_fmt_duration(fio, sizeof(fio), l->file_io_ns), l->file_io[0].fd);
}

void summary_text__write(FILE *f, const struct ls_summary *s, const struct summary_text_meta *m)
{
	uint32_t i, nloops = 0;

	for (i = 0; i < s->nloops; i++)
		nloops += s->loops[i]->iterations > 0;
	fprintf(f, "loopscope: %.1f s, %" PRIu64 " events, %" PRIu64 " threads, %u loop thread%s\n",
		m->duration_s, m->events, s->threads, nloops, nloops == 1 ? "" : "s");
	if (!nloops)
		fprintf(f, "  no loop thread seen: no thread returned from epoll_wait/epoll_pwait twice\n");
	for (i = 0; i < s->nloops; i++)
		if (s->loops[i]->iterations)
			write_loop(f, s->loops[i]);
	if (m->rb_drops || m->other_drops || s->bad_records)
		fprintf(f, "  WARNING: data lost: %" PRIu64 " ring-buffer drops, %" PRIu64
			" unpaired calls, %" PRIu64 " bad records\n",
			m->rb_drops, m->other_drops, s->bad_records);
	else
		fprintf(f, "  drops: 0\n");
	if (m->trace_path)
		fprintf(f, "  trace: %s (open in https://ui.perfetto.dev)\n", m->trace_path);
	if (m->summary_path)
		fprintf(f, "  summary: %s\n", m->summary_path);
}
