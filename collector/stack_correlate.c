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

static struct thread_state *thread_of(struct correlator *c, uint32_t pid, uint32_t tid)
{
	struct thread_state *t = find_thread(c, tid);

	if (!t && (t = new_thread(c, pid, tid)))
		notify_thread(c, t);
	return t;
}

static const struct ls_stack *stack_of(const struct correlator *c, int32_t id)
{
	return c->stacks && id >= 0 && id < LS_STACK_IDS ? c->stacks[id] : NULL;
}

int stc_stack_rec(struct correlator *c, const struct ls_rec_stack *rec)
{
	struct ls_rec_stack r;
	struct ls_stack *st;

	memcpy(&r, rec, sizeof(r));
	if (r.id < 0 || r.id >= LS_STACK_IDS || r.nframes > LS_MAX_STACK_DEPTH)
		return -EINVAL;
	if (!c->stacks && !(c->stacks = calloc(LS_STACK_IDS, sizeof(*c->stacks))))
		return -ENOMEM;
	st = c->stacks[r.id];
	if (!st || st->nframes != r.nframes)
		st = realloc(st, sizeof(*st) + r.nframes * sizeof(st->ips[0]));
	if (!st)
		return -ENOMEM;
	st->id = r.id;
	st->kernel = r.kernel;
	st->nframes = r.nframes;
	memcpy(st->ips, r.ips, r.nframes * sizeof(st->ips[0]));
	c->stacks[r.id] = st;
	return 0;
}

static void note_hwm(struct correlator *c, struct thread_state *t, const struct ls_rec_sample *r)
{
	struct ls_stack_hwm *h;

	if (t->hwm < 0) {
		if (c->summary.nhwm == LS_MAX_HWM_THREADS)
			return;
		t->hwm = (int32_t)c->summary.nhwm++;
		c->summary.hwm[t->hwm].tid = r->tid;
	}
	h = &c->summary.hwm[t->hwm];
	memcpy(h->comm, t->info.comm, sizeof(h->comm));
	h->samples++;
	if (r->stack_used > h->used_max) {
		h->used_max = r->stack_used;
		h->size = r->stack_size;
	}
}

static void count_stack(struct thread_state *t, int32_t user, int32_t kern)
{
	uint32_t i;

	for (i = 0; i < t->nagg; i++) {
		if (t->agg[i].user == user && t->agg[i].kern == kern) {
			t->agg[i].count++;
			return;
		}
	}
	if (t->nagg < LS_MAX_ITER_STACKS)
		t->agg[t->nagg++] = (struct ls_stall_stack){ .user = user, .kern = kern, .count = 1 };
}

int stc_sample_rec(struct correlator *c, const struct ls_rec_sample *r)
{
	struct thread_state *t;
	struct ls_sample s = {
		.pid = r->pid, .tid = r->tid, .cpu = r->cpu, .ts = r->ts,
		.user = stack_of(c, r->user_stack), .kern = stack_of(c, r->kern_stack),
		.stack_used = r->stack_used, .stack_size = r->stack_size,
	};

	if (!r->tid || r->stack_used > r->stack_size)
		return -EINVAL;
	t = thread_of(c, r->pid, r->tid);
	if (!t)
		return -ENOMEM;
	c->summary.samples++;
	note_hwm(c, t, r);
	if (t->last_poll_exit) {
		t->nsamples++;
		count_stack(t, r->user_stack, r->kern_stack);
	}
	if (c->opts.sink.on_sample)
		c->opts.sink.on_sample(c->opts.sink.ctx, &t->info, &s);
	return 0;
}

int stc_offcpu_rec(struct correlator *c, const struct ls_rec_offcpu *r)
{
	struct thread_state *t;
	struct offcpu_period *p;

	if (!r->tid || r->end < r->ts)
		return -EINVAL;
	t = thread_of(c, r->pid, r->tid);
	if (!t)
		return -ENOMEM;
	if (!t->last_poll_exit || t->noff == LS_MAX_ITER_OFFCPU)
		return 0;	/* only loop threads' blocking explains stalls */
	p = &t->off[t->noff++];
	p->ts = r->ts;
	p->end = r->end;
	p->user = r->user_stack;
	p->kern = r->kern_stack;
	p->waker_tid = r->waker_tid;
	memcpy(p->waker_comm, r->waker_comm, sizeof(p->waker_comm));
	p->waker_comm[LS_COMM_LEN - 1] = '\0';
	return 0;
}

int stc_overflow_rec(struct correlator *c, const struct ls_rec_overflow *r)
{
	struct ls_overflow o = {
		.kind = r->kind, .pid = r->pid, .tid = r->tid, .ts = r->ts,
		.fault_addr = r->fault_addr, .sp = r->sp, .stack_start = r->stack_start,
		.stack_end = r->stack_end, .frames = r->frames, .user = stack_of(c, r->user_stack),
	};
	struct thread_state *t;

	if (!r->tid || (r->kind != LS_OVERFLOW_SEGV && r->kind != LS_OVERFLOW_V8))
		return -EINVAL;
	t = thread_of(c, r->pid, r->tid);
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

void stc_end_iteration(struct correlator *c, struct thread_state *t, struct ls_iteration *it)
{
	const struct offcpu_period *longest = NULL;
	uint32_t i, best = 0;

	it->nsamples = t->nsamples;
	for (i = 0; i < t->nagg; i++) {
		if (t->agg[i].count > best) {
			best = t->agg[i].count;
			it->top_user = stack_of(c, t->agg[i].user);
			it->top_kern = stack_of(c, t->agg[i].kern);
		}
	}
	it->top_count = best;
	for (i = 0; i < t->noff; i++) {
		const struct offcpu_period *p = &t->off[i];

		if (p->ts < it->start || p->end > it->poll_start)
			continue;	/* idle in the wait, not blocking the loop */
		it->offcpu_ns += p->end - p->ts;
		if (!longest || p->end - p->ts > longest->end - longest->ts)
			longest = p;
	}
	if (longest) {
		it->off_user = stack_of(c, longest->user);
		it->off_kern = stack_of(c, longest->kern);
		it->waker_tid = longest->waker_tid;
		memcpy(it->waker_comm, longest->waker_comm, sizeof(it->waker_comm));
	}
}

static int by_count_desc(const void *a, const void *b)
{
	const struct ls_stall_stack *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

void stc_fill_stall(const struct thread_state *t, struct ls_stall *s)
{
	struct ls_stall_stack sorted[LS_MAX_ITER_STACKS];
	const struct offcpu_period *longest = NULL;
	uint32_t i;

	memcpy(sorted, t->agg, t->nagg * sizeof(sorted[0]));
	qsort(sorted, t->nagg, sizeof(sorted[0]), by_count_desc);
	s->nsamples = t->nsamples;
	s->nstacks = t->nagg < LS_STALL_STACKS ? t->nagg : LS_STALL_STACKS;
	memcpy(s->stacks, sorted, s->nstacks * sizeof(sorted[0]));
	s->off_user = s->off_kern = -1;
	for (i = 0; i < t->noff; i++) {
		const struct offcpu_period *p = &t->off[i];

		if (p->ts < s->start || p->end > s->start + s->busy_ns)
			continue;
		s->offcpu_ns += p->end - p->ts;
		if (!longest || p->end - p->ts > longest->end - longest->ts)
			longest = p;
	}
	if (longest) {
		s->off_user = longest->user;
		s->off_kern = longest->kern;
		s->waker_tid = longest->waker_tid;
		memcpy(s->waker_comm, longest->waker_comm, sizeof(s->waker_comm));
	}
}

/* Records of the next iteration only arrive after the wait that ended this one. */
void stc_reset_iteration(struct thread_state *t)
{
	t->nsamples = 0;
	t->nagg = 0;
	t->noff = 0;
}

const struct ls_stack *correlator__stack(const struct correlator *c, int32_t id)
{
	return stack_of(c, id);
}

void stc_free(struct correlator *c)
{
	uint32_t i;

	for (i = 0; c->stacks && i < LS_STACK_IDS; i++)
		free(c->stacks[i]);
	free(c->stacks);
}
