/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The tables of `loopscope report`. Every row is fixed width and under 80
 * columns (bcc's rule); a duration is always printed by ls_fmt_duration so
 * the tables, the end-of-run summary and `check` read the same way. Every
 * string of the file (names, the command line, the version) came from the
 * target or from whoever wrote the file: it is escaped for the terminal
 * (text_escape.h), so a column may grow but no byte reaches the terminal raw.
 */
#include <inttypes.h>
#include <string.h>
#include "collector/cause.h"
#include "collector/file_io.h"
#include "collector/record.h"
#include "stall_cause.h"
#include "wallclock.h"
#include "report_text.h"
#include "summary_text.h"
#include "text_escape.h"

#define BAR_WIDTH	40
#define REPORT_CAUSE_FRAMES 6	/* the cause and 5 callers (or 3, "...", a JS caller and its caller) */
#define ROW_MAX		80	/* a row's bytes with its NUL: under 80 columns */

struct out {
	FILE *f;
	bool color;
};

static void heading(const struct out *o, const char *fmt, const char *arg)
{
	fputs(o->color ? "\033[1m" : "", o->f);
	fprintf(o->f, fmt, arg);
	fputs(o->color ? "\033[0m\n" : "\n", o->f);
}

static const char *dur(char *buf, uint64_t ns)
{
	return ls_fmt_duration(buf, 16, ns);
}

unsigned report_loop_order(const struct ls_summary *s, unsigned *idx, unsigned max)
{
	unsigned i, j, n = 0, t;

	for (i = 0; i < s->nloops && n < max; i++)
		if (s->loops[i]->iterations)
			idx[n++] = i;
	for (i = 1; i < n; i++)		/* insertion sort: a handful of loops */
		for (j = i; j > 0 && s->loops[idx[j]]->busy_total_ns >
				     s->loops[idx[j - 1]]->busy_total_ns; j--) {
			t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	return n;
}

static void write_header(const struct out *o, const struct summary_file *sf, const char *name,
			 bool grouped)
{
	uint64_t drops = summary_file_drops(sf);
	char thr[16], esc[LS_ESC_SIZE(256)];

	heading(o, "loopscope report: %s", ls_esc_str(LS_ESC_TEXT, esc, sizeof(esc), name, SIZE_MAX));
	fprintf(o->f, "target   PID %u (%s)\n", sf->pid,
		ls_esc_str(LS_ESC_TEXT, esc, sizeof(esc), sf->command ? sf->command : "?", 60));
	fprintf(o->f, "run      %.2f s, recorded by loopscope %s\n", sf->duration_s,
		ls_esc_str(LS_ESC_TEXT, esc, sizeof(esc), sf->version, 20));
	fprintf(o->f, "stalls   busy >= %s; %" PRIu64 " threads, %" PRIu64
		" records, %" PRIu64 " calls on other threads\n",
		dur(thr, sf->s.stall_threshold_ns), sf->s.threads, sf->s.records, sf->s.other_calls);
	if (grouped)	/* one process: the line says nothing "target" does not */
		fprintf(o->f, "procs    %u with loops, %" PRIu64 " seen, %u listed, %" PRIu64
			" with loops not listed\n", ls_summary_loop_pids(&sf->s), sf->s.procs_seen,
			sf->s.nprocs, sf->s.procs_merged);
	if (drops)
		fprintf(o->f, "drops    WARNING %" PRIu64 " lost: ring buffer %" PRIu64 ", inflight "
			"map %" PRIu64 ", missed exits %" PRIu64 ", bad records %" PRIu64 "\n", drops,
			sf->drops_rb, sf->drops_inflight, sf->drops_missed_exit, sf->bad_records);
	else
		fprintf(o->f, "drops    0\n");
}

/*
 * Several processes with loops: idx regrouped by process, each group where
 * its busiest loop was, the merged entry (loops of any process) last.
 * Returns whether it grouped.
 */
static bool group_by_process(const struct ls_summary *s, unsigned *idx, unsigned n)
{
	unsigned out[LS_SUMMARY_MAX_LOOPS], k = 0, i, j;
	bool done[LS_SUMMARY_MAX_LOOPS] = { false };

	if (ls_summary_loop_pids(s) < 2)
		return false;
	for (i = 0; i < n; i++) {
		uint32_t pid = s->loops[idx[i]]->pid;

		if (done[i] || !s->loops[idx[i]]->tid)
			continue;
		for (j = i; j < n; j++)
			if (!done[j] && s->loops[idx[j]]->tid && s->loops[idx[j]]->pid == pid) {
				out[k++] = idx[j];
				done[j] = true;
			}
	}
	for (i = 0; i < n; i++)
		if (!done[i])
			out[k++] = idx[i];
	memcpy(idx, out, n * sizeof(*idx));
	return true;
}

/* The process header above loop i of idx, when grouped and it starts a group; else NULL. */
static const char *group_header(char *buf, const struct ls_summary *s, const unsigned *idx,
				unsigned i, bool grouped)
{
	const struct ls_loop_summary *l = s->loops[idx[i]];
	const struct ls_loop_summary *prev = i ? s->loops[idx[i - 1]] : NULL;

	if (!grouped || !l->tid || (prev && prev->tid && prev->pid == l->pid))
		return NULL;
	return ls_proc_header(buf, ROW_MAX, s, l);
}

static void write_loops(const struct out *o, const struct summary_file *sf, const unsigned *idx,
			unsigned n, bool grouped)
{
	char p99[16], comm[LS_ESC_SIZE(LS_COMM_LEN)], hdr[ROW_MAX];
	unsigned i;

	fputc('\n', o->f);
	heading(o, "%s", "LOOP THREADS (by busy time)");
	fprintf(o->f, "%-8s %-16s %10s %9s %6s %10s %7s\n", "TID", "COMM", "ITER", "ITER/S",
		"BUSY%", "BUSY P99", "STALLS");
	for (i = 0; i < n; i++) {
		const struct ls_loop_summary *l = sf->s.loops[idx[i]];
		double span = (double)(l->busy_total_ns + l->poll_total_ns);

		if (group_header(hdr, &sf->s, idx, i, grouped))
			fprintf(o->f, "%s\n", hdr);
		fprintf(o->f, "%-8u %-16s %10" PRIu64 " %9.1f %5.1f%% %10s %7" PRIu64 "\n",
			l->tid, ls_esc_str(LS_ESC_TEXT, comm, sizeof(comm), l->comm[0] ? l->comm : "?",
					   sizeof(l->comm)),
			l->iterations,
			sf->duration_s > 0 ? (double)l->iterations / sf->duration_s : 0.0,
			span > 0 ? 100.0 * (double)l->busy_total_ns / span : 0.0,
			dur(p99, ls_hist_quantile(&l->busy, 0.99)), l->stalls);
	}
	if (!n)
		fprintf(o->f, "(no loop thread: no thread returned from an epoll wait twice)\n");
}

static void dist_row(const struct out *o, const char *name, const struct ls_hist *h)
{
	char a[16], b[16], c[16], d[16], e[16];

	fprintf(o->f, "  %-10s %9" PRIu64 " %10s %10s %10s %10s %10s\n", name, h->count,
		dur(a, ls_hist_quantile(h, 0.5)), dur(b, ls_hist_quantile(h, 0.9)),
		dur(c, ls_hist_quantile(h, 0.99)), dur(d, h->count ? h->max : 0), dur(e, h->sum));
}

/* The runqlat-style log2 view of a histogram, in microseconds. */
static void write_log2(const struct out *o, const struct ls_hist *h)
{
	uint64_t slots[64] = { 0 }, top = 0;
	unsigned i, s, lo = 64, hi = 0, stars;

	for (i = 0; i < LS_HIST_BUCKETS; i++) {
		uint64_t us = ls_hist_bucket_low(i) / 1000;

		if (!h->buckets[i])
			continue;
		s = us ? 64 - (unsigned)__builtin_clzll(us) : 0;
		slots[s] += h->buckets[i];
		lo = s < lo ? s : lo;
		hi = s > hi ? s : hi;
	}
	for (s = lo; s <= hi && s < 64; s++)
		top = slots[s] > top ? slots[s] : top;
	fprintf(o->f, "  %23s : %-8s %s\n", "busy usecs", "count", "distribution");
	for (s = lo; s <= hi && s < 64; s++) {
		stars = top ? (unsigned)(slots[s] * BAR_WIDTH / top) : 0;
		fprintf(o->f, "  %10" PRIu64 " -> %-9" PRIu64 " : %-8" PRIu64 " |%-*.*s|\n",
			s ? (uint64_t)1 << (s - 1) : 0, s ? ((uint64_t)1 << s) - 1 : 0, slots[s], BAR_WIDTH,
			stars, "****************************************");
	}
}

/* The commonest fd kind and how many others: "socket 1801 +2", to stay in 80 columns. */
static void fd_kinds(char *buf, size_t sz, const struct ls_sys_stats *ss)
{
	unsigned k, best = LS_FD_KIND_MAX, others = 0;

	for (k = 0; k < LS_FD_KIND_MAX; k++) {
		if (!ss->by_fd_kind[k])
			continue;
		if (best == LS_FD_KIND_MAX || ss->by_fd_kind[k] > ss->by_fd_kind[best])
			best = k;
		others++;
	}
	if (best == LS_FD_KIND_MAX)
		snprintf(buf, sz, "-");
	else if (others > 1)
		snprintf(buf, sz, "%s %" PRIu64 " +%u", ls_fd_kind_name(best), ss->by_fd_kind[best],
			 others - 1);
	else
		snprintf(buf, sz, "%s %" PRIu64, ls_fd_kind_name(best), ss->by_fd_kind[best]);
}

static void write_syscalls(const struct out *o, const struct ls_loop_summary *l, unsigned top)
{
	unsigned order[LS_SYS_MAX], n = 0, i, j, t;
	char a[16], b[16], c[16], kinds[64];

	for (i = 0; i < LS_SYS_MAX; i++)
		if (l->sys[i])
			order[n++] = i;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && l->sys[order[j]]->total_ns > l->sys[order[j - 1]]->total_ns; j--) {
			t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	if (!n)
		return;
	fprintf(o->f, "\n  %-12s %8s %6s %10s %10s %10s  %s\n", "SYSCALL", "COUNT", "ERR",
		"TOTAL", "P99", "MAX", "FD KINDS");
	for (i = 0; i < n && (!top || i < top); i++) {
		const struct ls_sys_stats *ss = l->sys[order[i]];

		fd_kinds(kinds, sizeof(kinds), ss);
		fprintf(o->f, "  %-12s %8" PRIu64 " %6" PRIu64 " %10s %10s %10s  %s\n",
			ls_syscall_name(order[i]), ss->count, ss->errors, dur(a, ss->total_ns),
			dur(b, ls_hist_quantile(&ss->dur, 0.99)), dur(c, ss->dur.count ? ss->dur.max : 0),
			kinds);
	}
}

/*
 * "474/475 samples, 100%" on CPU; "93% of its time, off CPU in
 * __x64_sys_read on pipe fd 5 (read)" when blocking holds it (a path is the
 * target's: the caller escapes the line).
 */
static const char *group_share(char *buf, size_t sz, const struct ls_cause_group *g)
{
	unsigned pct = (unsigned)(100 * (g->total_weight > 0 ? g->weight / g->total_weight : 0) + 0.5);
	int n;

	if (!g->cause.offcpu && g->nsamples)
		n = snprintf(buf, sz, "%" PRIu64 "/%" PRIu64 " samples, %u%%", g->samples, g->nsamples, pct);
	else
		n = snprintf(buf, sz, "%u%% of its time%s", pct, g->cause.offcpu ? ", off CPU" : "");
	if (n > 0 && (size_t)n < sz)
		ls_cause_wait_text(&g->cause, buf + n, sz - (size_t)n);
	return buf;
}

/* The kept stalls grouped by cause (the summary's "stall_causes"), each cause with its callers. */
static void write_causes(const struct out *o, const struct ls_loop_summary *l, unsigned top)
{
	char a[16], b[16], c[16], share[512], esc[LS_ESC_SIZE(LS_CAUSE_LABEL)], esc_share[LS_ESC_SIZE(512)];
	int idx[REPORT_CAUSE_FRAMES + 1];
	unsigned i, k, n;

	if (!l->ncauses)
		return;
	fprintf(o->f, "\n  STALL CAUSES of the %s%u stall%s kept, by total busy time\n",
		l->stalls > l->nstalls_kept ? "longest " : "", l->nstalls_kept,
		l->nstalls_kept == 1 ? "" : "s");
	fprintf(o->f, "  %-3s %7s %10s %10s %10s %7s\n", "#", "COUNT", "MIN", "MAX", "TOTAL", "BUSY%");
	for (i = 0; i < l->ncauses && (!top || i < top); i++) {
		const struct ls_cause_group *g = &l->causes[i];

		fprintf(o->f, "  %-3u %7u %10s %10s %10s %6.1f%%\n", i + 1, g->count,
			dur(a, g->min_ns), dur(b, g->max_ns), dur(c, g->total_ns), 100 * g->share);
		if (!g->cause.nframes) {
			fprintf(o->f, "      no single function holds most of it\n");
			continue;
		}
		/* frame names and paths come from the target: escaped */
		fprintf(o->f, "      %s (%s)\n", ls_esc_str(LS_ESC_TEXT, esc, sizeof(esc),
							  g->cause.frames[0], LS_CAUSE_LABEL),
			ls_esc_str(LS_ESC_TEXT, esc_share, sizeof(esc_share),
				   group_share(share, sizeof(share), g), sizeof(share)));
		n = ls_cause_shown(&g->cause, REPORT_CAUSE_FRAMES, idx);
		for (k = 1; k < n; k++)
			fprintf(o->f, "        <- %s\n", idx[k] < 0 ? "..." :
				ls_esc_str(LS_ESC_TEXT, esc, sizeof(esc), g->cause.frames[idx[k]],
					   LS_CAUSE_LABEL));
	}
}

static void write_stalls(const struct out *o, const struct ls_loop_summary *l, unsigned top,
			 uint64_t first_ts, uint64_t unix_offset_ns)
{
	char a[16], off[24], utc[40];
	unsigned i;

	if (!l->nstalls_kept)
		return;
	fprintf(o->f, "\n  %-10s %10s %7s %9s %10s  %s\n", "STALL ITER", "BUSY", "CALLS", "FILE I/O",
		"AT", unix_offset_ns ? "START (UTC)" : "START (ns, CLOCK_BOOTTIME)");
	for (i = 0; i < l->nstalls_kept && (!top || i < top); i++) {
		const struct ls_stall *st = &l->top_stalls[i];

		/* AT: from the recording's start (the summary's start_ns), "-" in older files */
		if (first_ts && st->start >= first_ts)
			snprintf(off, sizeof(off), "+%.3f s", (st->start - first_ts) / 1e9);
		else
			snprintf(off, sizeof(off), "-");
		if (unix_offset_ns)
			fprintf(o->f, "  %-10" PRIu64 " %10s %7u %9u %10s  %s\n", st->seq,
				dur(a, st->busy_ns), st->ncalls, st->nfile_io, off,
				ls_wallclock(utc, sizeof(utc), st->start, unix_offset_ns, LS_WALL_ISO));
		else
			fprintf(o->f, "  %-10" PRIu64 " %10s %7u %9u %10s  %" PRIu64 "\n", st->seq,
				dur(a, st->busy_ns), st->ncalls, st->nfile_io, off, st->start);
	}
}

/* Under a file's row: the stack of its longest call that had one, innermost first. */
static void write_file_stack(const struct out *o, const struct ls_file_io *io)
{
	char esc[LS_ESC_SIZE(LS_FRAME_LABEL)], a[16];
	uint32_t i;

	if (!io->nframes)
		return;
	fprintf(o->f, "    stack of a %s call, innermost first:\n", dur(a, io->stack_call_ns));
	for (i = 0; i < io->nframes; i++)
		fprintf(o->f, "      %s\n", ls_esc_str(LS_ESC_TEXT, esc, sizeof(esc), io->frames[i],
						      LS_FRAME_LABEL));
	if (io->stack_nframes > io->nframes)
		fprintf(o->f, "      (%u more)\n", io->stack_nframes - io->nframes);
}

/* The finding by file, costliest first; the target's perf map writes apart: not a finding. */
static void write_file_io(const struct out *o, const struct ls_loop_summary *l, unsigned top)
{
	char a[16], b[16], sys[64], label[LS_ESC_SIZE(LS_FD_PATH_MAX)];
	unsigned idx[LS_TOP_FILE_FDS], i, n = ls_file_io_by_time(l, idx);

	if (l->file_io_calls) {
		fprintf(o->f, "\n  FINDING: %" PRIu64 " synchronous regular-file calls on the loop "
			"thread, %s\n", l->file_io_calls, dur(a, l->file_io_ns));
		/* the fixed columns leave 40 for the file: a longer path goes past 80, uncut */
		fprintf(o->f, "  %7s %9s %9s  %-8s %s\n", "COUNT", "TOTAL", "MAX", "SYSCALLS", "FILE");
	}
	for (i = 0; i < n && (!top || i < top); i++) {
		const struct ls_file_io *io = &l->file_io[idx[i]];

		fprintf(o->f, "  %7" PRIu64 " %9s %9s  %-8s %s\n", io->count, dur(a, io->total_ns),
			dur(b, io->max_ns), ls_sys_mask_names(sys, sizeof(sys), io->sys_mask),
			ls_file_io_label(label, sizeof(label), io));
		write_file_stack(o, io);
	}
	if (l->perf_map.count)
		fprintf(o->f, "\n  perf map writes: %" PRIu64 ", %s in total, longest %s\n"
			"  (the target's /tmp/perf-PID.map, JIT names for perf: not a finding)\n",
			l->perf_map.count,
			dur(a, l->perf_map.total_ns), dur(b, l->perf_map.max_ns));
}

/* A libuv loop's phases: where its time went, share of the loop's wall time (busy + poll wait). */
static void write_phases(const struct out *o, const struct ls_loop_summary *l)
{
	uint64_t loop_ns = l->busy_total_ns + l->poll_total_ns;
	char a[16], b[16], c[16];
	bool any = false;
	unsigned p;

	for (p = 0; p < LS_PHASE_MAX; p++) {
		const struct ls_phase_stats *ps = l->phases[p];

		if (!ps)
			continue;
		if (!any)
			fprintf(o->f, "\n  %-14s %9s %10s %10s %10s %6s\n", "PHASE", "COUNT", "P50", "P99",
				"TOTAL", "SHARE");
		any = true;
		fprintf(o->f, "  %-14s %9" PRIu64 " %10s %10s %10s %5.1f%%%s\n", ls_phase_name(p),
			ps->dur.count, dur(a, ls_hist_quantile(&ps->dur, 0.5)),
			dur(b, ls_hist_quantile(&ps->dur, 0.99)), dur(c, ps->total_ns),
			loop_ns ? 100.0 * (double)ps->total_ns / (double)loop_ns : 0.0,
			p == LS_PHASE_PENDING || p == LS_PHASE_CLOSING ? " inferred" : "");
	}
}

/* A quantile of a latency histogram; "-" when nothing was timed (a kind only run *Sync). */
static const char *quant(char *buf, const struct ls_hist *h, double q)
{
	return h->count ? dur(buf, ls_hist_quantile(h, q)) : "-";
}

/* The same by name: an fs operation, the owner's class or the work function (the target's symbols). */
static void write_pool_names(const struct out *o, const struct ls_pool_summary *p)
{
	char a[16], b[16], c[16], name[LS_ESC_SIZE(LS_WORK_NAME_MAX)];
	unsigned k;

	if (!p->nnamed)
		return;
	fprintf(o->f, "  %-30s %-11s %6s %7s %6s %10s %10s %10s\n", "BY OPERATION/CLASS/FUNCTION",
		"KIND", "DONE", "INCOMPL", "SYNC", "QUEUE P99", "RUN P99", "DONE P99");
	for (k = 0; k < p->nnamed; k++) {
		const struct ls_work_named *n = p->named[k];

		fprintf(o->f, "  %-30s %-11s %6" PRIu64 " %7" PRIu64 " %6" PRIu64 " %10s %10s %10s\n",
			ls_esc_str(LS_ESC_TEXT, name, sizeof(name), n->name, sizeof(n->name)),
			ls_work_kind_name(n->kind), n->st.count, n->st.incomplete, n->st.sync,
			quant(a, &n->st.queue, 0.99), quant(b, &n->st.run, 0.99),
			quant(c, &n->st.done, 0.99));
	}
	if (p->named_full)
		fprintf(o->f, "  %" PRIu64 " names or items past the %d names kept: counted by kind only\n",
			p->named_full, LS_MAX_WORK_NAMES);
}

/* libuv's thread pool, all loops' together, by kind of work. */
static void write_pool(const struct out *o, const struct ls_pool_summary *p)
{
	char a[16], b[16], c[16], d[16];
	bool any = false;
	unsigned k;

	for (k = 0; k < LS_WORK_KIND_MAX; k++) {
		const struct ls_work_stats *w = p->kinds[k];

		if (!w)
			continue;
		if (!any) {
			fputc('\n', o->f);
			heading(o, "%s", "THREAD POOL (libuv)");
			fprintf(o->f, "  %u workers seen, deepest queue %d, most running %d, workers idle "
				"%s\n", p->nworkers, p->max_queued, p->max_running, dur(a, p->worker_idle_ns));
			if (p->probed_late)
				fprintf(o->f, "  the pool of %u process%s seen from its first submit on (a "
					"stripped libuv: its callbacks probed then); items submitted before "
					"are not in the queue depth\n", p->probed_late,
					p->probed_late == 1 ? " was" : "es were");
			fprintf(o->f, "  %-12s %7s %7s %10s %10s %10s %10s\n", "KIND", "DONE", "INCOMPL",
				"QUEUE P50", "QUEUE P99", "RUN P99", "DONE P99");
		}
		any = true;
		fprintf(o->f, "  %-12s %7" PRIu64 " %7" PRIu64 " %10s %10s %10s %10s\n",
			ls_work_kind_name(k), w->count, w->incomplete,
			quant(a, &w->queue, 0.5), quant(b, &w->queue, 0.99),
			quant(c, &w->run, 0.99), quant(d, &w->done, 0.99));
		if (w->sync)
			fprintf(o->f, "  %-12s %7" PRIu64 " run on the loop thread itself (a *Sync call), %s\n",
				"", w->sync, dur(a, w->sync_ns));
	}
	if (any)
		write_pool_names(o, p);
}

static void write_loop(const struct out *o, const struct ls_loop_summary *l,
		       const struct report_text_opts *opts, uint64_t first_ts, uint64_t unix_offset_ns)
{
	char title[LS_ESC_SIZE(LS_COMM_LEN) + 16], comm[LS_ESC_SIZE(LS_COMM_LEN)];

	if (l->merged)
		snprintf(title, sizeof(title), "threads that exited (%u, merged)", l->merged);
	else
		snprintf(title, sizeof(title), "%s[%u]",
			 ls_esc_str(LS_ESC_TEXT, comm, sizeof(comm), l->comm[0] ? l->comm : "?",
				    sizeof(l->comm)), l->tid);
	fputc('\n', o->f);
	heading(o, "LOOP %s", title);
	fprintf(o->f, "  %-10s %9s %10s %10s %10s %10s %10s\n", "LATENCY", "COUNT", "P50", "P90",
		"P99", "MAX", "TOTAL");
	dist_row(o, "busy", &l->busy);
	dist_row(o, "poll wait", &l->poll);
	if (opts->hist && l->busy.count) {
		fputc('\n', o->f);
		write_log2(o, &l->busy);
	}
	write_phases(o, l);
	write_syscalls(o, l, opts->top);
	write_causes(o, l, opts->top);
	write_stalls(o, l, opts->top, first_ts, unix_offset_ns);
	write_file_io(o, l, opts->top);
}

void report_text__write(FILE *f, const struct summary_file *sf, const struct report_text_opts *o)
{
	struct out out = { .f = f, .color = o->color };
	unsigned idx[LS_SUMMARY_MAX_LOOPS], n, i;
	char hdr[ROW_MAX];
	bool grouped;

	n = report_loop_order(&sf->s, idx, LS_SUMMARY_MAX_LOOPS);
	if (o->top && n > o->top)
		n = o->top;
	grouped = group_by_process(&sf->s, idx, n);
	write_header(&out, sf, o->name ? o->name : "-", grouped);
	write_loops(&out, sf, idx, n, grouped);
	for (i = 0; i < n; i++) {
		if (group_header(hdr, &sf->s, idx, i, grouped)) {
			fputc('\n', f);
			heading(&out, "%s", hdr);
		}
		write_loop(&out, sf->s.loops[idx[i]], o, sf->s.first_ts, sf->s.unix_offset_ns);
	}
	write_pool(&out, &sf->s.pool);
}
