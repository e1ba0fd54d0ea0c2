/* SPDX-License-Identifier: BSD-2-Clause */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "collector/file_io.h"
#include "collector/record.h"
#include "stall_cause.h"
#include "summary_text.h"
#include "text_escape.h"
#include "wallclock.h"

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

#define MAX_PERIOD 8
#define MAX_PREFIX 32	/* runtime frames above the recursion (V8's overflow handling) */

/* Whether names[at..] repeats with period p at least three times. */
static bool repeats(const char *const *names, size_t n, size_t at, size_t p)
{
	size_t i;

	if (at + 3 * p > n)
		return false;
	for (i = at; i + p < at + 3 * p; i++)
		if (!names[i] || !names[i + p] || strcmp(names[i], names[i + p]))
			return false;
	return true;
}

const char *ls_recursion(char *buf, size_t sz, const char *const *names, size_t n)
{
	size_t p, at, i, off = 0;

	buf[0] = '\0';
	for (at = 0; at < MAX_PREFIX && at < n; at++) {
		for (p = 1; p <= MAX_PERIOD; p++) {
			if (!repeats(names, n, at, p))
				continue;
			/* leaf first in the stack: print callers first, closing the cycle */
			for (i = at + p; i-- > at && off < sz;)
				off += (size_t)snprintf(buf + off, sz - off, "%s -> ", names[i]);
			if (off < sz)
				snprintf(buf + off, sz - off, "%s", names[at + p - 1]);
			return buf;
		}
	}
	return buf;
}

static const char *frame_name(const struct summary_text_meta *m, uint32_t pid, uint64_t ip,
			      bool kernel, char *buf, size_t sz)
{
	struct ls_frame_info fi = { .ip = ip };

	if (m->resolve)
		m->resolve(m->resolve_ctx, pid, ip, kernel, &fi);	/* unnamed: module+0xaddr */
	fi.ip = ip;
	return ls_frame_label(&fi, buf, sz);
}

/*
 * The innermost frames of a stack, "a <- b <- c", into buf: up to 3 named
 * ones, with the unnamed ones among them as module+0xaddr (a stripped
 * static function is still where the time went; leaving it out would
 * blame its callers), 5 frames at most; a function named as its callee
 * is shown once.
 */
static const char *top_frames(const struct summary_text_meta *m, uint32_t pid,
			      const struct ls_stack *st, char *buf, size_t sz)
{
	struct ls_frame_info fi;
	const char *prev = NULL;
	char label[224];
	size_t off = 0;
	uint32_t i, shown = 0, named = 0;

	buf[0] = '\0';
	for (i = 0; st && i < st->nframes && shown < 5 && named < 3 && off < sz; i++) {
		memset(&fi, 0, sizeof(fi));
		if (m->resolve)
			m->resolve(m->resolve_ctx, pid, st->ips[i], false, &fi);
		fi.ip = st->ips[i];
		/* the vDSO's clock_gettime under libc's says nothing twice */
		if (fi.function && prev && !strcmp(fi.function, prev))
			continue;
		prev = fi.function;
		named += fi.function != NULL;
		off += (size_t)snprintf(buf + off, sz - off, "%s%s", shown++ ? " <- " : "",
					ls_frame_label(&fi, label, sizeof(label)));
	}
	if (!buf[0])
		snprintf(buf, sz, "unnamed code");
	return buf;
}

/* Where the stall's commonest stack ran, and where it blocked longest. */
static void write_stall_cause(FILE *f, const struct ls_stall *st, uint32_t pid,
			      const struct summary_text_meta *m)
{
	const struct ls_stack *u = NULL;
	char buf[256], esc[LS_ESC_SIZE(256)], waker[LS_ESC_SIZE(LS_COMM_LEN)];
	uint32_t i;

	if (!m->corr)
		return;
	/* the commonest stack that has user frames: one whose copy was skipped names nothing */
	for (i = 0; i < st->nstacks && !(u && u->nframes); i++)
		u = correlator__stack(m->corr, st->stacks[i].user);
	/* symbol and thread names come from the target: escaped for the terminal */
	if (u && u->nframes)
		fprintf(f, "      on CPU: %u/%u samples in %s\n", st->stacks[i - 1].count, st->nsamples,
			ls_esc_str(LS_ESC_TEXT, esc, sizeof(esc), top_frames(m, pid, u, buf, sizeof(buf)),
				   sizeof(buf)));
	if (st->offcpu_ns && (u = correlator__stack(m->corr, st->off_user)) && u->nframes)
		fprintf(f, "      off CPU: %.1f ms blocked in %s%s%s\n", st->offcpu_ns / 1e6,
			ls_esc_str(LS_ESC_TEXT, esc, sizeof(esc), top_frames(m, pid, u, buf, sizeof(buf)),
				   sizeof(buf)),
			st->waker_tid ? "; woken from " : "",
			ls_esc_str(LS_ESC_TEXT, waker, sizeof(waker), st->waker_tid ? st->waker_comm : "",
				   sizeof(st->waker_comm)));
}

/*
 * Repeated RangeErrors (V8's, caught and thrown again) are told once: by the
 * first of the run whose stack was taken, so one sample lost to a busy ring
 * or a capped copy does not leave the recursion unnamed.
 */
static const struct ls_overflow *best_of_run(const struct ls_summary *s, uint32_t first)
{
	uint32_t i;

	if (s->overflows[first].kind != LS_OVERFLOW_V8)
		return &s->overflows[first];
	for (i = first; i < s->noverflows && s->overflows[i].kind == LS_OVERFLOW_V8; i++)
		if (s->overflows[i].user && s->overflows[i].user->nframes)
			return &s->overflows[i];
	return &s->overflows[first];
}

static void write_overflow(FILE *f, const struct ls_overflow *o, const struct summary_text_meta *m)
{
	const char *names[LS_MAX_STACK_DEPTH] = {};
	char bufs[8][32], rec[256], erec[LS_ESC_SIZE(256)], comm[LS_ESC_SIZE(LS_COMM_LEN)];
	uint64_t used = o->stack_end > o->sp ? o->stack_end - o->sp : 0;
	uint32_t i, n = o->user ? o->user->nframes : 0;

	for (i = 0; i < n; i++)
		names[i] = frame_name(m, o->pid, o->user->ips[i], false, bufs[i % 8], sizeof(bufs[0]));
	/* the address buffers rotate: only named frames are compared reliably */
	ls_recursion(rec, sizeof(rec), names, n);
	fprintf(f, "  %s in thread %u (%s): used %" PRIu64 " KiB of %" PRIu64 " KiB%s%s, %u frames deep\n",
		o->kind == LS_OVERFLOW_V8 ? "JS stack overflow (RangeError)" : "stack overflow",
		o->tid, ls_esc_str(LS_ESC_TEXT, comm, sizeof(comm), o->comm[0] ? o->comm : "?",
				   sizeof(o->comm)),
		used >> 10, (o->stack_end - o->stack_start) >> 10, rec[0] ? "; recursion: " : "",
		ls_esc_str(LS_ESC_TEXT, erec, sizeof(erec), rec, sizeof(rec)), o->frames);
}

#define TEXT_CAUSE_FRAMES	4	/* the cause and 3 callers: one line per group */
#define TEXT_GROUPS		5

/*
 * The kept stalls grouped by cause, largest total first: "25 stalls,
 * 80.1-80.2 ms, 2.0 s in all: busy_spin <- handle_block <- loop_run (...)".
 */
static void write_groups(FILE *f, const struct ls_cause_group *g, uint32_t n)
{
	char lo[32], hi[32], tot[32], line[512], share[256], esc[LS_ESC_SIZE(512)];
	uint32_t i;

	for (i = 0; i < n && i < TEXT_GROUPS; i++) {
		const struct ls_cause_group *c = &g[i];

		ls_fmt_duration(lo, sizeof(lo), c->min_ns);
		ls_fmt_duration(hi, sizeof(hi), c->max_ns);
		if (c->count == 1)
			fprintf(f, "      1 stall, %s", hi);
		else
			fprintf(f, "      %u stalls, %s-%s", c->count, lo, hi);
		ls_cause_line(&c->cause, TEXT_CAUSE_FRAMES, line, sizeof(line));
		ls_cause_share(&c->cause, c->samples, c->nsamples, c->weight, c->total_weight, share,
			       sizeof(share));
		/* frame and thread names come from the target: escaped for the terminal */
		fprintf(f, ", %s in all: %s", ls_fmt_duration(tot, sizeof(tot), c->total_ns),
			ls_esc_str(LS_ESC_TEXT, esc, sizeof(esc), line, sizeof(line)));
		fprintf(f, c->cause.nframes ? " (%s)\n" : "\n",
			ls_esc_str(LS_ESC_TEXT, esc, sizeof(esc), share, sizeof(share)));
	}
	if (n > TEXT_GROUPS)
		fprintf(f, "      ... %u more causes (the JSON summary lists all)\n", n - TEXT_GROUPS);
}

/* The stalls: their causes grouped, then the longest one with its commonest stacks. */
static void write_stalls(FILE *f, const struct ls_loop_summary *l, const struct summary_text_meta *m,
			 uint64_t first_ts, uint64_t unix_offset_ns)
{
	struct ls_cause_ctx cx = { .resolve = m->resolve, .resolve_ctx = m->resolve_ctx, .pid = l->pid };
	struct ls_cause *causes = calloc(LS_TOP_STALLS, sizeof(*causes));
	struct ls_cause_group *groups = calloc(LS_CAUSE_GROUPS, sizeof(*groups));
	const struct ls_stall *st = &l->top_stalls[0];
	int n = causes && groups && m->corr ? ls_loop_causes(&cx, m->corr, l, causes, groups) : -1;
	char max[32], at[80] = "", utc[40];

	if (n > 0) {
		fprintf(f, "    stall causes (%s%u stall%s):\n", l->stalls > l->nstalls_kept ?
			"the longest " : "", l->nstalls_kept, l->nstalls_kept == 1 ? "" : "s");
		write_groups(f, groups, (uint32_t)n);
	}
	if (first_ts && st->start >= first_ts)
		snprintf(at, sizeof(at), " at +%.3f s%s%s%s", (st->start - first_ts) / 1e9,
			 unix_offset_ns ? " (" : "",
			 ls_wallclock(utc, sizeof(utc), st->start, unix_offset_ns, LS_WALL_TIME),
			 unix_offset_ns ? ")" : "");
	fprintf(f, "    %s: %s busy in iteration %" PRIu64 "%s (%u calls, %u file I/O)\n",
		n > 0 ? "longest stall" : "stall", ls_fmt_duration(max, sizeof(max), st->busy_ns),
		st->seq, at, st->ncalls, st->nfile_io);
	write_stall_cause(f, st, l->pid, m);
	free(causes);
	free(groups);
}

const char *ls_file_io_label(char *buf, size_t sz, const struct ls_file_io *io)
{
	if (io->path_len)
		return ls_esc_str(LS_ESC_TEXT, buf, sz, io->path, io->path_len);
	snprintf(buf, sz, "fd %d (closed before it was named)", io->fd);
	return buf;
}

const char *ls_sys_mask_names(char *buf, size_t sz, uint32_t mask)
{
	size_t n = 0;
	unsigned k;

	buf[0] = 0;
	for (k = 1; k < LS_SYS_MAX && k < 32 && n < sz; k++)
		if (mask & (1u << k))
			n += (size_t)snprintf(buf + n, sz - n, "%s%s", n ? "," : "", ls_syscall_name(k));
	return buf;
}

/*
 * The finding, its three costliest files (the costliest with the innermost
 * frames of its longest call's stack), and the perf map's writes apart
 * (not a finding).
 */
static void write_file_io(FILE *f, const struct ls_loop_summary *l, const struct summary_text_meta *m)
{
	char a[32], b[32], sys[64], label[LS_ESC_SIZE(LS_FD_PATH_MAX)];
	char buf[256], esc[LS_ESC_SIZE(256)];
	unsigned idx[LS_TOP_FILE_FDS], i, n = ls_file_io_by_time(l, idx);
	const struct ls_stack *st;

	if (l->file_io_calls)
		fprintf(f, "    finding: %" PRIu64 " synchronous regular-file calls on the loop thread, "
			"%s in total\n", l->file_io_calls, ls_fmt_duration(a, sizeof(a), l->file_io_ns));
	for (i = 0; i < n && i < 3; i++) {
		const struct ls_file_io *io = &l->file_io[idx[i]];

		fprintf(f, "      %s %s: %" PRIu64 " calls, %s, longest %s\n",
			ls_sys_mask_names(sys, sizeof(sys), io->sys_mask),
			ls_file_io_label(label, sizeof(label), io), io->count,
			ls_fmt_duration(a, sizeof(a), io->total_ns), ls_fmt_duration(b, sizeof(b), io->max_ns));
		st = i == 0 && m->corr && io->user_stack >= 0 ? correlator__stack(m->corr, io->user_stack) : NULL;
		if (st && st->nframes)
			fprintf(f, "        from %s\n", ls_esc_str(LS_ESC_TEXT, esc, sizeof(esc),
							   top_frames(m, l->pid, st, buf, sizeof(buf)), sizeof(buf)));
	}
	if (l->perf_map.count)
		fprintf(f, "    perf map writes: %" PRIu64 ", %s (the target's /tmp/perf-PID.map "
			"for perf's JIT names: not a finding)\n", l->perf_map.count,
			ls_fmt_duration(a, sizeof(a), l->perf_map.total_ns));
}

static void write_loop(FILE *f, const struct ls_loop_summary *l, const struct summary_text_meta *m,
		       uint64_t first_ts, uint64_t unix_offset_ns)
{
	char p50[32], p99[32], max[32], comm[LS_ESC_SIZE(LS_COMM_LEN)];

	if (l->merged)
		fprintf(f, "  loop threads that exited (%u, merged):", l->merged);
	else
		fprintf(f, "  loop %s[%u]:", ls_esc_str(LS_ESC_TEXT, comm, sizeof(comm),
							l->comm[0] ? l->comm : "?", sizeof(l->comm)),
			l->tid);
	fprintf(f, " %" PRIu64 " iterations, busy p50 %s p99 %s max %s, %" PRIu64
		" stalls\n", l->iterations,
		ls_fmt_duration(p50, sizeof(p50), ls_hist_quantile(&l->busy, 0.5)),
		ls_fmt_duration(p99, sizeof(p99), ls_hist_quantile(&l->busy, 0.99)),
		ls_fmt_duration(max, sizeof(max), l->busy.max), l->stalls);
	if (l->nstalls_kept)
		write_stalls(f, l, m, first_ts, unix_offset_ns);
	write_file_io(f, l, m);
}

/* The deepest stacks seen by the sampler, deepest first (three at most). */
static void write_hwm(FILE *f, const struct ls_summary *s)
{
	const struct ls_stack_hwm *best[3] = {};
	char comm[LS_ESC_SIZE(LS_COMM_LEN)];
	uint32_t i, k;

	for (i = 0; i < s->nhwm; i++) {
		const struct ls_stack_hwm *h = &s->hwm[i];

		for (k = 0; k < 3 && best[k] && best[k]->used_max >= h->used_max; k++)
			;
		if (k == 3)
			continue;
		memmove(&best[k + 1], &best[k], (2 - k) * sizeof(best[0]));
		best[k] = h;
	}
	for (k = 0; k < 3 && best[k]; k++)
		fprintf(f, "  stack high-water: thread %u (%s): %" PRIu64 " KiB of %" PRIu64 " KiB\n",
			best[k]->tid, ls_esc_str(LS_ESC_TEXT, comm, sizeof(comm),
						 best[k]->comm[0] ? best[k]->comm : "?", sizeof(best[k]->comm)),
			best[k]->used_max >> 10,
			best[k]->size >> 10);
}

const char *ls_proc_header(char *buf, size_t sz, const struct ls_summary *s,
			   const struct ls_loop_summary *l)
{
	const struct ls_process *p = ls_summary_proc(s, l->pid);
	const char *name = ls_loop_proc_comm(s, l);
	char comm[LS_ESC_SIZE(LS_COMM_LEN)];
	int n;

	/* both are the target's bytes; a long command line is cut at a whole character */
	ls_esc_str(LS_ESC_TEXT, comm, sizeof(comm), name[0] ? name : "?", LS_COMM_LEN);
	n = snprintf(buf, sz, "PID %u %s", l->pid, comm);
	if (p && p->cmdline_len && n > 0 && (size_t)n + 3 < sz) {
		memcpy(buf + n, ": ", 3);
		ls_esc_str(LS_ESC_TEXT, buf + n + 2, sz - (size_t)n - 2, p->cmdline, p->cmdline_len);
	}
	return buf;
}

static bool loop_shown(const struct ls_loop_summary *l)
{
	return l->iterations && l->tid;
}

/*
 * Several processes with loops: each process's loops under its header, the
 * processes in the order of their first loop, the merged entry (exited
 * loop threads of any process) last.
 */
static void write_grouped(FILE *f, const struct ls_summary *s, const struct summary_text_meta *m)
{
	char hdr[LS_PROC_HEADER_SIZE];
	uint32_t i, j;

	for (i = 0; i < s->nloops; i++) {
		if (!loop_shown(s->loops[i]))
			continue;
		for (j = 0; j < i && !(loop_shown(s->loops[j]) && s->loops[j]->pid == s->loops[i]->pid); j++)
			;
		if (j < i)
			continue;	/* its process was written with its first loop */
		fprintf(f, "  %s\n", ls_proc_header(hdr, sizeof(hdr), s, s->loops[i]));
		for (j = i; j < s->nloops; j++)
			if (loop_shown(s->loops[j]) && s->loops[j]->pid == s->loops[i]->pid)
				write_loop(f, s->loops[j], m, s->first_ts, s->unix_offset_ns);
	}
	for (i = 0; i < s->nloops; i++)
		if (s->loops[i]->iterations && !s->loops[i]->tid)
			write_loop(f, s->loops[i], m, s->first_ts, s->unix_offset_ns);
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
	if (ls_summary_loop_pids(s) > 1)
		write_grouped(f, s, m);
	else
		for (i = 0; i < s->nloops; i++)
			if (s->loops[i]->iterations)
				write_loop(f, s->loops[i], m, s->first_ts, s->unix_offset_ns);
	for (i = 0; i < s->noverflows; i++)
		if (s->overflows[i].at_stack_end && (s->overflows[i].kind == LS_OVERFLOW_SEGV || i == 0 ||
		    s->overflows[i - 1].kind != LS_OVERFLOW_V8))
			write_overflow(f, best_of_run(s, i), m);
	write_hwm(f, s);
	if (s->v8_overflows)
		fprintf(f, "  JS RangeError (Maximum call stack size exceeded) thrown %" PRIu64 " times\n",
			s->v8_overflows);
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
