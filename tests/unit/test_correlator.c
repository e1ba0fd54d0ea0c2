/* SPDX-License-Identifier: BSD-2-Clause */
/* The correlator on synthetic record streams. */
#include <errno.h>
#include "../harness.h"
#include "collector/correlator.h"
#include "collector/record.h"

#define MS 1000000ull
#define PID 100

struct seen {
	int threads, calls, iterations, stalls, polls, file_io, open;
	uint64_t last_busy[8];
	struct ls_iteration its[64];
	int nits;
};

static void on_thread(void *ctx, const struct ls_thread *t)
{
	(void)t;
	((struct seen *)ctx)->threads++;
}

static void on_call(void *ctx, const struct ls_thread *t, const struct ls_call *c)
{
	struct seen *s = ctx;

	(void)t;
	s->calls++;
	s->polls += !!(c->flags & LS_CALLF_POLL);
	s->file_io += !!(c->flags & LS_CALLF_SYNC_FILE);
	s->open += !!(c->flags & LS_SYSF_OPEN);
}

static void on_iteration(void *ctx, const struct ls_thread *t, const struct ls_iteration *it)
{
	struct seen *s = ctx;

	(void)t;
	s->iterations++;
	s->stalls += it->stall;
	if (s->nits < 64)
		s->its[s->nits++] = *it;
}

static struct correlator *new_corr(struct seen *s, uint64_t stall_ns)
{
	struct correlator_opts o = {
		.stall_threshold_ns = stall_ns,
		.sink = { .ctx = s, .on_thread = on_thread, .on_call = on_call,
			  .on_iteration = on_iteration },
	};
	struct correlator *c;

	memset(s, 0, sizeof(*s));
	c = correlator__new(&o);
	ASSERT(c);
	return c;
}

static struct ls_rec_syscall rec_call(uint32_t tid, uint32_t sys, uint64_t ts, uint64_t dur,
				      int fd, uint32_t kind)
{
	struct ls_rec_syscall r = {
		.type = LS_REC_SYSCALL, .pid = PID, .tid = tid, .ts = ts, .dur = dur,
		.ret = 1, .arg = -1, .fd = fd, .sys = sys, .fd_kind = kind,
	};
	return r;
}

static struct ls_rec_syscall rec_epoll(uint32_t tid, uint64_t ts, uint64_t dur)
{
	return rec_call(tid, LS_SYS_EPOLL_WAIT, ts, dur, 3, LS_FD_EPOLL);
}

static void push(struct correlator *c, struct ls_rec_syscall r)
{
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
}

static void push_thread(struct correlator *c, uint32_t tid, const char *comm, uint32_t type)
{
	struct ls_rec_thread r = { .type = type, .pid = PID, .tid = tid, .ts = 1 };

	strncpy(r.comm, comm, sizeof(r.comm) - 1);
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
}

TEST(stall_exactly_at_threshold)
{
	struct seen s;
	struct correlator *c = new_corr(&s, 50 * MS);
	const struct ls_summary *sum;

	push(c, rec_epoll(7, 0, 1 * MS));			/* first return at 1 ms */
	push(c, rec_epoll(7, 51 * MS, 1 * MS));		/* busy 50 ms exactly */
	push(c, rec_epoll(7, 52 * MS + 49 * MS + 999999, 1));	/* busy 49.999999 ms */
	ASSERT_EQ(s.iterations, 2);
	ASSERT_EQ(s.stalls, 1);
	ASSERT_U64_EQ(ls_iteration_busy(&s.its[0]), 50 * MS);
	ASSERT(s.its[0].stall);
	ASSERT(!s.its[1].stall);
	sum = correlator__summary(c);
	ASSERT_EQ(sum->nloops, 1);
	ASSERT_EQ(sum->loops[0]->stalls, 1);
	ASSERT_U64_EQ(sum->loops[0]->top_stalls[0].busy_ns, 50 * MS);
	correlator__free(c);
}

TEST(iteration_splits_busy_and_poll)
{
	struct seen s;
	struct correlator *c = new_corr(&s, 50 * MS);

	push(c, rec_epoll(7, 1000, 500));			/* returns at 1500 */
	push(c, rec_call(7, LS_SYS_READ, 2000, 100, 5, LS_FD_SOCKET));
	push(c, rec_call(7, LS_SYS_WRITEV, 2200, 300, 5, LS_FD_SOCKET));
	push(c, rec_epoll(7, 3000, 7000));			/* waits 7 us */
	ASSERT_EQ(s.iterations, 1);
	ASSERT_U64_EQ(s.its[0].start, 1500);
	ASSERT_U64_EQ(s.its[0].poll_start, 3000);
	ASSERT_U64_EQ(s.its[0].end, 10000);
	ASSERT_EQ(s.its[0].ncalls, 2);
	ASSERT_U64_EQ(ls_iteration_busy(&s.its[0]), 1500);
	ASSERT_U64_EQ(ls_iteration_poll(&s.its[0]), 7000);
	ASSERT_EQ(s.polls, 1);	/* the first return is a plain call, the second closes it */
	ASSERT_EQ(s.calls, 4);
	ASSERT_EQ(correlator__summary(c)->loops[0]->sys[LS_SYS_READ]->count, 1);
	correlator__free(c);
}

/* Two loop threads; the stream interleaves them in a different order each time. */
static void run_two_loops(struct seen *s, int order, uint64_t *busy_sum)
{
	struct ls_rec_syscall a[6], b[6];
	struct correlator *c = new_corr(s, 50 * MS);
	const struct ls_summary *sum;
	int i, ia = 0, ib = 0;

	for (i = 0; i < 6; i++) {
		a[i] = rec_epoll(11, (uint64_t)i * 100 * MS, 10 * MS);
		b[i] = rec_epoll(12, (uint64_t)i * 30 * MS + 5, 1 * MS);
	}
	/* order 0: all of a then b; 1: all b then a; 2: alternating from b */
	for (i = 0; i < 12; i++) {
		int take_a = order == 0 ? ia < 6 : order == 1 ? ib >= 6 : (i % 2 ? ia < 6 : ib >= 6);

		if (take_a)
			push(c, a[ia++]);
		else
			push(c, b[ib++]);
	}
	sum = correlator__summary(c);
	ASSERT_EQ(sum->nloops, 2);
	*busy_sum = sum->loops[0]->busy_total_ns + sum->loops[1]->busy_total_ns;
	correlator__free(c);
}

TEST(interleaved_loop_threads_any_order)
{
	struct seen s[3];
	uint64_t busy[3];
	int i;

	for (i = 0; i < 3; i++)
		run_two_loops(&s[i], i, &busy[i]);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(s[i].iterations, 10);
		ASSERT_EQ(s[i].stalls, 5);		/* a: 90 ms busy each */
		ASSERT_U64_EQ(busy[i], busy[0]);
	}
	ASSERT_U64_EQ(busy[0], 5 * 90 * MS + 5 * 29 * MS);
}

TEST(out_of_order_within_thread_rejected)
{
	struct seen s;
	struct correlator *c = new_corr(&s, 50 * MS);
	struct ls_rec_syscall late = rec_call(7, LS_SYS_READ, 500, 10, 4, LS_FD_PIPE);

	push(c, rec_epoll(7, 1000, 100));
	ASSERT_EQ(correlator__push(c, &late, sizeof(late)), -EINVAL);
	ASSERT_U64_EQ(correlator__summary(c)->bad_records, 1);
	ASSERT_EQ(s.calls, 1);
	correlator__free(c);
}

TEST(open_calls_at_end)
{
	struct seen s;
	struct correlator *c = new_corr(&s, 50 * MS);
	struct ls_rec_syscall open_wait = rec_epoll(7, 5 * MS, 1 * MS);
	struct ls_rec_syscall open_read = rec_call(8, LS_SYS_READ, 2 * MS, 4 * MS, 0, LS_FD_TTY);

	open_wait.flags = LS_SYSF_OPEN;
	open_read.flags = LS_SYSF_OPEN;
	push(c, rec_epoll(7, 0, 1 * MS));
	push(c, open_wait);	/* still waiting at the end: no iteration from it */
	push(c, open_read);
	ASSERT_EQ(s.iterations, 0);
	ASSERT_EQ(s.open, 2);
	ASSERT_EQ(s.polls, 0);
	ASSERT_U64_EQ(correlator__summary(c)->last_ts, 6 * MS);
	correlator__free(c);
}

TEST(sync_file_io_on_loop_is_a_finding)
{
	struct seen s;
	struct correlator *c = new_corr(&s, 50 * MS);
	const struct ls_loop_summary *l;

	push(c, rec_call(7, LS_SYS_READ, 10, 10, 9, LS_FD_FILE));	/* before any loop: not flagged */
	push(c, rec_epoll(7, 100, 10));
	push(c, rec_call(7, LS_SYS_READ, 200, 5000, 9, LS_FD_FILE));
	push(c, rec_call(7, LS_SYS_PREAD64, 6000, 1000, 9, LS_FD_FILE));
	push(c, rec_call(7, LS_SYS_FUTEX, 8000, 10, -1, LS_FD_NONE));
	push(c, rec_epoll(7, 9000, 10));
	ASSERT_EQ(s.file_io, 2);
	ASSERT_EQ(s.its[0].nfile_io, 2);
	ASSERT_EQ(s.its[0].ncalls, 3);
	l = correlator__summary(c)->loops[0];
	ASSERT_EQ(l->file_io_calls, 2);
	ASSERT_EQ(l->nfile_fds, 1);
	ASSERT_EQ(l->file_io[0].fd, 9);
	ASSERT_U64_EQ(l->file_io[0].max_ns, 5000);
	ASSERT_U64_EQ(l->file_io[0].sys_mask, (1u << LS_SYS_READ) | (1u << LS_SYS_PREAD64));
	ASSERT_U64_EQ(correlator__summary(c)->other_calls, 1);
	correlator__free(c);
}

TEST(malformed_records_rejected)
{
	struct seen s;
	struct correlator *c = new_corr(&s, 50 * MS);
	struct ls_rec_syscall r = rec_epoll(7, 0, 1);
	uint32_t junk = 99;

	ASSERT_EQ(correlator__push(c, &junk, sizeof(junk)), -EINVAL);
	ASSERT_EQ(correlator__push(c, &junk, 2), -EINVAL);
	ASSERT_EQ(correlator__push(c, &r, sizeof(r) - 1), -EINVAL);
	r.sys = LS_SYS_MAX;
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), -EINVAL);
	r.sys = LS_SYS_READ;
	r.fd_kind = 1000;
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), -EINVAL);
	r.fd_kind = 0;
	r.ts = 10;
	r.dur = UINT64_MAX;
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), -EINVAL);
	ASSERT_U64_EQ(correlator__summary(c)->bad_records, 6);
	ASSERT_EQ(s.calls, 0);
	correlator__free(c);
}

/* Every record type has one valid length; no type outside the ABI's is taken. */
TEST(dispatch_by_type_and_length)
{
	static const struct { uint32_t type; size_t len; } types[] = {
		{ LS_REC_SYSCALL, sizeof(struct ls_rec_syscall) },
		{ LS_REC_THREAD, sizeof(struct ls_rec_thread) },
		{ LS_REC_THREAD_EXIT, sizeof(struct ls_rec_thread) },
		{ LS_REC_UV_PHASE, sizeof(struct ls_rec_uv_phase) },
		{ LS_REC_UV_WORK, sizeof(struct ls_rec_uv_work) },
		{ LS_REC_SAMPLE, sizeof(struct ls_rec_sample) },
		{ LS_REC_OFFCPU, sizeof(struct ls_rec_offcpu) },
		{ LS_REC_OVERFLOW, sizeof(struct ls_rec_overflow) },
		{ LS_REC_STACK, sizeof(struct ls_rec_stack) },
		{ LS_REC_SYS_AGG, sizeof(struct ls_rec_sys_agg) },
	};
	static uint64_t buf[(sizeof(struct ls_rec_stack) + 16) / 8];	/* zeroed: tid 0 is invalid */
	struct seen s;
	struct correlator *c = new_corr(&s, 50 * MS);
	uint64_t bad = 0;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memcpy(buf, &types[i].type, sizeof(types[i].type));
		ASSERT_EQ(correlator__push(c, buf, types[i].len + 8), -EINVAL);
		ASSERT_EQ(correlator__push(c, buf, types[i].len - 4), -EINVAL);
		bad += 2;
	}
	for (i = 0; i <= 1; i++) {
		uint32_t type = i ? LS_REC_TYPE_MAX : 0;

		memcpy(buf, &type, sizeof(type));
		ASSERT_EQ(correlator__push(c, buf, sizeof(struct ls_rec_syscall)), -EINVAL);
		bad++;
	}
	ASSERT_U64_EQ(correlator__summary(c)->bad_records, bad);
	ASSERT_U64_EQ(correlator__summary(c)->records, 0);
	/* the right length reaches the handler: a stack record of id 0 is valid */
	memcpy(buf, &types[8].type, sizeof(types[8].type));
	ASSERT_EQ(correlator__push(c, buf, types[8].len), 0);
	ASSERT(correlator__stack(c, 0));
	ASSERT_EQ(s.calls, 0);
	correlator__free(c);
}

TEST(thread_names_and_reuse)
{
	struct seen s;
	struct correlator *c = new_corr(&s, 50 * MS);

	push_thread(c, 7, "server", LS_REC_THREAD);
	push_thread(c, 7, "server", LS_REC_THREAD);	/* same name: no announcement */
	ASSERT_EQ(s.threads, 1);
	push(c, rec_epoll(7, 0, 1));
	push(c, rec_epoll(7, 10, 1));
	ASSERT_STR_EQ(correlator__thread(c, 7)->comm, "server");
	ASSERT(correlator__thread(c, 7)->is_loop);
	push_thread(c, 7, "server", LS_REC_THREAD_EXIT);
	push_thread(c, 7, "worker", LS_REC_THREAD);	/* tid reused */
	ASSERT_STR_EQ(correlator__thread(c, 7)->comm, "worker");
	ASSERT(!correlator__thread(c, 7)->is_loop);
	push(c, rec_epoll(7, 5, 1));	/* a new thread: time may restart below the old one's */
	ASSERT_EQ(correlator__summary(c)->nloops, 2);
	ASSERT(correlator__thread(c, 8) == NULL);
	correlator__free(c);
}

TEST(many_threads_grow_table)
{
	struct seen s;
	struct correlator *c = new_corr(&s, 50 * MS);
	uint32_t tid;

	for (tid = 1; tid <= 5000; tid++)
		push(c, rec_call(tid, LS_SYS_FUTEX, tid, 1, -1, LS_FD_NONE));
	for (tid = 1; tid <= 5000; tid++)
		ASSERT(correlator__thread(c, tid));
	ASSERT_U64_EQ(correlator__summary(c)->threads, 5000);
	correlator__free(c);
}

/* Exits punch holes in the probe runs: every survivor must stay findable. */
TEST(exited_threads_are_let_go)
{
	struct seen s;
	struct correlator *c = new_corr(&s, 50 * MS);
	uint32_t tid;

	for (tid = 1; tid <= 3000; tid++)
		push_thread(c, tid, tid % 2 ? "odd" : "even", LS_REC_THREAD);
	for (tid = 3000; tid >= 1; tid -= 2)
		push_thread(c, tid, "even", LS_REC_THREAD_EXIT);
	ASSERT_EQ(correlator__live_threads(c), 1500);
	for (tid = 1; tid <= 3000; tid++) {
		if (tid % 2)
			ASSERT_STR_EQ(correlator__thread(c, tid)->comm, "odd");
		else
			ASSERT(correlator__thread(c, tid) == NULL);
	}
	/* a churn of short-lived threads beside a loop: state for the living only */
	push(c, rec_epoll(100000, 0, 1));
	for (tid = 200000; tid < 300000; tid++) {
		push_thread(c, tid, "churn", LS_REC_THREAD);
		push(c, rec_call(tid, LS_SYS_FUTEX, tid, 1, -1, LS_FD_NONE));
		push_thread(c, tid, "churn", LS_REC_THREAD_EXIT);
	}
	push(c, rec_epoll(100000, 400000, 1));
	ASSERT_EQ(correlator__live_threads(c), 1501);
	ASSERT_U64_EQ(correlator__summary(c)->threads, 3000 + 1 + 100000);
	ASSERT(correlator__thread(c, 100000)->is_loop);
	ASSERT_U64_EQ(correlator__summary(c)->loops[0]->iterations, 1);
	correlator__free(c);
}

/* Short-lived loop threads: past LS_KEEP_LOOPS, exited ones fold into one entry. */
TEST(exited_loops_fold_into_one_entry)
{
	struct seen s;
	struct correlator *c = new_corr(&s, 50 * MS);
	const struct ls_summary *sum;
	const struct ls_loop_summary *folded = NULL;
	uint64_t iters = 0;
	uint32_t tid, i, merged = 0;

	for (tid = 1000; tid < 1100; tid++) {
		uint64_t t0 = (tid - 1000) * 100 * MS;

		push_thread(c, tid, "short", LS_REC_THREAD);
		push(c, rec_epoll(tid, t0, 1));
		push(c, rec_epoll(tid, t0 + 2 * MS, 1));
		/* the last one stalls: its stall must survive the fold */
		push(c, rec_epoll(tid, t0 + (tid == 1099 ? 70 : 4) * MS, 1));
		push_thread(c, tid, "short", LS_REC_THREAD_EXIT);
	}
	sum = correlator__summary(c);
	ASSERT_EQ(sum->nloops, LS_KEEP_LOOPS + 1);
	for (i = 0; i < sum->nloops; i++) {
		iters += sum->loops[i]->iterations;
		if (sum->loops[i]->merged) {
			ASSERT(!folded);
			folded = sum->loops[i];
		}
	}
	ASSERT(folded);
	merged = folded->merged;
	ASSERT_EQ(folded->tid, 0);
	ASSERT_STR_EQ(folded->comm, "exited loops");
	ASSERT_EQ(merged, 100 - LS_KEEP_LOOPS);
	ASSERT_U64_EQ(iters, 200);			/* nothing lost in the fold */
	ASSERT_U64_EQ(folded->iterations, 2 * merged);
	ASSERT_U64_EQ(folded->busy.count, 2 * merged);
	ASSERT_U64_EQ(folded->stalls, 1);
	ASSERT_EQ(folded->nstalls_kept, 1);
	ASSERT(folded->top_stalls[0].busy_ns >= 60 * MS);
	ASSERT(folded->sys[LS_SYS_EPOLL_WAIT] && folded->sys[LS_SYS_EPOLL_WAIT]->count == 3 * merged);
	ASSERT_EQ(correlator__live_threads(c), 0);
	correlator__free(c);
}

/*
 * The first LS_KEEP_LOOPS loops keep their entries even when many loops are
 * alive at once: the main loop, exiting last with the process, stays listed
 * (it used to fold whenever more than 32 loops were listed at its exit).
 */
TEST(first_loops_stay_listed_at_process_exit)
{
	struct seen s;
	struct correlator *c = new_corr(&s, 50 * MS);
	const struct ls_summary *sum;
	uint32_t tid, i, main_found = 0;

	push_thread(c, 1, "main", LS_REC_THREAD);
	push(c, rec_epoll(1, 0, 1));
	push(c, rec_epoll(1, MS, 1));
	for (tid = 1000; tid < 1040; tid++) {	/* 40 loops alive at once */
		push(c, rec_epoll(tid, 2 * MS, 1));
		push(c, rec_epoll(tid, 3 * MS, 1));
	}
	for (tid = 1000; tid < 1040; tid++)
		push_thread(c, tid, "short", LS_REC_THREAD_EXIT);
	push(c, rec_epoll(1, 5 * MS, 1));
	push_thread(c, 1, "main", LS_REC_THREAD_EXIT);
	sum = correlator__summary(c);
	ASSERT_EQ(sum->nloops, LS_KEEP_LOOPS + 1);
	for (i = 0; i < sum->nloops; i++) {
		if (sum->loops[i]->tid == 1) {
			main_found++;
			ASSERT_U64_EQ(sum->loops[i]->iterations, 2);
		}
		if (sum->loops[i]->merged)
			ASSERT_EQ(sum->loops[i]->merged, 40 - (LS_KEEP_LOOPS - 1));
		else
			ASSERT(sum->loops[i]->tid == 1 || sum->loops[i]->tid < 1000 + LS_KEEP_LOOPS - 1);
	}
	ASSERT_EQ(main_found, 1);
	correlator__free(c);
}

TEST(hist_quantiles_within_error)
{
	struct ls_hist h;
	uint64_t v, q;

	ls_hist_init(&h);
	for (v = 1; v <= 100000; v++)
		ls_hist_add(&h, v * 1000);
	q = ls_hist_quantile(&h, 0.5);
	ASSERT_NEAR(q, 50000000.0, 50000000.0 / 64);
	q = ls_hist_quantile(&h, 0.99);
	ASSERT_NEAR(q, 99000000.0, 99000000.0 / 64);
	ASSERT_U64_EQ(ls_hist_quantile(&h, 1.0), 100000000);
	ASSERT_U64_EQ(h.min, 1000);
	for (v = 0; v < 4000000; v += 997)
		ASSERT(ls_hist_bucket_low(ls_hist_bucket_of(v)) <= v);
}

/* Offsets count from the recording's start, which a record only moves back. */
TEST(correlator_start_is_the_recordings)
{
	struct correlator_opts o = { .stall_threshold_ns = 50000000 };
	struct correlator *c = correlator__new(&o);
	struct ls_rec_syscall r = {
		.type = LS_REC_SYSCALL, .pid = 1, .tid = 1, .ts = 9000000000ull, .dur = 1000,
		.ret = 1, .arg = -1, .fd = 3, .sys = LS_SYS_EPOLL_WAIT, .fd_kind = LS_FD_EPOLL,
	};

	ASSERT(c);
	correlator__set_start(c, 0);		/* unknown: ignored */
	ASSERT_U64_EQ(correlator__summary(c)->first_ts, 0);
	correlator__set_start(c, 5000000000ull);
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
	ASSERT_U64_EQ(correlator__summary(c)->first_ts, 5000000000ull);	/* not the first record's */
	r.ts = 4000000000ull, r.tid = 2;	/* another thread's, from before */
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
	ASSERT_U64_EQ(correlator__summary(c)->first_ts, 4000000000ull);
	correlator__free(c);
}
