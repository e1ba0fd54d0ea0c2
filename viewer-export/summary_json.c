/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The summary as JSON, written with stdio. Errors of individual writes are
 * not checked one by one: the stream's error flag is sticky, so one check of
 * ferror() after fflush() at the end catches them all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "collector/file_io.h"
#include "collector/record.h"
#include "collector/json.h"
#include "wallclock.h"
#include "summary_json.h"
#include "stall_cause.h"
#include "summary_json_int.h"

#ifndef LS_VERSION
#define LS_VERSION "unknown"
#endif


/* Writes s (at most max bytes, stopping at NUL) as a JSON string; NULL as null. */
void sj_str(FILE *f, const char *str, size_t max)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n;

	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	while (i < max && s[i]) {
		if (s[i] == '"' || s[i] == '\\') {
			fputc('\\', f);
			fputc(s[i++], f);
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			fprintf(f, "\\u%04x", s[i++]);
		} else if (s[i] < 0x80) {
			fputc(s[i++], f);
		} else if ((n = ls_utf8_len(s + i, strnlen(str + i, max - i)))) {
			fwrite(s + i, 1, n, f);
			i += n;
		} else {
			fputs("\\ufffd", f);
			i++;
		}
	}
	fputc('"', f);
}

void sj_key(FILE *f, const char *key)
{
	sj_str(f, key, SIZE_MAX);
	fputc(':', f);
}

/*
 * The histogram itself, so that runs can be merged and compared as
 * distributions (docs/summary-schema.md): exact count, sum, min and max in
 * ns, then the non-empty buckets as [index, count] pairs, index ascending.
 */
static void write_hist(FILE *f, const struct ls_hist *h)
{
	const char *sep = "";
	unsigned i;

	fprintf(f, ",\"hist\":{\"count\":%llu,\"sum_ns\":%llu,\"min_ns\":%llu,\"max_ns\":%llu,"
		"\"buckets\":[", (unsigned long long)h->count, (unsigned long long)h->sum,
		(unsigned long long)(h->count ? h->min : 0), (unsigned long long)h->max);
	for (i = 0; i < LS_HIST_BUCKETS && h->count; i++) {
		if (!h->buckets[i])
			continue;
		fprintf(f, "%s[%u,%llu]", sep, i, (unsigned long long)h->buckets[i]);
		sep = ",";
	}
	fputs("]}", f);
}

/* {"count", "total_ms", "p50_ms", "p90_ms", "p99_ms", "max_ms", "hist"} of a histogram. */
void sj_dist_open(FILE *f, const char *key, const struct ls_hist *h, uint64_t total_ns)
{
	sj_key(f, key);
	fprintf(f, "{\"count\":%llu,\"total_ms\":%.3f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
		"\"p99_ms\":%.3f,\"max_ms\":%.3f",
		(unsigned long long)h->count, total_ns / NS_PER_MS,
		ls_hist_quantile(h, 0.5) / NS_PER_MS, ls_hist_quantile(h, 0.9) / NS_PER_MS,
		ls_hist_quantile(h, 0.99) / NS_PER_MS, h->count ? h->max / NS_PER_MS : 0.0);
	write_hist(f, h);
}

void sj_dist(FILE *f, const char *key, const struct ls_hist *h, uint64_t total_ns)
{
	sj_dist_open(f, key, h, total_ns);
	fputc('}', f);
}

static void write_fd_kinds(FILE *f, const struct ls_sys_stats *ss)
{
	const char *sep = "";
	unsigned k;

	fputs(",\"fd_kinds\":{", f);
	for (k = 0; k < LS_FD_KIND_MAX; k++) {
		if (!ss->by_fd_kind[k])
			continue;
		fputs(sep, f);
		sj_key(f, ls_fd_kind_name(k));
		fprintf(f, "%llu", (unsigned long long)ss->by_fd_kind[k]);
		sep = ",";
	}
	fputc('}', f);
}

static void write_syscalls(FILE *f, const struct ls_loop_summary *l)
{
	const char *sep = "";
	unsigned i;

	fputs(",\"syscalls\":{", f);
	for (i = 0; i < LS_SYS_MAX; i++) {
		const struct ls_sys_stats *ss = l->sys[i];

		if (!ss)
			continue;
		fputs(sep, f);
		sj_key(f, ls_syscall_name(i));
		fprintf(f, "{\"count\":%llu,\"errors\":%llu,\"total_ms\":%.3f,\"p50_us\":%.3f,"
			"\"p90_us\":%.3f,\"p99_us\":%.3f,\"max_us\":%.3f",
			(unsigned long long)ss->count, (unsigned long long)ss->errors,
			ss->total_ns / NS_PER_MS, ls_hist_quantile(&ss->dur, 0.5) / NS_PER_US,
			ls_hist_quantile(&ss->dur, 0.9) / NS_PER_US,
			ls_hist_quantile(&ss->dur, 0.99) / NS_PER_US,
			ss->dur.count ? ss->dur.max / NS_PER_US : 0.0);
		write_fd_kinds(f, ss);
		write_hist(f, &ss->dur);
		fputc('}', f);
		sep = ",";
	}
	fputc('}', f);
}

static void write_stall(FILE *f, const struct ls_summary *s, const struct ls_stall *st)
{
	fprintf(f, "{\"seq\":%llu,\"start_ns\":%llu,\"busy_ms\":%.3f,\"calls\":%u,"
		"\"file_io\":%u", (unsigned long long)st->seq, (unsigned long long)st->start,
		st->busy_ns / NS_PER_MS, st->ncalls, st->nfile_io);
	char utc[40];

	if (s->first_ts && st->start >= s->first_ts)
		fprintf(f, ",\"offset_s\":%.6f", (st->start - s->first_ts) / 1e9);
	if (*ls_wallclock(utc, sizeof(utc), st->start, s->unix_offset_ns, LS_WALL_ISO))
		fprintf(f, ",\"utc\":\"%s\"", utc);
}

/* The kept stalls with their stacks and causes, then the causes grouped. */
static int write_stalls(FILE *f, const struct ls_summary *s, const struct ls_loop_summary *l,
			const struct summary_json_meta *m)
{
	uint32_t i, n = l->nstalls_kept < LS_TOP_STALLS ? l->nstalls_kept : LS_TOP_STALLS;
	struct ls_cause_ctx cx = { .resolve = m->resolve, .resolve_ctx = m->resolve_ctx, .pid = l->pid };
	struct ls_cause *causes = calloc(LS_TOP_STALLS, sizeof(*causes));
	struct ls_cause_group *groups = calloc(LS_CAUSE_GROUPS, sizeof(*groups));
	int ngroups = causes && groups ? ls_loop_causes(&cx, m->corr, l, causes, groups) : -ENOMEM;

	/* Not "stalls": that key is already the loop's stall count. */
	fputs(",\"stalls_top\":[", f);
	for (i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		write_stall(f, s, &l->top_stalls[i]);
		sj_stall_stacks(f, &l->top_stalls[i], l->pid, m);
		if (ngroups >= 0)
			sj_stall_cause(f, &causes[i]);
		fputc('}', f);
	}
	fputc(']', f);
	if (ngroups >= 0)
		sj_stall_causes(f, l, groups, (uint32_t)ngroups);
	free(causes);
	free(groups);
	return ngroups < 0 ? ngroups : 0;
}

static void write_sys_mask(FILE *f, uint32_t mask)
{
	const char *sep = "";
	unsigned i;

	fputs(",\"syscalls\":[", f);
	for (i = 0; i < LS_SYS_MAX && i < 32; i++) {
		if (!(mask & (1u << i)))
			continue;
		fputs(sep, f);
		sj_str(f, ls_syscall_name(i), SIZE_MAX);
		sep = ",";
	}
	fputc(']', f);
}

/* The files by total time: path (null: not named, "fd" says which), cut when past LS_FD_PATH_MAX. */
static void write_file_paths(FILE *f, const struct ls_loop_summary *l,
			     const struct summary_json_meta *m)
{
	unsigned idx[LS_TOP_FILE_FDS], i, n = ls_file_io_by_time(l, idx);

	fputs(",\"paths\":[", f);
	for (i = 0; i < n; i++) {
		const struct ls_file_io *io = &l->file_io[idx[i]];

		fputs(i ? ",{\"path\":" : "{\"path\":", f);
		sj_str(f, io->path_len ? io->path : NULL, io->path_len);
		fprintf(f, ",\"cut\":%s,\"fd\":%d,\"count\":%llu,\"total_ms\":%.3f,\"max_ms\":%.3f",
			io->path_flags & LS_FDP_CUT ? "true" : "false", io->fd,
			(unsigned long long)io->count, io->total_ns / NS_PER_MS, io->max_ns / NS_PER_MS);
		write_sys_mask(f, io->sys_mask);
		sj_file_stack(f, io, l->pid, m);
		fputc('}', f);
	}
	fprintf(f, "],\"perf_map\":{\"calls\":%llu,\"total_ms\":%.3f,\"max_ms\":%.3f}",
		(unsigned long long)l->perf_map.count, l->perf_map.total_ns / NS_PER_MS,
		l->perf_map.max_ns / NS_PER_MS);
}

static void write_file_io(FILE *f, const struct ls_loop_summary *l, const struct summary_json_meta *m)
{
	uint32_t i, n = l->nfile_fds < LS_TOP_FILE_FDS ? l->nfile_fds : LS_TOP_FILE_FDS;

	fprintf(f, ",\"sync_file_io\":{\"calls\":%llu,\"total_ms\":%.3f,\"fds\":[",
		(unsigned long long)l->file_io_calls, l->file_io_ns / NS_PER_MS);
	for (i = 0; i < n; i++) {
		const struct ls_file_io *io = &l->file_io[i];

		fprintf(f, "%s{\"fd\":%d,\"count\":%llu,\"total_ms\":%.3f,\"max_ms\":%.3f",
			i ? "," : "", io->fd, (unsigned long long)io->count,
			io->total_ns / NS_PER_MS, io->max_ns / NS_PER_MS);
		write_sys_mask(f, io->sys_mask);
		fputc('}', f);
	}
	fputc(']', f);
	write_file_paths(f, l, m);
	fputc('}', f);
}

static int write_loop(FILE *f, const struct ls_summary *s, const struct ls_loop_summary *l,
		      const struct summary_json_meta *m)
{
	int err;

	fprintf(f, "{\"pid\":%u,\"tid\":%u,\"comm\":", l->pid, l->tid);
	sj_str(f, l->comm, LS_COMM_LEN);
	/* the merged entry holds loops of any process: it names none */
	fputs(",\"process_comm\":", f);
	sj_str(f, l->tid ? ls_loop_proc_comm(s, l) : NULL, LS_COMM_LEN);
	if (l->merged)
		fprintf(f, ",\"merged_threads\":%u", l->merged);
	fprintf(f, ",\"iterations\":%llu,\"stalls\":%llu,\"stall_ns\":%llu,",
		(unsigned long long)l->iterations, (unsigned long long)l->stalls,
		(unsigned long long)l->stall_total_ns);
	sj_dist(f, "busy", &l->busy, l->busy_total_ns);
	fputc(',', f);
	sj_dist(f, "poll_wait", &l->poll, l->poll_total_ns);
	write_syscalls(f, l);
	err = write_stalls(f, s, l, m);
	write_file_io(f, l, m);
	sj_phases(f, l);
	fputc('}', f);
	return err;
}

/*
 * The processes kept (model.h), their command lines as the target wrote
 * them (bytes up to a NUL, invalid UTF-8 as U+FFFD), null when unknown.
 */
static void write_processes(FILE *f, const struct ls_summary *s)
{
	uint32_t i;

	fputs(",\"processes\":[", f);
	for (i = 0; i < s->nprocs; i++) {
		const struct ls_process *p = s->procs[i];

		fprintf(f, "%s{\"pid\":%u,\"ppid\":%u,\"comm\":", i ? "," : "", p->pid, p->ppid);
		sj_str(f, p->comm, LS_COMM_LEN);
		fputs(",\"command\":", f);
		sj_str(f, p->cmdline_len ? p->cmdline : NULL, p->cmdline_len);
		fprintf(f, ",\"exited\":%s,\"execs\":%u,\"loops\":%u}", p->exited ? "true" : "false",
			p->execs, p->loops);
	}
	fprintf(f, "],\"processes_seen\":%llu,\"processes_merged\":%llu",
		(unsigned long long)s->procs_seen, (unsigned long long)s->procs_merged);
}

static void write_header(FILE *f, const struct ls_summary *s, const struct summary_json_meta *m)
{
	uint64_t dur = m->duration_ns;
	uint64_t bad = m->drops.bad_records > s->bad_records ? m->drops.bad_records : s->bad_records;
	char utc[40];

	if (!dur && s->last_ts > s->first_ts)
		dur = s->last_ts - s->first_ts;
	fputs("{\"schema_version\":1,\"tool\":\"loopscope\",\"version\":", f);
	sj_str(f, m->version ? m->version : LS_VERSION, SIZE_MAX);
	if (m->label) {
		fputs(",\"label\":", f);
		sj_str(f, m->label, SIZE_MAX);
	}
	fprintf(f, ",\"target\":{\"pid\":%u,\"command\":", m->pid);
	sj_str(f, m->command, SIZE_MAX);
	fprintf(f, "},\"start_ns\":%llu,", (unsigned long long)s->first_ts);
	if (s->unix_offset_ns && s->first_ts)
		fprintf(f, "\"unix_offset_ns\":%llu,\"start_utc\":\"%s\",",
			(unsigned long long)s->unix_offset_ns,
			ls_wallclock(utc, sizeof(utc), s->first_ts, s->unix_offset_ns, LS_WALL_ISO));
	fprintf(f, "\"duration_s\":%.6f,\"stall_threshold_ms\":%.3f,\"trace\":",
		dur / 1e9, s->stall_threshold_ns / NS_PER_MS);
	sj_str(f, m->trace_path, SIZE_MAX);
	fprintf(f, ",\"drops\":{\"ring_buffer\":%llu,\"inflight_full\":%llu,\"missed_exit\":%llu,"
		"\"bad_records\":%llu},\"records\":%llu,\"threads\":%llu",
		(unsigned long long)m->drops.rb_drops, (unsigned long long)m->drops.inflight_full,
		(unsigned long long)m->drops.missed_exit, (unsigned long long)bad,
		(unsigned long long)s->records, (unsigned long long)s->threads);
	/* The bucket layout of every "hist" below (collector/hist.h). */
	fprintf(f, ",\"hist_scheme\":{\"name\":\"log-linear\",\"unit\":\"ns\","
		"\"exact_below\":%u,\"sub_buckets\":%u,\"buckets\":%u,\"relative_error\":%.6f}",
		2 * LS_HIST_SUB, LS_HIST_SUB, LS_HIST_BUCKETS, 1.0 / LS_HIST_SUB);
}

int summary_json__write(FILE *f, const struct ls_summary *s, const struct summary_json_meta *m)
{
	static const struct summary_json_meta none;
	uint32_t i;
	int err = 0;

	if (!f || !s)
		return -EINVAL;
	write_header(f, s, m ? m : &none);
	fputs(",\"loops\":[", f);
	for (i = 0; i < s->nloops; i++) {
		if (i)
			fputc(',', f);
		err = write_loop(f, s, s->loops[i], m ? m : &none) ?: err;
	}
	fputc(']', f);
	write_processes(f, s);
	fprintf(f, ",\"other_threads_calls\":%llu", (unsigned long long)s->other_calls);
	sj_threadpool(f, s);
	sj_stacks(f, s, m ? m : &none);
	fputs("}\n", f);
	if (fflush(f) || ferror(f))
		return errno ? -errno : -EIO;
	return err;	/* a cause that could not be made is left out, the file still whole */
}
