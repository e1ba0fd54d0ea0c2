/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The summary's libuv and stack members: "phases" per loop, the top-level
 * "threadpool" and "stacks", and each stall's stacks. Frames are named
 * through the meta's resolver; without one they are hex addresses.
 */
#include <inttypes.h>
#include <string.h>
#include "collector/record.h"
#include "stall_cause.h"
#include "summary_json_int.h"
#include "summary_text.h"

/* every frame of a stack: behind kernel page-fault frames the JS route is deep */
#define MAX_JSON_FRAMES (2 * LS_MAX_STACK_DEPTH)

void sj_phases(FILE *f, const struct ls_loop_summary *l)
{
	uint64_t loop_ns = l->busy_total_ns + l->poll_total_ns;
	const char *sep = "";
	unsigned p;

	fputs(",\"phases\":{", f);
	for (p = 0; p < LS_PHASE_MAX; p++) {
		const struct ls_phase_stats *ps = l->phases[p];

		if (!ps)
			continue;
		fputs(sep, f);
		sj_dist_open(f, ls_phase_name(p), &ps->dur, ps->total_ns);
		fprintf(f, ",\"share\":%.4f,\"inferred\":%s}", loop_ns ? (double)ps->total_ns / loop_ns : 0.0,
			p == LS_PHASE_PENDING || p == LS_PHASE_CLOSING ? "true" : "false");
		sep = ",";
	}
	fputc('}', f);
}

/* A stack as ["innermost", ...]: kernel frames first, then user frames. */
static void write_frames(FILE *f, uint32_t pid, const struct ls_stack *user,
			 const struct ls_stack *kern, const struct summary_json_meta *m)
{
	const struct ls_stack *parts[2] = { kern, user };
	struct ls_frame_info fi;
	unsigned p, i, n = 0;
	char addr[320];

	fputc('[', f);
	for (p = 0; p < 2; p++) {
		for (i = 0; parts[p] && i < parts[p]->nframes && n < MAX_JSON_FRAMES; i++, n++) {
			memset(&fi, 0, sizeof(fi));
			if (n)
				fputc(',', f);
			if (m->resolve)	/* unnamed: module+0xaddr (ls_frame_label) */
				m->resolve(m->resolve_ctx, pid, parts[p]->ips[i], parts[p]->kernel, &fi);
			fi.ip = parts[p]->ips[i];
			sj_str(f, ls_frame_label(&fi, addr, sizeof(addr)), 512);
		}
	}
	fputc(']', f);
}

static const struct ls_stack *stack_of(const struct summary_json_meta *m, int32_t id)
{
	return m->corr ? correlator__stack(m->corr, id) : NULL;
}

/*
 * ,"stack":{...} of a file of the sync-file-I/O finding: its longest call
 * that had a stack. Live the stack is named here; read back from a summary
 * it is the names that were kept (the innermost LS_FILE_STACK_FRAMES).
 */
void sj_file_stack(FILE *f, const struct ls_file_io *io, uint32_t pid,
		   const struct summary_json_meta *m)
{
	const struct ls_stack *st = io->nframes ? NULL : stack_of(m, io->user_stack);
	uint32_t i;

	if (!io->nframes && !st) {
		fputs(",\"stack\":null", f);
		return;
	}
	fprintf(f, ",\"stack\":{\"call_ms\":%.3f,\"depth\":%u,\"frames\":",
		io->stack_call_ns / NS_PER_MS, st ? st->nframes : io->stack_nframes);
	if (st) {
		write_frames(f, pid, st, NULL, m);
	} else {
		fputc('[', f);
		for (i = 0; i < io->nframes && i < LS_FILE_STACK_FRAMES; i++) {
			if (i)
				fputc(',', f);
			sj_str(f, io->frames[i], LS_FRAME_LABEL);
		}
		fputc(']', f);
	}
	fputc('}', f);
}

void sj_stall_stacks(FILE *f, const struct ls_stall *st, uint32_t pid,
		     const struct summary_json_meta *m)
{
	uint32_t i;

	fprintf(f, ",\"samples\":%u,\"offcpu_ms\":%.3f,\"stacks\":[", st->nsamples,
		st->offcpu_ns / NS_PER_MS);
	for (i = 0; i < st->nstacks && i < LS_STALL_JSON_STACKS; i++) {
		fprintf(f, "%s{\"count\":%u,\"share\":%.3f,\"frames\":", i ? "," : "",
			st->stacks[i].count, st->nsamples ? (double)st->stacks[i].count / st->nsamples : 0.0);
		write_frames(f, pid, stack_of(m, st->stacks[i].user), stack_of(m, st->stacks[i].kern), m);
		fputc('}', f);
	}
	fputc(']', f);
	if (st->offcpu_ns) {
		fputs(",\"offcpu_stack\":", f);
		write_frames(f, pid, stack_of(m, st->off_user), stack_of(m, st->off_kern), m);
		fputs(",\"woken_by\":", f);
		sj_str(f, st->waker_tid ? st->waker_comm : "", LS_COMM_LEN);
	}
}

static void write_cause_frames(FILE *f, const struct ls_cause *c)
{
	uint32_t i;

	fputs("\"frames\":[", f);
	for (i = 0; i < c->nframes; i++) {
		if (i)
			fputc(',', f);
		sj_str(f, c->frames[i], LS_CAUSE_LABEL);
	}
	fprintf(f, "],\"offcpu\":%s", c->offcpu ? "true" : "false");
}

/* Off CPU: what it waited in and on ("waited_on" null when no call of ours held it). */
static void write_cause_wait(FILE *f, const struct ls_cause *c)
{
	const struct ls_wait_on *w = &c->wait_on;

	fputs(",\"waited_in\":", f);
	sj_str(f, c->waited[0] ? c->waited : NULL, LS_CAUSE_LABEL);
	if (!w->sys) {
		fputs(",\"waited_on\":null", f);
		return;
	}
	fputs(",\"waited_on\":{\"syscall\":", f);
	sj_str(f, ls_syscall_name(w->sys), 32);
	fprintf(f, ",\"fd\":%d,\"fd_kind\":", w->fd);
	sj_str(f, ls_fd_kind_name(w->fd_kind), 32);
	fputs(",\"path\":", f);
	sj_str(f, w->path_len ? w->path : NULL, w->path_len);
	fputc('}', f);
}

void sj_stall_cause(FILE *f, const struct ls_cause *c)
{
	fputs(",\"cause\":{", f);
	write_cause_frames(f, c);
	fprintf(f, ",\"share\":%.4f,\"samples\":%u,\"stall_samples\":%u,\"offcpu_ms\":%.3f",
		c->share, c->samples, c->nsamples, c->off_ns / NS_PER_MS);
	if (c->offcpu) {
		write_cause_wait(f, c);
		fprintf(f, ",\"woken_by_tid\":%u,\"woken_by\":", c->waker_tid);
		sj_str(f, c->waker_tid ? c->waker_comm : "", LS_COMM_LEN);
	}
	fputc('}', f);
}

void sj_stall_causes(FILE *f, const struct ls_loop_summary *l, const struct ls_cause_group *g,
		     uint32_t n)
{
	uint32_t i;

	fputs(",\"stall_causes\":[", f);
	for (i = 0; i < n; i++) {
		fputs(i ? ",{" : "{", f);
		write_cause_frames(f, &g[i].cause);
		if (g[i].cause.offcpu)
			write_cause_wait(f, &g[i].cause);
		fprintf(f, ",\"count\":%u,\"min_ms\":%.3f,\"max_ms\":%.3f,\"total_ms\":%.3f,"
			"\"share\":%.4f,\"cause_share\":%.4f,\"samples\":%llu,\"stall_samples\":%llu}",
			g[i].count, g[i].min_ns / NS_PER_MS, g[i].max_ns / NS_PER_MS,
			g[i].total_ns / NS_PER_MS,
			l->busy_total_ns ? (double)g[i].total_ns / l->busy_total_ns : 0.0,
			g[i].total_weight > 0 ? g[i].weight / g[i].total_weight : 0.0,
			(unsigned long long)g[i].samples, (unsigned long long)g[i].nsamples);
	}
	fputc(']', f);
}

/* The members of one kind's or one name's stats, without braces. */
static void write_work_stats(FILE *f, const struct ls_work_stats *w)
{
	fprintf(f, "\"count\":%llu,\"incomplete\":%llu,\"sync_on_loop\":%llu,\"sync_ms\":%.3f,",
		(unsigned long long)w->count, (unsigned long long)w->incomplete,
		(unsigned long long)w->sync, w->sync_ns / NS_PER_MS);
	sj_dist(f, "queue", &w->queue, w->queue.sum);
	fputc(',', f);
	sj_dist(f, "run", &w->run, w->run.sum);
	fputc(',', f);
	sj_dist(f, "done_latency", &w->done, w->done.sum);
}

void sj_threadpool(FILE *f, const struct ls_summary *s)
{
	const struct ls_pool_summary *p = &s->pool;
	const char *sep = "";
	unsigned k;

	fprintf(f, ",\"threadpool\":{\"pool_size_seen\":%u,\"max_queued\":%d,\"max_running\":%d,"
		"\"worker_idle_ms\":%.3f,\"kinds\":{", p->nworkers, p->max_queued, p->max_running,
		p->worker_idle_ns / NS_PER_MS);
	for (k = 0; k < LS_WORK_KIND_MAX; k++) {
		if (!p->kinds[k])
			continue;
		fputs(sep, f);
		sj_key(f, ls_work_kind_name(k));
		fputc('{', f);
		write_work_stats(f, p->kinds[k]);
		fputc('}', f);
		sep = ",";
	}
	fprintf(f, "},\"probed_late\":%u,\"names_full\":%llu,\"by_name\":[", p->probed_late,
		(unsigned long long)p->named_full);
	for (k = 0; k < p->nnamed; k++) {
		fputs(k ? ",{\"name\":" : "{\"name\":", f);
		sj_str(f, p->named[k]->name, sizeof(p->named[k]->name));	/* the target's symbol */
		fputs(",\"kind\":", f);
		sj_str(f, ls_work_kind_name(p->named[k]->kind), SIZE_MAX);
		fputc(',', f);
		write_work_stats(f, &p->named[k]->st);
		fputc('}', f);
	}
	fputs("]}", f);
}

static void write_overflow(FILE *f, const struct ls_overflow *o, const struct summary_json_meta *m)
{
	const char *names[LS_MAX_STACK_DEPTH] = {};
	struct ls_frame_info fi[LS_MAX_STACK_DEPTH];
	uint32_t i, n = o->user ? o->user->nframes : 0;
	char rec[256];

	for (i = 0; i < n; i++) {
		memset(&fi[i], 0, sizeof(fi[i]));
		if (m->resolve && !m->resolve(m->resolve_ctx, o->pid, o->user->ips[i], false, &fi[i]))
			names[i] = fi[i].function;
	}
	ls_recursion(rec, sizeof(rec), names, n);
	fprintf(f, "{\"kind\":\"%s\",\"tid\":%u,\"comm\":", o->kind == LS_OVERFLOW_V8 ? "v8" : "sigsegv",
		o->tid);
	sj_str(f, o->comm, LS_COMM_LEN);
	fprintf(f, ",\"at_stack_end\":%s,\"used_kib\":%" PRIu64 ",\"stack_kib\":%" PRIu64
		",\"frames\":%u,\"fault_addr\":%" PRIu64 ",\"recursion\":", o->at_stack_end ? "true" : "false",
		(o->stack_end > o->sp ? o->stack_end - o->sp : 0) >> 10,
		(o->stack_end - o->stack_start) >> 10, o->frames, o->fault_addr);
	sj_str(f, rec, sizeof(rec));
	fputs(",\"stack\":", f);
	write_frames(f, o->pid, o->user, NULL, m);
	fputc('}', f);
}

void sj_stacks(FILE *f, const struct ls_summary *s, const struct summary_json_meta *m)
{
	uint32_t i;

	fprintf(f, ",\"stacks\":{\"samples\":%llu,\"v8_range_errors\":%llu,\"sigsegv\":%llu,"
		"\"high_water\":[", (unsigned long long)s->samples,
		(unsigned long long)s->v8_overflows, (unsigned long long)s->segv);
	for (i = 0; i < s->nhwm; i++) {
		fprintf(f, "%s{\"tid\":%u,\"comm\":", i ? "," : "", s->hwm[i].tid);
		sj_str(f, s->hwm[i].comm, LS_COMM_LEN);
		fprintf(f, ",\"used_kib\":%" PRIu64 ",\"stack_kib\":%" PRIu64 ",\"samples\":%" PRIu64 "}",
			s->hwm[i].used_max >> 10, s->hwm[i].size >> 10, s->hwm[i].samples);
	}
	fputs("],\"overflows\":[", f);
	for (i = 0; i < s->noverflows; i++) {
		if (i)
			fputc(',', f);
		write_overflow(f, &s->overflows[i], m);
	}
	fputs("]}", f);
}
