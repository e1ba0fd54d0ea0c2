/* SPDX-License-Identifier: BSD-2-Clause */
/* stack_correlate.c on synthetic streams: samples and off-CPU per iteration, overflows. */
#include <errno.h>
#include "../harness.h"
#include "collector/correlator.h"
#include "collector/record.h"

#define MS 1000000ull
#define PID 100
#define LOOP 7
#define WORKER 20

struct st_seen {
	struct ls_iteration its[8];
	int nits;
	int samples;
	struct ls_overflow ovf[4];
	int novf;
};

static void on_iteration(void *ctx, const struct ls_thread *t, const struct ls_iteration *it)
{
	struct st_seen *s = ctx;

	(void)t;
	if (s->nits < 8)
		s->its[s->nits++] = *it;
}

static void on_sample(void *ctx, const struct ls_thread *t, const struct ls_sample *smp)
{
	(void)t;
	(void)smp;
	((struct st_seen *)ctx)->samples++;
}

static void on_overflow(void *ctx, const struct ls_thread *t, const struct ls_overflow *o)
{
	struct st_seen *s = ctx;

	(void)t;
	if (s->novf < 4)
		s->ovf[s->novf++] = *o;
}

/* Stalls at 10 ms of busy time; stacks 1 (user) and 2 (kernel) known. */
static struct correlator *st_corr(struct st_seen *s)
{
	struct correlator_opts o = {
		.stall_threshold_ns = 10 * MS,
		.sink = { .ctx = s, .on_iteration = on_iteration, .on_sample = on_sample,
			  .on_overflow = on_overflow },
	};
	struct ls_rec_stack st = { .type = LS_REC_STACK, .id = 1, .nframes = 2, .ips = { 0x10, 0x20 } };
	struct correlator *c;

	memset(s, 0, sizeof(*s));
	c = correlator__new(&o);
	ASSERT(c);
	ASSERT_EQ(correlator__push(c, &st, sizeof(st)), 0);
	st.id = 2;
	st.kernel = 1;
	st.nframes = 1;
	ASSERT_EQ(correlator__push(c, &st, sizeof(st)), 0);
	return c;
}

static void push_wait(struct correlator *c, uint64_t ts, uint64_t dur)
{
	struct ls_rec_syscall r = {
		.type = LS_REC_SYSCALL, .pid = PID, .tid = LOOP, .ts = ts, .dur = dur,
		.ret = 1, .arg = -1, .fd = 3, .sys = LS_SYS_EPOLL_WAIT, .fd_kind = LS_FD_EPOLL,
	};
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
}

static void push_sample(struct correlator *c, uint32_t tid, uint64_t ts, int32_t user,
			uint64_t used)
{
	struct ls_rec_sample r = {
		.type = LS_REC_SAMPLE, .pid = PID, .tid = tid, .ts = ts, .user_stack = user,
		.kern_stack = -1, .stack_used = used, .stack_size = 8 << 20,
	};
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
}

static void push_offcpu(struct correlator *c, uint64_t ts, uint64_t end, int32_t kern,
			uint32_t waker)
{
	struct ls_rec_offcpu r = {
		.type = LS_REC_OFFCPU, .pid = PID, .tid = LOOP, .waker_tid = waker, .ts = ts,
		.end = end, .user_stack = 1, .kern_stack = kern, .waker_comm = "waker",
	};
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
}

TEST(stc_stacks_by_id)
{
	struct st_seen s;
	struct correlator *c = st_corr(&s);
	struct ls_rec_stack bad = { .type = LS_REC_STACK, .id = LS_STACK_ID_LIMIT, .nframes = 1 };
	struct ls_rec_stack unwound = { .type = LS_REC_STACK, .id = LS_MAX_STACK_IDS, .nframes = 1,
					.ips = { 0x40 } };

	ASSERT_EQ(correlator__stack(c, 1)->nframes, 2);
	ASSERT_U64_EQ(correlator__stack(c, 1)->ips[1], 0x20);
	ASSERT(correlator__stack(c, 2)->kernel);
	ASSERT(!correlator__stack(c, 3));
	ASSERT(!correlator__stack(c, -1));
	ASSERT_EQ(correlator__push(c, &bad, sizeof(bad)), -EINVAL);
	/* ids past the stack map's are the ones user space unwound */
	ASSERT_EQ(correlator__push(c, &unwound, sizeof(unwound)), 0);
	ASSERT_U64_EQ(correlator__stack(c, LS_MAX_STACK_IDS)->ips[0], 0x40);
	bad.id = 3;
	bad.nframes = LS_MAX_STACK_DEPTH + 1;
	ASSERT_EQ(correlator__push(c, &bad, sizeof(bad)), -EINVAL);
	correlator__free(c);
}

/*
 * Samples count for the iteration in progress on their thread: the
 * commonest stack is the iteration's top stack and the stall's first; a
 * sample before the loop's first return, or of another thread, does not.
 */
TEST(stc_samples_per_iteration)
{
	struct st_seen s;
	struct correlator *c = st_corr(&s);
	const struct ls_summary *sum = correlator__summary(c);
	const struct ls_stall *st;

	push_sample(c, LOOP, MS / 2, 2, 1000);		/* before the first return */
	push_wait(c, 0, MS);
	push_sample(c, LOOP, 2 * MS, 1, 2000);
	push_sample(c, LOOP, 3 * MS, 2, 1500);
	push_sample(c, LOOP, 4 * MS, 1, 1200);
	push_sample(c, WORKER, 4 * MS, 2, 9000);
	push_wait(c, 20 * MS, MS);			/* busy 19 ms: a stall */
	push_wait(c, 22 * MS, MS);			/* the next iteration: no samples */
	ASSERT_EQ(s.samples, 5);
	ASSERT_EQ(sum->samples, 5);
	ASSERT_EQ(s.nits, 2);
	ASSERT_EQ(s.its[0].nsamples, 3);
	ASSERT_EQ(s.its[0].top_count, 2);
	ASSERT(s.its[0].top_user == correlator__stack(c, 1));
	ASSERT_EQ(s.its[1].nsamples, 0);
	ASSERT(!s.its[1].top_user);
	st = &sum->loops[0]->top_stalls[0];
	ASSERT_EQ(sum->loops[0]->stalls, 1);
	ASSERT_EQ(st->nsamples, 3);
	ASSERT_EQ(st->nstacks, 2);
	ASSERT_EQ(st->stacks[0].user, 1);
	ASSERT_EQ(st->stacks[0].count, 2);
	ASSERT_EQ(st->off_user, -1);			/* never off CPU */
	/* high-water marks per thread, the worker's too */
	ASSERT_EQ(sum->nhwm, 2);
	ASSERT_EQ(sum->hwm[0].tid, LOOP);
	ASSERT_U64_EQ(sum->hwm[0].used_max, 2000);
	ASSERT_EQ(sum->hwm[0].samples, 4);
	ASSERT_EQ(sum->hwm[1].tid, WORKER);
	ASSERT_U64_EQ(sum->hwm[1].used_max, 9000);
	correlator__free(c);
}

/*
 * Off-CPU periods arrive before the wait's record: one inside the busy part
 * blocks the loop, one inside the wait is the loop idling. Only the first
 * counts, for the iteration and for its stall; the longest names the stack
 * and the waker.
 */
TEST(stc_offcpu_busy_or_poll_wait)
{
	struct st_seen s;
	struct correlator *c = st_corr(&s);
	const struct ls_stall *st;

	push_offcpu(c, 0, MS / 2, 2, 1);		/* before the first return: dropped */
	push_wait(c, 0, MS);
	push_offcpu(c, 2 * MS, 3 * MS, -1, 30);		/* busy: 1 ms */
	push_offcpu(c, 4 * MS, 9 * MS, 2, 31);		/* busy: 5 ms, the longest */
	push_offcpu(c, 13 * MS, 19 * MS, 2, 32);	/* in the wait (12..20 ms) */
	push_wait(c, 12 * MS, 8 * MS);			/* busy 11 ms: a stall */
	ASSERT_EQ(s.nits, 1);
	ASSERT_U64_EQ(s.its[0].offcpu_ns, 6 * MS);
	ASSERT(s.its[0].off_kern == correlator__stack(c, 2));
	ASSERT(s.its[0].off_user == correlator__stack(c, 1));
	ASSERT_EQ(s.its[0].waker_tid, 31);
	ASSERT_EQ(strcmp(s.its[0].waker_comm, "waker"), 0);
	st = &correlator__summary(c)->loops[0]->top_stalls[0];
	ASSERT_U64_EQ(st->offcpu_ns, 6 * MS);
	ASSERT_EQ(st->off_kern, 2);
	ASSERT_EQ(st->waker_tid, 31);
	ASSERT_EQ(st->nsamples, 0);
	/* the next iteration starts empty */
	push_wait(c, 21 * MS, MS);
	ASSERT_EQ(s.nits, 2);
	ASSERT_U64_EQ(s.its[1].offcpu_ns, 0);
	ASSERT(!s.its[1].off_kern);
	correlator__free(c);
}

/*
 * An off-CPU period inside a call's span blocked in that call: its fd, kind
 * and (a regular file's) path reach the iteration's weighted stacks and the
 * kept stall; a period outside every call stays unknown.
 */
TEST(stc_offcpu_waits_on_the_call_around_it)
{
	struct st_seen s;
	struct correlator *c = st_corr(&s);
	struct ls_rec_fd_path path = { .type = LS_REC_FD_PATH, .pid = PID, .fd = 8, .dev = 7, .ino = 42,
				       .len = 12, .path = "/var/app.log" };
	struct ls_rec_syscall wr = {
		.type = LS_REC_SYSCALL, .pid = PID, .tid = LOOP, .ts = 2 * MS, .dur = 8 * MS, .ret = 4096,
		.arg = 4096, .fd = 8, .sys = LS_SYS_WRITE, .fd_kind = LS_FD_FILE, .dev = 7, .ino = 42,
	};
	const struct ls_stall *st;
	int i, found = 0;

	push_wait(c, 0, MS);
	ASSERT_EQ(correlator__push(c, &path, sizeof(path)), 0);
	push_offcpu(c, 3 * MS, 9 * MS, 2, 31);		/* inside the write */
	push_offcpu(c, 10 * MS, 11 * MS, 2, 32);	/* after it: no call of ours */
	ASSERT_EQ(correlator__push(c, &wr, sizeof(wr)), 0);
	push_wait(c, 12 * MS, MS);
	ASSERT_EQ(s.nits, 1);
	for (i = 0; i < (int)s.its[0].nweighted; i++) {
		const struct ls_weighted_stack *w = &s.its[0].weighted[i];

		if (w->off_ns == 6 * MS) {
			ASSERT(w->wait);
			ASSERT_EQ(w->wait->sys, LS_SYS_WRITE);
			ASSERT_EQ(w->wait->fd, 8);
			ASSERT_EQ(w->wait->fd_kind, LS_FD_FILE);
			ASSERT_EQ(w->wait->path_len, 12);
			ASSERT_EQ(memcmp(w->wait->path, "/var/app.log", 12), 0);
			found++;
		} else if (w->off_ns == MS) {
			ASSERT(!w->wait);
			found++;
		}
	}
	ASSERT_EQ(found, 2);
	st = &correlator__summary(c)->loops[0]->top_stalls[0];
	ASSERT_EQ(st->noff, 2);
	ASSERT_EQ(st->off[0].wait.sys, LS_SYS_WRITE);	/* the longest first */
	ASSERT_EQ(st->off[0].wait.fd, 8);
	ASSERT_EQ(st->off[1].wait.sys, LS_SYS_NONE);
	correlator__free(c);
}

TEST(stc_overflows)
{
	struct st_seen s;
	struct correlator *c = st_corr(&s);
	const struct ls_summary *sum = correlator__summary(c);
	struct ls_rec_overflow r = {
		.type = LS_REC_OVERFLOW, .kind = LS_OVERFLOW_SEGV, .pid = PID, .tid = LOOP,
		.fault_addr = 0x7f0000000000 - 4096, .stack_start = 0x7f0000000000,
		.stack_end = 0x7f0000800000, .user_stack = 1,
	};

	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);	/* the guard page */
	r.fault_addr = 0x1000;					/* far away: a plain SEGV */
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
	r.kind = LS_OVERFLOW_V8;
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
	r.kind = 3;
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), -EINVAL);
	ASSERT_EQ(s.novf, 3);
	ASSERT(s.ovf[0].at_stack_end);
	ASSERT(!s.ovf[1].at_stack_end);
	ASSERT(s.ovf[2].at_stack_end);
	ASSERT(s.ovf[0].user == correlator__stack(c, 1));
	ASSERT_EQ(sum->segv, 2);
	ASSERT_EQ(sum->v8_overflows, 1);
	ASSERT_EQ(sum->noverflows, 3);
	correlator__free(c);
}
