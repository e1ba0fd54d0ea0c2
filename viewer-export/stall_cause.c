/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stall's cause by function (stall_cause.h). The tree is walked, not
 * built: the children of a node split its weight, so at most one child of
 * each node can hold more than half of the stall, and the descent follows
 * that child while there is one. Each path (a stack and its weight) is a
 * list of label hashes, root first; labels are interned once per call, so
 * a stall costs one symbolization per frame and memory bounded by its
 * kept stacks (LS_STALL_STACKS + LS_STALL_OFFCPU, LS_MAX_STACK_DEPTH each).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collector/record.h"
#include "stall_cause.h"

struct label {
	uint64_t hash;		/* 0 = free slot */
	char *str;
};

struct path {
	const struct ls_weighted_stack *ws;
	double w;
	uint32_t n;
	uint64_t h[2 * LS_MAX_STACK_DEPTH + 1];	/* root first */
	uint64_t sys;		/* off CPU: the label it waited in, 0 if none */
};

struct walk {
	const struct ls_cause_ctx *cx;
	struct label *labels;
	uint32_t cap;		/* power of two */
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h ? h : 1;
}

/* The label's hash, interned; 0 when out of memory. */
static uint64_t intern(struct walk *wk, const char *s)
{
	uint64_t h = fnv1a(s);
	uint32_t i = (uint32_t)h & (wk->cap - 1);

	while (wk->labels[i].hash && wk->labels[i].hash != h)
		i = (i + 1) & (wk->cap - 1);
	if (!wk->labels[i].hash) {
		if (!(wk->labels[i].str = strdup(s)))
			return 0;
		wk->labels[i].hash = h;
	}
	return h;
}

static const char *label_of(const struct walk *wk, uint64_t h)
{
	uint32_t i = (uint32_t)h & (wk->cap - 1);

	while (wk->labels[i].hash && wk->labels[i].hash != h)
		i = (i + 1) & (wk->cap - 1);
	return wk->labels[i].hash ? wk->labels[i].str : "?";
}

static uint64_t frame_hash(struct walk *wk, uint64_t ip, bool kernel)
{
	struct ls_frame_info fi = { .ip = ip };
	char buf[LS_CAUSE_LABEL];

	if (wk->cx->resolve)	/* unnamed: module+0xaddr, so two of its ips stay apart */
		wk->cx->resolve(wk->cx->resolve_ctx, wk->cx->pid, ip, kernel, &fi);
	fi.ip = ip;
	return intern(wk, ls_frame_label(&fi, buf, sizeof(buf)));
}

/* A syscall's own function: the kernel entry of each architecture and its wrappers. */
static bool is_syscall_fn(const char *s)
{
	static const char *const prefixes[] = {
		"__x64_sys_", "__arm64_sys_", "__ia32_sys_", "__se_sys_", "__do_sys_", "ksys_",
	};
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(s, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/*
 * What an off-CPU period waited in: the outermost syscall function of its
 * kernel stack (schedule() and the wait queues below it say how, not
 * what), else the kernel leaf. 0 if the period has no kernel stack.
 */
static uint64_t waited_in(struct walk *wk, const struct ls_stack *k)
{
	uint64_t h, leaf = 0;
	uint32_t i;

	for (i = k ? k->nframes : 0; i-- > 0;) {
		h = frame_hash(wk, k->ips[i], true);
		if (h && is_syscall_fn(label_of(wk, h)))
			return h;
		leaf = h;
	}
	return leaf;
}

static void push(struct path *p, uint64_t h)
{
	/* one function twice in a row (libc's wrapper over the vDSO's, a
	 * recursion) is one node: its callers and callees stay the same */
	if (h && (!p->n || p->h[p->n - 1] != h) && p->n < sizeof(p->h) / sizeof(p->h[0]))
		p->h[p->n++] = h;
}

static void make_path(struct walk *wk, const struct ls_weighted_stack *ws, double w,
		      struct path *p)
{
	uint32_t i;

	p->ws = ws;
	p->w = w;
	p->n = 0;
	p->sys = 0;
	for (i = ws->user ? ws->user->nframes : 0; i-- > 0;)
		push(p, frame_hash(wk, ws->user->ips[i], ws->user->kernel));
	if (ws->off_ns) {
		p->sys = waited_in(wk, ws->kern);
		push(p, p->sys);
		return;
	}
	for (i = ws->kern ? ws->kern->nframes : 0; i-- > 0;)
		push(p, frame_hash(wk, ws->kern->ips[i], true));
}

/* The label at depth d held by the most weight among the active paths, and that weight. */
static uint64_t heaviest(const struct path *ps, const bool *active, uint32_t n, uint32_t d,
			 double *best)
{
	uint64_t pick = 0;
	uint32_t i, j;

	*best = 0;
	for (i = 0; i < n; i++) {
		double sum = 0;

		if (!active[i] || ps[i].n <= d)
			continue;
		for (j = 0; j < n; j++)
			if (active[j] && ps[j].n > d && ps[j].h[d] == ps[i].h[d])
				sum += ps[j].w;
		if (sum > *best) {
			*best = sum;
			pick = ps[i].h[d];
		}
	}
	return pick;
}

/* The loop's own entry: callers beyond it are the same for every stall. */
static bool is_loop_entry(const char *s)
{
	static const char *const names[] = {
		"main", "uv_run", "uv__io_poll", "uv__run_timers", "uv__run_check", "uv__run_idle",
		"uv__run_prepare", "uv__run_pending", "uv__run_closing_handles", "aeProcessEvents",
		"event_base_loop", "ngx_process_events_and_timers",
	};
	size_t i;

	/* V8 entered from C++: above it are node's callback plumbing and libuv */
	if (!strncmp(s, "Builtins_JSEntry", 16))
		return true;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return true;
	return false;
}

/* A JavaScript frame of node's own (node:internal/timers...), not the user's. */
static bool is_node_js(const char *s)
{
	const char *file = strncmp(s, "JS:", 3) ? NULL : strchr(s, ' ');

	return file && !strncmp(file + 1, "node:", 5);
}

/* Where a cause's callers stop: the loop's entry, or the callback's entry,
 * the first of node's own JS frames above the user's (listOnTimeout,
 * processTicksAndRejections...), which says which kind of callback it was. */
static bool ends_callers(const char *s, bool *user_js)
{
	if (is_loop_entry(s))
		return true;
	if (is_node_js(s))
		return *user_js;
	if (!strncmp(s, "JS:", 3))
		*user_js = true;
	return false;
}

/* Descends while one child holds more than half; fills out from the paths still active. */
static void descend(struct walk *wk, const struct path *ps, bool *active, uint32_t n,
		    double total, struct ls_cause *out)
{
	uint64_t chain[2 * LS_MAX_STACK_DEPTH + 1];
	const struct path *longest_off = NULL;
	bool user_js = false;
	uint32_t d = 0, i, k;
	double w;

	for (;;) {
		uint64_t h = heaviest(ps, active, n, d, &w);

		if (!h || 2 * w <= total)
			break;
		for (i = 0; i < n; i++)
			active[i] = active[i] && ps[i].n > d && ps[i].h[d] == h;
		chain[d++] = h;
		out->weight = w;
	}
	for (k = 0; k < d && k < LS_CAUSE_FRAMES; k++) {
		const char *s = label_of(wk, chain[d - 1 - k]);

		snprintf(out->frames[k], LS_CAUSE_LABEL, "%s", s);
		out->nframes = k + 1;
		if (ends_callers(s, &user_js) && k)
			break;
	}
	for (i = 0; d && i < n; i++) {
		if (!active[i])
			continue;
		out->samples += ps[i].ws->samples;
		out->off_ns += ps[i].ws->off_ns;
		if (ps[i].ws->off_ns && (!longest_off || ps[i].ws->off_ns > longest_off->ws->off_ns))
			longest_off = &ps[i];
	}
	out->offcpu = 2 * (double)out->off_ns > out->weight;
	if (out->offcpu && longest_off) {
		if (longest_off->sys)
			snprintf(out->waited, sizeof(out->waited), "%s", label_of(wk, longest_off->sys));
		if (longest_off->ws->wait)
			out->wait_on = *longest_off->ws->wait;
		out->waker_tid = longest_off->ws->waker_tid;
		memcpy(out->waker_comm, longest_off->ws->waker_comm, sizeof(out->waker_comm));
		out->waker_comm[LS_COMM_LEN - 1] = '\0';
	}
}

int ls_stall_cause(const struct ls_cause_ctx *cx, const struct ls_weighted_stack *ws, uint32_t n,
		   uint32_t nsamples, uint64_t busy_ns, uint64_t offcpu_ns, struct ls_cause *out)
{
	double on_ns = nsamples ? (double)(busy_ns > offcpu_ns ? busy_ns - offcpu_ns : 0) : 0;
	struct walk wk = { .cx = cx };
	struct path *ps = NULL;
	bool *active = NULL;
	uint32_t i, frames = 0, unknown = 0;
	int err = -ENOMEM;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		frames += (ws[i].user ? ws[i].user->nframes : 0) + (ws[i].kern ? ws[i].kern->nframes : 0);
		/* a sample whose stack was not copied (the per-CPU budget) says
		 * nothing of where the time went: it weighs for no side */
		if (!ws[i].off_ns && !(ws[i].user && ws[i].user->nframes) &&
		    !(ws[i].kern && ws[i].kern->nframes))
			unknown += ws[i].samples;
	}
	unknown = unknown < nsamples ? unknown : nsamples;
	out->nsamples = nsamples - unknown;
	out->total = (nsamples ? on_ns * out->nsamples / nsamples : 0) + (double)offcpu_ns;
	for (wk.cap = 16; wk.cap < 2 * frames + 2; wk.cap *= 2)
		;
	wk.labels = calloc(wk.cap, sizeof(*wk.labels));
	ps = calloc(n ? n : 1, sizeof(*ps));
	active = calloc(n ? n : 1, sizeof(*active));
	if (!wk.labels || !ps || !active)
		goto out;
	for (i = 0; i < n; i++) {
		make_path(&wk, &ws[i], ws[i].off_ns ? (double)ws[i].off_ns :
			  on_ns * ws[i].samples / nsamples, &ps[i]);
		active[i] = ps[i].w > 0 && ps[i].n;
	}
	if (out->total > 0)
		descend(&wk, ps, active, n, out->total, out);
	out->share = out->nframes && out->total > 0 ? out->weight / out->total : 0;
	err = 0;
out:
	for (i = 0; wk.labels && i < wk.cap; i++)
		free(wk.labels[i].str);
	free(wk.labels);
	free(ps);
	free(active);
	return err;
}

/* A stack id's frames, or none without the model (a writer given no correlator). */
static const struct ls_stack *stack_of(const struct correlator *corr, int32_t id)
{
	return corr ? correlator__stack(corr, id) : NULL;
}

int ls_stall_cause_kept(const struct ls_cause_ctx *cx, const struct correlator *corr,
			const struct ls_stall *st, struct ls_cause *out)
{
	struct ls_weighted_stack ws[LS_STALL_STACKS + LS_STALL_OFFCPU];
	uint32_t i, n = 0;

	for (i = 0; i < st->nstacks && i < LS_STALL_STACKS; i++)
		ws[n++] = (struct ls_weighted_stack){
			.user = stack_of(corr, st->stacks[i].user),
			.kern = stack_of(corr, st->stacks[i].kern),
			.samples = st->stacks[i].count,
		};
	for (i = 0; i < st->noff && i < LS_STALL_OFFCPU; i++) {
		ws[n] = (struct ls_weighted_stack){
			.user = stack_of(corr, st->off[i].user),
			.kern = stack_of(corr, st->off[i].kern),
			.off_ns = st->off[i].ns, .waker_tid = st->off[i].waker_tid,
			.wait = st->off[i].wait.sys ? &st->off[i].wait : NULL,
		};
		memcpy(ws[n].waker_comm, st->off[i].waker_comm, sizeof(ws[n].waker_comm));
		n++;
	}
	return ls_stall_cause(cx, ws, n, st->nsamples, st->busy_ns, st->offcpu_ns, out);
}

struct ls_cause *ls_iteration_cause(const struct ls_cause_ctx *cx, const struct ls_iteration *it)
{
	struct ls_cause *c;

	if (!it->nweighted || !(c = malloc(sizeof(*c))))
		return NULL;
	if (!ls_stall_cause(cx, it->weighted, it->nweighted, it->nsamples, ls_iteration_busy(it),
			    it->offcpu_ns, c))
		return c;
	free(c);
	return NULL;
}

int ls_cause_group_add(struct ls_cause_group *g, uint32_t *n, uint32_t max,
		       const struct ls_cause *c, uint64_t busy_ns)
{
	uint32_t i;

	for (i = 0; i < *n && !ls_cause_same(&g[i].cause, c); i++)
		;
	if (i == *n) {
		if (*n == max)
			return -1;
		memset(&g[i], 0, sizeof(g[i]));
		g[i].cause = *c;
		g[i].min_ns = busy_ns;
		(*n)++;
	}
	if (busy_ns > g[i].max_ns) {
		g[i].max_ns = busy_ns;
		g[i].cause = *c;	/* the longest stall speaks for the group */
	}
	if (busy_ns < g[i].min_ns)
		g[i].min_ns = busy_ns;
	g[i].count++;
	g[i].total_ns += busy_ns;
	g[i].samples += c->samples;
	g[i].nsamples += c->nsamples;
	g[i].weight += c->weight;
	g[i].total_weight += c->total;
	return (int)i;
}

static int by_total_desc(const void *a, const void *b)
{
	const struct ls_cause_group *x = a, *y = b;

	return x->total_ns < y->total_ns ? 1 : x->total_ns > y->total_ns ? -1 : 0;
}

void ls_cause_groups_sort(struct ls_cause_group *g, uint32_t n)
{
	qsort(g, n, sizeof(*g), by_total_desc);
}

int ls_loop_causes(const struct ls_cause_ctx *cx, const struct correlator *corr,
		   const struct ls_loop_summary *l, struct ls_cause *causes,
		   struct ls_cause_group *groups)
{
	uint32_t i, n = 0;
	int err;

	for (i = 0; i < l->nstalls_kept; i++) {
		err = ls_stall_cause_kept(cx, corr, &l->top_stalls[i], &causes[i]);
		if (err)
			return err;
		ls_cause_group_add(groups, &n, LS_CAUSE_GROUPS, &causes[i], l->top_stalls[i].busy_ns);
	}
	ls_cause_groups_sort(groups, n);
	return (int)n;
}

unsigned ls_cause_shown(const struct ls_cause *c, unsigned maxframes, int *idx)
{
	unsigned i, n = 0, js;

	for (js = 0; js < c->nframes && strncmp(c->frames[js], "JS:", 3); js++)
		;
	if (js < c->nframes && js >= maxframes && maxframes >= 4) {
		/* the JS caller is what the user wrote: leave out V8's frames instead */
		for (i = 0; i < maxframes - 2; i++)
			idx[n++] = (int)i;
		idx[n++] = -1;
		for (i = js; i < c->nframes && i < js + 2; i++)
			idx[n++] = (int)i;
		return n;
	}
	for (i = 0; i < c->nframes && i < maxframes; i++)
		idx[n++] = (int)i;
	return n;
}

const char *ls_cause_line(const struct ls_cause *c, unsigned maxframes, char *buf, size_t sz)
{
	int idx[LS_CAUSE_FRAMES + 1];
	unsigned i, n = ls_cause_shown(c, maxframes < LS_CAUSE_FRAMES ? maxframes : LS_CAUSE_FRAMES, idx);
	size_t off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && off < sz; i++)
		off += (size_t)snprintf(buf + off, sz - off, "%s%s", i ? " <- " : "",
					idx[i] < 0 ? "..." : c->frames[idx[i]]);
	if (!c->nframes)
		snprintf(buf, sz, "no single function holds most of it");
	return buf;
}

static const char *fmt_ms(char *buf, size_t sz, double ns)
{
	snprintf(buf, sz, ns < 10e6 ? "%.2f ms" : "%.1f ms", ns / 1e6);
	return buf;
}

int ls_wait_on_text(const struct ls_wait_on *w, char *buf, size_t sz)
{
	if (w->path_len)	/* the target's bytes: the caller escapes the line */
		return snprintf(buf, sz, " on %s %.*s (%s, fd %d)", ls_fd_kind_name(w->fd_kind),
				(int)strnlen(w->path, w->path_len), w->path, ls_syscall_name(w->sys), w->fd);
	if (w->fd_kind != LS_FD_NONE)
		return snprintf(buf, sz, " on %s fd %d (%s)", ls_fd_kind_name(w->fd_kind), w->fd,
				ls_syscall_name(w->sys));
	return snprintf(buf, sz, " (%s)", ls_syscall_name(w->sys));
}

int ls_cause_wait_text(const struct ls_cause *c, char *buf, size_t sz)
{
	int n = 0;

	if (!sz)
		return 0;
	buf[0] = 0;
	if (!c->offcpu)
		return 0;
	if (c->waited[0])
		n = snprintf(buf, sz, " in %s", c->waited);
	if (c->wait_on.sys && n >= 0 && (size_t)n < sz)
		n += ls_wait_on_text(&c->wait_on, buf + n, sz - (size_t)n);
	if (c->waker_tid && n >= 0 && (size_t)n < sz)
		n += snprintf(buf + n, sz - (size_t)n, ", woken by tid %u (%s)", c->waker_tid,
			      c->waker_comm);
	return n;
}

const char *ls_cause_share(const struct ls_cause *c, uint64_t samples, uint64_t nsamples,
			   double weight, double total, char *buf, size_t sz)
{
	unsigned pct = total > 0 ? (unsigned)(100 * weight / total + 0.5) : 0;
	char t[32];
	int n;

	if (!c->off_ns && nsamples)	/* on CPU alone: the samples say it exactly */
		n = snprintf(buf, sz, "%llu/%llu samples, %u%%", (unsigned long long)samples,
			     (unsigned long long)nsamples, pct);
	else
		n = snprintf(buf, sz, "%u%% of %s%s", pct, fmt_ms(t, sizeof(t), total),
			     c->offcpu ? ", off CPU" : "");
	if (n > 0 && (size_t)n < sz)
		ls_cause_wait_text(c, buf + n, sz - (size_t)n);
	return buf;
}
