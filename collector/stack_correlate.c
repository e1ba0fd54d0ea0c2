/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Stacks on top of the loop model: on-CPU samples and off-CPU periods are
 * attributed to the iteration in progress on their thread (they share its
 * record order), so a stall carries the stacks that explain it; stack
 * overflows and per-thread stack high-water marks go to the summary.
 *
 * An off-CPU record arrives when the thread runs again, before the record
 * of the syscall it blocked in; so whether it fell in the busy part or in
 * the poll wait is only known once the iteration completes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "correlator_int.h"
#include "record.h"

#define OVERFLOW_SLACK	(64u << 10)	/* a fault this far below a stack is an overflow */
#define MAX_ITER_STACKS	64		/* distinct stacks counted per iteration */
#define MAX_ITER_OFFCPU	16		/* off-CPU periods kept per iteration */

struct offcpu_period {
	uint64_t ts;
	uint64_t end;
	int32_t user;
	int32_t kern;
	uint32_t waker_tid;
	char waker_comm[LS_COMM_LEN];
	struct ls_wait_on wait;		/* the call it blocked in (stc_call_rec) */
};

/* What explains an iteration: a loop thread's samples and off-CPU periods. */
struct stc_iter {
	uint32_t nsamples;		/* on-CPU samples of the current iteration */
	uint32_t nagg;
	struct ls_stall_stack agg[MAX_ITER_STACKS];
	uint32_t noff;
	struct offcpu_period off[MAX_ITER_OFFCPU];
	/* the iteration's stacks for on_iteration, filled as it completes */
	uint32_t nweighted;
	struct ls_weighted_stack weighted[MAX_ITER_STACKS + MAX_ITER_OFFCPU];
};

/*
 * A thread with a sample or an off-CPU period. The iteration part is only
 * allocated for a loop thread (one inside an iteration): workers, sampled
 * too, need just their high-water mark.
 */
struct stc_thread {
	int32_t hwm;			/* index in summary.hwm, -1 = none yet */
	struct stc_iter *iter;
};

struct stc_run {
	struct ls_stack *stacks[LS_STACK_ID_LIMIT];	/* by stack id: the stack map's, then unwound ones */
};

/* t's state, allocated at its first sample or off-CPU period. */
static struct stc_thread *stc_of(struct thread_state *t)
{
	if (!t->stc && (t->stc = calloc(1, sizeof(*t->stc))))
		t->stc->hwm = -1;
	return t->stc;
}

/* The current iteration's part of t's state, for a loop thread in an iteration only. */
static struct stc_iter *iter_of(struct thread_state *t, int *err)
{
	*err = 0;
	if (!t->last_poll_exit)
		return NULL;
	if (!t->stc->iter && !(t->stc->iter = calloc(1, sizeof(*t->stc->iter))))
		*err = -ENOMEM;
	return t->stc->iter;
}

const struct ls_stack *stc_stack(const struct correlator *c, int32_t id)
{
	return c->stc && id >= 0 && id < LS_STACK_ID_LIMIT ? c->stc->stacks[id] : NULL;
}

int stc_stack_rec(struct correlator *c, const void *rec)
{
	const struct ls_rec_stack *r = rec;
	struct ls_stack *st;

	if (r->id < 0 || r->id >= LS_STACK_ID_LIMIT || r->nframes > LS_MAX_STACK_DEPTH)
		return -EINVAL;
	if (!c->stc && !(c->stc = calloc(1, sizeof(*c->stc))))
		return -ENOMEM;
	st = c->stc->stacks[r->id];
	if (!st || st->nframes != r->nframes)
		st = realloc(st, sizeof(*st) + r->nframes * sizeof(st->ips[0]));
	if (!st)
		return -ENOMEM;
	st->id = r->id;
	st->kernel = r->kernel;
	st->nframes = r->nframes;
	memcpy(st->ips, r->ips, r->nframes * sizeof(st->ips[0]));
	c->stc->stacks[r->id] = st;
	return 0;
}

static void note_hwm(struct correlator *c, struct thread_state *t, const struct ls_rec_sample *r)
{
	struct stc_thread *st = t->stc;
	struct ls_stack_hwm *h;

	if (st->hwm < 0) {
		if (c->summary.nhwm == LS_MAX_HWM_THREADS)
			return;
		st->hwm = (int32_t)c->summary.nhwm++;
		c->summary.hwm[st->hwm].tid = r->tid;
	}
	h = &c->summary.hwm[st->hwm];
	memcpy(h->comm, t->info.comm, sizeof(h->comm));
	h->samples++;
	if (r->stack_used > h->used_max) {
		h->used_max = r->stack_used;
		h->size = r->stack_size;
	}
}

static void count_stack(struct stc_iter *it, int32_t user, int32_t kern)
{
	uint32_t i;

	for (i = 0; i < it->nagg; i++) {
		if (it->agg[i].user == user && it->agg[i].kern == kern) {
			it->agg[i].count++;
			return;
		}
	}
	if (it->nagg < MAX_ITER_STACKS)
		it->agg[it->nagg++] = (struct ls_stall_stack){ .user = user, .kern = kern, .count = 1 };
}

int stc_sample_rec(struct correlator *c, const void *rec)
{
	const struct ls_rec_sample *r = rec;
	struct ls_sample s = {
		.pid = r->pid, .tid = r->tid, .cpu = r->cpu, .ts = r->ts,
		.user = stc_stack(c, r->user_stack), .kern = stc_stack(c, r->kern_stack),
		.stack_used = r->stack_used, .stack_size = r->stack_size,
	};
	struct thread_state *t;
	struct stc_iter *it;
	int err;

	if (!r->tid || r->stack_used > r->stack_size)
		return -EINVAL;
	t = corr_get_thread(c, r->pid, r->tid);
	if (!t || !stc_of(t))
		return -ENOMEM;
	it = iter_of(t, &err);
	if (err)
		return err;
	c->summary.samples++;
	note_hwm(c, t, r);
	if (it) {
		it->nsamples++;
		count_stack(it, r->user_stack, r->kern_stack);
	}
	if (c->opts.sink.on_sample)
		c->opts.sink.on_sample(c->opts.sink.ctx, &t->info, &s);
	return 0;
}

int stc_offcpu_rec(struct correlator *c, const void *rec)
{
	const struct ls_rec_offcpu *r = rec;
	struct thread_state *t;
	struct offcpu_period *p;
	struct stc_iter *it;
	int err;

	if (!r->tid || r->end < r->ts)
		return -EINVAL;
	t = corr_get_thread(c, r->pid, r->tid);
	if (!t)
		return -ENOMEM;
	if (!t->last_poll_exit)
		return 0;	/* only loop threads' blocking explains stalls */
	if (!stc_of(t))
		return -ENOMEM;
	it = iter_of(t, &err);
	if (!it || it->noff == MAX_ITER_OFFCPU)
		return err;
	p = &it->off[it->noff++];
	memset(p, 0, sizeof(*p));
	p->ts = r->ts;
	p->end = r->end;
	p->user = r->user_stack;
	p->kern = r->kern_stack;
	p->waker_tid = r->waker_tid;
	memcpy(p->waker_comm, r->waker_comm, sizeof(p->waker_comm));
	p->waker_comm[LS_COMM_LEN - 1] = '\0';
	return 0;
}

int stc_overflow_rec(struct correlator *c, const void *rec)
{
	const struct ls_rec_overflow *r = rec;
	struct ls_overflow o = {
		.kind = r->kind, .pid = r->pid, .tid = r->tid, .ts = r->ts,
		.fault_addr = r->fault_addr, .sp = r->sp, .stack_start = r->stack_start,
		.stack_end = r->stack_end, .frames = r->frames, .user = stc_stack(c, r->user_stack),
	};
	struct thread_state *t;

	if (!r->tid || (r->kind != LS_OVERFLOW_SEGV && r->kind != LS_OVERFLOW_V8))
		return -EINVAL;
	t = corr_get_thread(c, r->pid, r->tid);
	if (!t)
		return -ENOMEM;
	memcpy(o.comm, t->info.comm, sizeof(o.comm));
	if (r->kind == LS_OVERFLOW_V8) {
		c->summary.v8_overflows++;
		o.at_stack_end = true;	/* V8 only calls it for its own stack limit */
	} else {
		c->summary.segv++;
		/* the guard page sits just below the mapping; the fault hits it or the
		 * mapping's lowest pages */
		o.at_stack_end = r->stack_start && r->fault_addr < r->stack_start + OVERFLOW_SLACK &&
				 r->fault_addr + OVERFLOW_SLACK >= r->stack_start;
	}
	if (c->summary.noverflows < LS_MAX_OVERFLOWS)
		c->summary.overflows[c->summary.noverflows++] = o;
	if (c->opts.sink.on_overflow)
		c->opts.sink.on_overflow(c->opts.sink.ctx, &t->info, &o);
	return 0;
}

/* What the call's own record says it waited on: the fd, its kind, a regular file's path. */
static void fill_wait(const struct correlator *c, const struct ls_rec_syscall *r, struct ls_wait_on *w)
{
	bool perf_map;
	const struct ls_rec_fd_path *path = r->fd_kind == LS_FD_FILE ? fdp_find(c, r, &perf_map) : NULL;

	w->sys = r->sys;
	w->fd_kind = r->fd_kind;
	w->fd = r->fd;
	w->path_len = 0;
	if (path && path->len) {
		w->path_len = path->len < LS_WAIT_PATH_MAX ? path->len : LS_WAIT_PATH_MAX;
		memcpy(w->path, path->path, w->path_len);
	}
}

void stc_call_rec(const struct correlator *c, struct thread_state *t, const struct ls_rec_syscall *r)
{
	struct stc_iter *it = t->stc ? t->stc->iter : NULL;
	uint32_t i;

	for (i = 0; it && i < it->noff; i++) {
		struct offcpu_period *p = &it->off[i];

		if (!p->wait.sys && p->ts >= r->ts && p->end <= r->ts + r->dur)
			fill_wait(c, r, &p->wait);
	}
}

/* The longest off-CPU period inside [start, end] and the time of all of them. */
static const struct offcpu_period *longest_off(const struct stc_iter *it, uint64_t start,
					       uint64_t end, uint64_t *total)
{
	const struct offcpu_period *longest = NULL;
	uint32_t i;

	for (i = 0; i < it->noff; i++) {
		const struct offcpu_period *p = &it->off[i];

		if (p->ts < start || p->end > end)
			continue;	/* idle in the wait, not blocking the loop */
		*total += p->end - p->ts;
		if (!longest || p->end - p->ts > longest->end - longest->ts)
			longest = p;
	}
	return longest;
}

static const struct stc_iter *iter_data(const struct thread_state *t)
{
	return t->stc ? t->stc->iter : NULL;
}

/* Every stack of the iteration with its weight, for a cause by function (model.h). */
static void fill_weighted(const struct correlator *c, struct stc_iter *d, uint64_t start,
			  uint64_t end)
{
	uint32_t i, n = 0;

	for (i = 0; i < d->nagg; i++)
		d->weighted[n++] = (struct ls_weighted_stack){
			.user = stc_stack(c, d->agg[i].user), .kern = stc_stack(c, d->agg[i].kern),
			.samples = d->agg[i].count,
		};
	for (i = 0; i < d->noff; i++) {
		const struct offcpu_period *p = &d->off[i];
		struct ls_weighted_stack *w = &d->weighted[n];

		if (p->ts < start || p->end > end || p->end == p->ts)
			continue;	/* idle in the wait, not blocking the loop */
		*w = (struct ls_weighted_stack){
			.user = stc_stack(c, p->user), .kern = stc_stack(c, p->kern),
			.off_ns = p->end - p->ts, .waker_tid = p->waker_tid,
			.wait = p->wait.sys ? &p->wait : NULL,
		};
		memcpy(w->waker_comm, p->waker_comm, sizeof(w->waker_comm));
		n++;
	}
	d->nweighted = n;
}

void stc_end_iteration(const struct correlator *c, struct thread_state *t, struct ls_iteration *it)
{
	struct stc_iter *d = t->stc ? t->stc->iter : NULL;
	const struct offcpu_period *longest;
	uint32_t i, best = 0;

	if (!d)
		return;
	it->nsamples = d->nsamples;
	for (i = 0; i < d->nagg; i++) {
		if (d->agg[i].count > best) {
			best = d->agg[i].count;
			it->top_user = stc_stack(c, d->agg[i].user);
			it->top_kern = stc_stack(c, d->agg[i].kern);
		}
	}
	it->top_count = best;
	longest = longest_off(d, it->start, it->poll_start, &it->offcpu_ns);
	if (longest) {
		it->off_user = stc_stack(c, longest->user);
		it->off_kern = stc_stack(c, longest->kern);
		it->waker_tid = longest->waker_tid;
		memcpy(it->waker_comm, longest->waker_comm, sizeof(it->waker_comm));
	}
	fill_weighted(c, d, it->start, it->poll_start);
	it->nweighted = d->nweighted;
	it->weighted = d->weighted;
}

static int by_count_desc(const void *a, const void *b)
{
	const struct ls_stall_stack *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

static int by_off_desc(const void *a, const void *b)
{
	const struct ls_stall_off *x = a, *y = b;

	return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

/* The longest off-CPU periods of the busy part, longest first: the weights of an off-CPU cause. */
static void keep_offcpu(const struct stc_iter *d, struct ls_stall *s)
{
	struct ls_stall_off all[MAX_ITER_OFFCPU];
	uint32_t i, n = 0;

	for (i = 0; i < d->noff; i++) {
		const struct offcpu_period *p = &d->off[i];

		if (p->ts < s->start || p->end > s->start + s->busy_ns || p->end == p->ts)
			continue;
		all[n] = (struct ls_stall_off){ .user = p->user, .kern = p->kern,
						.ns = p->end - p->ts, .waker_tid = p->waker_tid,
						.wait = p->wait };
		memcpy(all[n].waker_comm, p->waker_comm, sizeof(all[n].waker_comm));
		n++;
	}
	qsort(all, n, sizeof(all[0]), by_off_desc);
	s->noff = n < LS_STALL_OFFCPU ? n : LS_STALL_OFFCPU;
	memcpy(s->off, all, s->noff * sizeof(all[0]));
}

void stc_fill_stall(const struct thread_state *t, struct ls_stall *s)
{
	const struct stc_iter *d = iter_data(t);
	struct ls_stall_stack sorted[MAX_ITER_STACKS];
	const struct offcpu_period *longest;

	s->off_user = s->off_kern = -1;
	if (!d)
		return;
	memcpy(sorted, d->agg, d->nagg * sizeof(sorted[0]));
	qsort(sorted, d->nagg, sizeof(sorted[0]), by_count_desc);
	s->nsamples = d->nsamples;
	s->nstacks = d->nagg < LS_STALL_STACKS ? d->nagg : LS_STALL_STACKS;
	memcpy(s->stacks, sorted, s->nstacks * sizeof(sorted[0]));
	longest = longest_off(d, s->start, s->start + s->busy_ns, &s->offcpu_ns);
	if (longest) {
		s->off_user = longest->user;
		s->off_kern = longest->kern;
		s->waker_tid = longest->waker_tid;
		memcpy(s->waker_comm, longest->waker_comm, sizeof(s->waker_comm));
	}
	keep_offcpu(d, s);
}

/* Records of the next iteration only arrive after the wait that ended this one. */
void stc_reset_iteration(struct thread_state *t)
{
	struct stc_iter *d = t->stc ? t->stc->iter : NULL;

	if (d) {
		d->nsamples = 0;
		d->nagg = 0;
		d->noff = 0;
		d->nweighted = 0;
	}
}

void stc_free_thread(struct thread_state *t)
{
	if (t->stc)
		free(t->stc->iter);
	free(t->stc);
}

void stc_free(struct correlator *c)
{
	uint32_t i;

	for (i = 0; c->stc && i < LS_STACK_ID_LIMIT; i++)
		free(c->stc->stacks[i]);
	free(c->stc);
}
