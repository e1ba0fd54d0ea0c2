/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "bpf/loopscope.h"
#include "cli_util.h"
#include "proc_syms.h"

struct proc_sym {
	pid_t pid;
	bool gone;		/* seen exited: its maps are not read again */
	bool stale;		/* ran a new program since its maps were read */
	struct symbolizer *sym;
};

struct proc_syms {
	struct symbolizer_opts opts;
	struct proc_sym procs[LS_MAX_SYMBOLIZED_PROCS];
	unsigned n;
	uint64_t full;
	pid_t failed;		/* the last pid refused (gone): not retried per frame */
	double setup_cpu_s;	/* making symbolizers and re-reading them after an exec */
};

struct proc_syms *proc_syms__new(const struct symbolizer_opts *opts)
{
	struct proc_syms *ps = calloc(1, sizeof(*ps));

	if (ps)
		ps->opts = *opts;
	return ps;
}

void proc_syms__free(struct proc_syms *ps)
{
	unsigned i;

	if (!ps)
		return;
	for (i = 0; i < ps->n; i++)
		symbolizer__free(ps->procs[i].sym);
	free(ps);
}

static struct proc_sym *find(const struct proc_syms *ps, pid_t pid)
{
	unsigned i;

	for (i = 0; i < ps->n; i++)
		if (ps->procs[i].pid == pid)
			return (struct proc_sym *)&ps->procs[i];
	return NULL;
}

struct symbolizer *proc_syms__get(struct proc_syms *ps, pid_t pid)
{
	struct proc_sym *p = find(ps, pid);
	struct symbolizer *sym;
	double t0;

	if (p)
		return p->sym;
	if (pid <= 0 || pid == ps->failed)
		return NULL;
	if (ps->n >= LS_MAX_SYMBOLIZED_PROCS) {
		ps->full++;
		ps->failed = pid;
		return NULL;
	}
	t0 = cli_own_cpu_seconds();
	sym = symbolizer__new(pid, &ps->opts);
	ps->setup_cpu_s += cli_own_cpu_seconds() - t0;
	if (!sym) {
		ps->failed = pid;
		return NULL;
	}
	ps->procs[ps->n++] = (struct proc_sym){ .pid = pid, .sym = sym };
	return sym;
}

int proc_syms__resolve(struct proc_syms *ps, uint32_t pid, uint64_t ip, bool kernel,
		       struct ls_frame_info *out)
{
	struct symbolizer *sym = kernel && ps->n ? ps->procs[0].sym : proc_syms__get(ps, (pid_t)pid);

	return sym ? symbolizer__resolve(sym, ip, kernel, out) : -ENOENT;
}

int proc_syms__resolve_cb(void *ctx, uint32_t pid, uint64_t ip, bool kernel, struct ls_frame_info *out)
{
	return ctx ? proc_syms__resolve(ctx, pid, ip, kernel, out) : -ENOENT;
}

void proc_syms__refresh(struct proc_syms *ps)
{
	unsigned i;

	for (i = 0; i < ps->n; i++) {
		struct proc_sym *p = &ps->procs[i];

		if (p->gone)
			continue;
		symbolizer__refresh(p->sym);
		p->gone = kill(p->pid, 0) && errno == ESRCH;
	}
}

void proc_syms__refresh_one(struct proc_syms *ps, pid_t pid)
{
	struct proc_sym *p = find(ps, pid);
	double t0;

	if (p && !p->gone) {
		t0 = cli_own_cpu_seconds();
		symbolizer__refresh(p->sym);
		ps->setup_cpu_s += cli_own_cpu_seconds() - t0;
	}
}

static void add_stats(struct symbolizer_stats *to, const struct symbolizer_stats *s)
{
	unsigned k;

	to->frames += s->frames;
	to->named += s->named;
	to->unnamed_native += s->unnamed_native;
	to->unnamed_jit += s->unnamed_jit;
	to->unnamed_kernel += s->unnamed_kernel;
	to->unmapped += s->unmapped;
	to->files += s->files;
	to->file_errors += s->file_errors;
	to->file_mismatch += s->file_mismatch;
	to->maps_reloads += s->maps_reloads;
	to->perf_map_entries += s->perf_map_entries;
	to->perf_map_bad_lines += s->perf_map_bad_lines;
	to->perf_map_dropped += s->perf_map_dropped;
	to->perf_map_found |= s->perf_map_found;
	to->perf_map_capped |= s->perf_map_capped;
	if (!to->perf_map_refused)
		to->perf_map_refused = s->perf_map_refused;
	to->kernel_hidden |= s->kernel_hidden;
	for (k = 0; k < LS_SYMS_NSOURCES; k++)
		to->sym_sources[k] += s->sym_sources[k];
	to->js_by_perf_map += s->js_by_perf_map;
	to->js_by_v8 += s->js_by_v8;
	to->js_agree += s->js_agree;
	to->js_agree_older += s->js_agree_older;
	to->js_disagree += s->js_disagree;
	to->js_unknown += s->js_unknown;
}

void proc_syms__stats(const struct proc_syms *ps, struct symbolizer_stats *st)
{
	struct symbolizer_stats one;
	unsigned i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < ps->n; i++) {
		symbolizer__stats(ps->procs[i].sym, &one);
		add_stats(st, &one);
	}
}

int proc_syms__sources(const struct proc_syms *ps, char *buf, size_t len)
{
	if (!ps->n) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	return symbolizer__sources(ps->procs[0].sym, buf, len);
}

double proc_syms__setup_cpu(const struct proc_syms *ps)
{
	return ps ? ps->setup_cpu_s : 0;
}

uint64_t proc_syms__full(const struct proc_syms *ps)
{
	return ps->full;
}

/* The process of a record that names a user stack; 0 for any other record. */
static pid_t stack_pid(const void *data, size_t len, __u32 type)
{
	if (type == LS_REC_SAMPLE && len >= sizeof(struct ls_rec_sample))
		return (pid_t)((const struct ls_rec_sample *)data)->pid;
	if (type == LS_REC_OFFCPU && len >= sizeof(struct ls_rec_offcpu))
		return (pid_t)((const struct ls_rec_offcpu *)data)->pid;
	if (type == LS_REC_UV_WORK && len >= sizeof(struct ls_rec_uv_work))	/* its kind is named by symbol */
		return (pid_t)((const struct ls_rec_uv_work *)data)->pid;
	if (type == LS_REC_SYSCALL && len >= sizeof(struct ls_rec_syscall) &&
	    ((const struct ls_rec_syscall *)data)->user_stack >= 0)	/* a file call's stack */
		return (pid_t)((const struct ls_rec_syscall *)data)->pid;
	return 0;
}

/*
 * A stack's process has its symbolizer, made from the maps it has now: a
 * child set up before its exec had the old program's, and a program's
 * libraries are mapped after the exec, so the first stack after one
 * re-reads them (a short-lived child may be gone by the next refresh).
 */
static void stack_seen(struct proc_syms *ps, pid_t pid)
{
	struct proc_sym *p = find(ps, pid);

	if (!p) {
		proc_syms__get(ps, pid);
	} else if (p->stale) {
		p->stale = false;
		proc_syms__refresh_one(ps, pid);
	}
}

void proc_syms__on_record(struct proc_syms *ps, const void *data, size_t len)
{
	const struct ls_rec_proc *pr = data;
	struct symbolizer *sy;
	struct proc_sym *p;
	__u32 type;
	pid_t pid;

	if (len < sizeof(type))
		return;
	memcpy(&type, data, sizeof(type));
	if (type == LS_REC_OVERFLOW && len >= sizeof(struct ls_rec_overflow)) {
		proc_syms__refresh_one(ps, (pid_t)((const struct ls_rec_overflow *)data)->pid);
	} else if (type == LS_REC_JS_FRAME && len == sizeof(struct ls_rec_js_frame)) {
		sy = proc_syms__get(ps, (pid_t)((const struct ls_rec_js_frame *)data)->pid);
		if (sy)	/* -ENOMEM: the frame shows unnamed */
			symbolizer__add_js_frame(sy, data);
	} else if (type == LS_REC_PROC && len >= sizeof(*pr)) {
		p = pr->event == LS_PROC_EXEC ? find(ps, (pid_t)pr->pid) : NULL;
		if (p)
			p->stale = true;
	} else if ((pid = stack_pid(data, len, type)) > 0) {
		stack_seen(ps, pid);
	}
}
