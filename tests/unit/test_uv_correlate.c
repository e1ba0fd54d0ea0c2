/* SPDX-License-Identifier: BSD-2-Clause */
/* uv_correlate.c on synthetic streams: phases per iteration, thread-pool items. */
#include <errno.h>
#include "../harness.h"
#include "collector/correlator.h"
#include "collector/loop_summary.h"
#include "collector/record.h"

#define MS 1000000ull
#define PID 100
#define LOOP 7
#define WORKER 20
#define MAX_SEEN 64

struct uv_seen {
	struct ls_phase_span phases[MAX_SEEN];
	int nphases;
	struct { uint64_t id; uint32_t event, kind; uint64_t iter; bool sync; } work[MAX_SEEN];
	int nwork;
	int32_t last_queued, last_running;
};

static void on_phase(void *ctx, const struct ls_thread *t, const struct ls_phase_span *p)
{
	struct uv_seen *s = ctx;

	(void)t;
	if (s->nphases < MAX_SEEN)
		s->phases[s->nphases++] = *p;
}

static void on_work(void *ctx, const struct ls_work_item *w, uint32_t event, uint64_t iter)
{
	struct uv_seen *s = ctx;

	if (s->nwork == MAX_SEEN)
		return;
	s->work[s->nwork].id = w->id;
	s->work[s->nwork].event = event;
	s->work[s->nwork].kind = w->kind;
	s->work[s->nwork].iter = iter;
	s->work[s->nwork].sync = w->sync;
	s->nwork++;
}

static void on_pool(void *ctx, uint32_t pid, uint64_t ts, int32_t queued, int32_t running)
{
	struct uv_seen *s = ctx;

	(void)pid;
	(void)ts;
	s->last_queued = queued;
	s->last_running = running;
}

static struct correlator *uv_corr(struct uv_seen *s, unsigned uv_version)
{
	struct correlator_opts o = {
		.stall_threshold_ns = 100 * MS,
		.sink = { .ctx = s, .on_phase = on_phase, .on_work = on_work, .on_pool = on_pool },
	};
	struct correlator *c;

	memset(s, 0, sizeof(*s));
	c = correlator__new(&o);
	ASSERT(c);
	correlator__set_libuv(c, uv_version);
	return c;
}

static int push_wait(struct correlator *c, uint32_t tid, uint64_t ts, uint64_t dur)
{
	struct ls_rec_syscall r = {
		.type = LS_REC_SYSCALL, .pid = PID, .tid = tid, .ts = ts, .dur = dur,
		.ret = 1, .arg = -1, .fd = 3, .sys = LS_SYS_EPOLL_WAIT, .fd_kind = LS_FD_EPOLL,
	};
	return correlator__push(c, &r, sizeof(r));
}

static int push_phase(struct correlator *c, uint32_t phase, uint64_t ts, uint64_t end)
{
	struct ls_rec_uv_phase r = {
		.type = LS_REC_UV_PHASE, .phase = phase, .pid = PID, .tid = LOOP, .ts = ts, .end = end,
	};
	return correlator__push(c, &r, sizeof(r));
}

static int push_work(struct correlator *c, uint32_t event, uint32_t tid, uint64_t work,
		     uint64_t ts, uint64_t end)
{
	struct ls_rec_uv_work r = {
		.type = LS_REC_UV_WORK, .event = event, .pid = PID, .tid = tid, .ts = ts,
		.end = end, .work = work, .kind = LS_WORK_FS,
	};
	return correlator__push(c, &r, sizeof(r));
}

/*
 * One iteration as libuv runs it, from the wait's return at 1 ms: uv__io_poll
 * returns (I/O callbacks), check, [closing], timers, [pending], idle,
 * prepare, uv__io_poll entered at 9.5 ms, the wait at 10 ms. Bracketed
 * phases are inlined: inferred from the gaps.
 */
static void one_iteration(struct correlator *c)
{
	ASSERT_EQ(push_phase(c, LS_PHASE_TIMERS, MS / 5, MS / 2), 0);	/* before the first return */
	ASSERT_EQ(push_wait(c, LOOP, 0, MS), 0);
	ASSERT_EQ(push_phase(c, LS_PHASE_POLL, MS / 2, 2 * MS), 0);
	ASSERT_EQ(push_phase(c, LS_PHASE_CHECK, 3 * MS, 4 * MS), 0);
	ASSERT_EQ(push_phase(c, LS_PHASE_TIMERS, 5 * MS, 6 * MS), 0);
	ASSERT_EQ(push_phase(c, LS_PHASE_IDLE, 7 * MS, 8 * MS), 0);
	ASSERT_EQ(push_phase(c, LS_PHASE_PREPARE, 8 * MS, 9 * MS), 0);
	ASSERT_EQ(push_phase(c, LS_PHASE_POLL, 9 * MS + MS / 2, 0), 0);	/* entry marker */
	ASSERT_EQ(push_wait(c, LOOP, 10 * MS, MS), 0);
}

static void expect_phases(const struct uv_seen *s, const uint32_t *want, int n)
{
	int i;

	ASSERT_EQ(s->nphases, n);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(s->phases[i].phase, want[i]);
		ASSERT_EQ(s->phases[i].iter, 1);
		ASSERT_EQ(s->phases[i].tid, LOOP);
		if (i)
			ASSERT(s->phases[i].start >= s->phases[i - 1].end);
	}
}

TEST(uv_phases_before_libuv_1_45)
{
	static const uint32_t want[] = {
		LS_PHASE_IO_CALLBACKS, LS_PHASE_CHECK, LS_PHASE_CLOSING, LS_PHASE_TIMERS,
		LS_PHASE_PENDING, LS_PHASE_IDLE, LS_PHASE_PREPARE, LS_PHASE_POLL,
	};
	struct uv_seen s;
	struct correlator *c = uv_corr(&s, 0x012c00);	/* 1.44.0 */
	const struct ls_phase_stats *st;

	one_iteration(c);
	expect_phases(&s, want, 8);
	ASSERT_U64_EQ(s.phases[0].start, MS);	/* I/O callbacks begin when the wait returned */
	ASSERT(s.phases[2].inferred && s.phases[4].inferred && !s.phases[3].inferred);
	ASSERT_U64_EQ(s.phases[2].start, 4 * MS);
	ASSERT_U64_EQ(s.phases[2].end, 5 * MS);
	ASSERT_U64_EQ(s.phases[7].start, 9 * MS + MS / 2);	/* poll: entry to the wait */
	ASSERT_U64_EQ(s.phases[7].end, 10 * MS);
	st = ls_loop_phase(correlator__summary(c)->loops[0], LS_PHASE_TIMERS);
	ASSERT(st);
	ASSERT_U64_EQ(st->total_ns, MS);	/* the timers run before the first return is not counted */
	correlator__free(c);
}

TEST(uv_phases_libuv_1_45_reruns_pending)
{
	static const uint32_t want[] = {
		LS_PHASE_IO_CALLBACKS, LS_PHASE_PENDING, LS_PHASE_CHECK, LS_PHASE_CLOSING,
		LS_PHASE_TIMERS, LS_PHASE_PENDING, LS_PHASE_IDLE, LS_PHASE_PREPARE, LS_PHASE_POLL,
	};
	struct uv_seen s;
	struct correlator *c = uv_corr(&s, 0x012d00);	/* 1.45.0 */

	one_iteration(c);
	expect_phases(&s, want, 9);
	ASSERT(s.phases[1].inferred);
	ASSERT_U64_EQ(s.phases[1].start, 2 * MS);
	ASSERT_U64_EQ(s.phases[1].end, 3 * MS);
	correlator__free(c);
}

TEST(uv_phase_records_checked)
{
	struct uv_seen s;
	struct correlator *c = uv_corr(&s, 0);

	ASSERT_EQ(push_phase(c, LS_UV_PROBED, 1, 2), -EINVAL);	/* an inferred phase is not probed */
	ASSERT_EQ(push_phase(c, LS_PHASE_CHECK, 1, 0), -EINVAL);	/* only poll has an entry marker */
	ASSERT_EQ(push_phase(c, LS_PHASE_CHECK, 5, 2), -EINVAL);
	ASSERT_EQ(correlator__summary(c)->bad_records, 3);
	correlator__free(c);
}

/*
 * A pointer libuv reuses: submitted, run, then submitted again before its
 * done callback was seen. The old item ends incomplete; the new one is a new
 * item (a new id). The second submit of one submit (uv_queue_work and
 * uv__work_submit both report it) is not a new item.
 */
TEST(uv_work_pointer_reuse)
{
	struct uv_seen s;
	struct correlator *c = uv_corr(&s, 0);
	const struct ls_pool_summary *p = &correlator__summary(c)->pool;

	ASSERT_EQ(push_wait(c, LOOP, 0, MS), 0);
	ASSERT_EQ(push_work(c, LS_WORK_SUBMIT, LOOP, 0x1000, 2 * MS, 0), 0);
	ASSERT_EQ(push_work(c, LS_WORK_SUBMIT, LOOP, 0x1000, 2 * MS + 1, 0), 0);	/* same submit */
	ASSERT_EQ(s.last_queued, 1);
	ASSERT_EQ(push_work(c, LS_WORK_PICKUP, WORKER, 0x1000, 3 * MS, 0), 0);
	ASSERT_EQ(s.last_queued, 0);
	ASSERT_EQ(s.last_running, 1);
	ASSERT_EQ(push_work(c, LS_WORK_RUN, WORKER, 0x1000, 3 * MS, 4 * MS), 0);
	ASSERT_EQ(push_work(c, LS_WORK_SUBMIT, LOOP, 0x1000, 5 * MS, 0), 0);	/* reused */
	ASSERT_EQ(push_work(c, LS_WORK_PICKUP, WORKER, 0x1000, 6 * MS, 0), 0);
	ASSERT_EQ(push_work(c, LS_WORK_RUN, WORKER, 0x1000, 6 * MS, 8 * MS), 0);
	ASSERT_EQ(push_work(c, LS_WORK_DONE_BEGIN, LOOP, 0x1000, 9 * MS, 0), 0);
	ASSERT_EQ(push_work(c, LS_WORK_DONE, LOOP, 0x1000, 9 * MS, 10 * MS), 0);
	/* submit, pickup, run; the end of item 1 (event 0); item 2's five events */
	ASSERT_EQ(s.nwork, 3 + 1 + 5);
	ASSERT_EQ(s.work[0].event, LS_WORK_SUBMIT);
	ASSERT_EQ(s.work[0].iter, 1);		/* submitted in the loop's iteration 1 */
	ASSERT_EQ(s.work[1].iter, 0);		/* picked up on a worker */
	ASSERT_EQ(s.work[3].id, 1);
	ASSERT_EQ(s.work[3].event, 0);
	ASSERT_EQ(s.work[4].id, 2);
	ASSERT_EQ(s.work[8].event, LS_WORK_DONE);
	ASSERT_EQ(p->kinds[LS_WORK_FS]->count, 1);
	ASSERT_EQ(p->kinds[LS_WORK_FS]->incomplete, 1);
	ASSERT_EQ(p->kinds[LS_WORK_FS]->run.count, 1);
	ASSERT_EQ(p->max_queued, 1);
	ASSERT_EQ(p->max_running, 1);
	ASSERT_EQ(p->nworkers, 1);
	ASSERT_EQ(p->workers[0], WORKER);
	correlator__finish(c);
	ASSERT_EQ(s.nwork, 9);			/* nothing left in flight */
	correlator__free(c);
}

/* A worker's futex wait is pool idle time; the loop thread's is not. */
TEST(uv_worker_idle)
{
	struct uv_seen s;
	struct correlator *c = uv_corr(&s, 0);
	struct ls_rec_syscall r = {
		.type = LS_REC_SYSCALL, .pid = PID, .tid = WORKER, .ts = 5 * MS, .dur = 3 * MS,
		.sys = LS_SYS_FUTEX, .fd = -1,
	};

	ASSERT_EQ(push_work(c, LS_WORK_PICKUP, WORKER, 0x2000, MS, 0), 0);
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
	r.tid = LOOP;
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
	ASSERT_U64_EQ(correlator__summary(c)->pool.worker_idle_ns, 3 * MS);
	correlator__finish(c);
	ASSERT_EQ(s.nwork, 2);			/* the pickup, then its end at finish */
	ASSERT_EQ(s.work[1].event, 0);
	correlator__free(c);
}

/*
 * Work run on a loop thread that never submitted it: a synchronous uv_fs_*
 * call (no done callback follows). On a thread that is not a loop, the
 * same events are a worker's.
 */
TEST(uv_sync_fs_on_the_loop)
{
	struct uv_seen s;
	struct correlator *c = uv_corr(&s, 0);
	const struct ls_pool_summary *p = &correlator__summary(c)->pool;

	ASSERT_EQ(push_work(c, LS_WORK_PICKUP, LOOP, 0x3000, MS / 2, 0), 0);	/* not a loop yet */
	ASSERT(!s.work[0].sync);
	ASSERT_EQ(push_wait(c, LOOP, 0, MS), 0);
	ASSERT_EQ(push_work(c, LS_WORK_PICKUP, LOOP, 0x4000, 2 * MS, 0), 0);
	ASSERT_EQ(push_work(c, LS_WORK_RUN, LOOP, 0x4000, 2 * MS, 5 * MS), 0);
	ASSERT_EQ(s.nwork, 3);
	ASSERT(s.work[1].sync && s.work[2].sync);
	ASSERT_EQ(s.work[2].event, LS_WORK_RUN);
	ASSERT_EQ(s.work[2].iter, 1);
	ASSERT_EQ(p->kinds[LS_WORK_FS]->sync, 1);
	ASSERT_U64_EQ(p->kinds[LS_WORK_FS]->sync_ns, 3 * MS);
	ASSERT_EQ(p->max_running, 1);		/* the first pickup only: sync items are not pool work */
	/* the main thread before its first wait (node's startup reads): sync too */
	ASSERT_EQ(push_work(c, LS_WORK_PICKUP, PID, 0x5000, 6 * MS, 0), 0);
	ASSERT_EQ(push_work(c, LS_WORK_RUN, PID, 0x5000, 6 * MS, 7 * MS), 0);
	ASSERT(s.work[3].sync && s.work[4].sync);
	ASSERT_EQ(p->kinds[LS_WORK_FS]->sync, 2);
	ASSERT_EQ(p->max_running, 1);
	correlator__finish(c);
	ASSERT_EQ(s.nwork, 6);			/* 0x3000 never ran to its end; 0x4000 is gone */
	ASSERT_EQ(s.work[5].id, 1);
	ASSERT_EQ(s.work[5].event, 0);
	ASSERT_EQ(p->kinds[LS_WORK_FS]->incomplete, 1);
	correlator__free(c);
}

TEST(uv_work_records_checked)
{
	struct uv_seen s;
	struct correlator *c = uv_corr(&s, 0);

	ASSERT_EQ(push_work(c, LS_WORK_SUBMIT, LOOP, 0, MS, 0), -EINVAL);	/* no pointer */
	ASSERT_EQ(push_work(c, LS_WORK_PROBED + 1, LOOP, 0x10, MS, 0), -EINVAL);
	ASSERT_EQ(push_work(c, LS_WORK_RUN, LOOP, 0x10, MS, MS - 1), -EINVAL);
	ASSERT_EQ(s.nwork, 0);
	correlator__free(c);
}

/* Many items in flight at once, in and out of the table in any order. */
TEST(uv_many_items)
{
	struct uv_seen s;
	struct correlator *c = uv_corr(&s, 0);
	const struct ls_pool_summary *p = &correlator__summary(c)->pool;
	uint64_t w;

	for (w = 1; w <= 1000; w++)
		ASSERT_EQ(push_work(c, LS_WORK_SUBMIT, LOOP, w << 4, w, 0), 0);
	ASSERT_EQ(p->max_queued, 1000);
	for (w = 1000; w >= 1; w -= 2)
		ASSERT_EQ(push_work(c, LS_WORK_DONE, LOOP, w << 4, 2000 + w, 2001 + w), 0);
	ASSERT_EQ(p->kinds[LS_WORK_FS]->count, 500);
	s.nwork = 0;
	correlator__finish(c);
	ASSERT_EQ(p->kinds[LS_WORK_FS]->incomplete, 500);
	correlator__free(c);
}

/*
 * A done callback submitting its own uv_work_t again (node's zlib): five
 * sequential items through one pointer, each submitted between the
 * previous one's done entry and return. Five complete items, five flows.
 */
TEST(uv_item_resubmitted_from_its_done_callback)
{
	struct uv_seen s;
	struct correlator *c = uv_corr(&s, 0);
	const struct ls_work_stats *st;
	uint64_t t = 1000, i, ids[5];
	const uint64_t w = 0x5000;

	ASSERT_EQ(push_work(c, LS_WORK_SUBMIT, LOOP, w, t, 0), 0);
	for (i = 0; i < 5; i++, t += 100) {
		ASSERT_EQ(push_work(c, LS_WORK_PICKUP, WORKER, w, t + 10, 0), 0);
		ASSERT_EQ(push_work(c, LS_WORK_RUN, WORKER, w, t + 10, t + 20), 0);
		ASSERT_EQ(push_work(c, LS_WORK_DONE_BEGIN, LOOP, w, t + 30, 0), 0);
		if (i < 4)	/* the next item, from inside this one's done callback */
			ASSERT_EQ(push_work(c, LS_WORK_SUBMIT, LOOP, w, t + 35, 0), 0);
		ASSERT_EQ(push_work(c, LS_WORK_DONE, LOOP, w, t + 30, t + 40), 0);
		ASSERT_EQ(s.work[s.nwork - 1].event, LS_WORK_DONE);
		ids[i] = s.work[s.nwork - 1].id;
	}
	correlator__finish(c);
	st = correlator__summary(c)->pool.kinds[LS_WORK_FS];
	ASSERT_EQ(st->count, 5);
	ASSERT_EQ(st->incomplete, 0);
	ASSERT_EQ(st->done.count, 5);
	ASSERT_EQ(st->run.count, 5);
	for (i = 1; i < 5; i++)
		ASSERT(ids[i] != ids[i - 1]);
	correlator__free(c);
}

/* Two processes (forked: the same heap addresses) using one uv__work pointer: two items. */
TEST(uv_same_pointer_in_two_processes)
{
	struct uv_seen s;
	struct correlator *c = uv_corr(&s, 0);
	struct ls_rec_uv_work r = {
		.type = LS_REC_UV_WORK, .event = LS_WORK_SUBMIT, .pid = PID + 1, .tid = LOOP + 100,
		.ts = 1100, .work = 0x7000, .kind = LS_WORK_FS,
	};
	const struct ls_pool_summary *p = &correlator__summary(c)->pool;

	ASSERT_EQ(push_work(c, LS_WORK_SUBMIT, LOOP, 0x7000, 1000, 0), 0);
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
	ASSERT_EQ(p->max_queued, 1);	/* a queue per process, one item in each */
	ASSERT_EQ(push_work(c, LS_WORK_DONE, LOOP, 0x7000, 2000, 2010), 0);
	r.event = LS_WORK_DONE, r.ts = 2100, r.end = 2110;
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
	ASSERT_EQ(p->kinds[LS_WORK_FS]->count, 2);
	correlator__finish(c);
	ASSERT_EQ(p->kinds[LS_WORK_FS]->incomplete, 0);
	correlator__free(c);
}

/*
 * uv__io_poll waiting twice in one call (its wait ended before the timeout
 * was due): the busy part between the two waits is the poll phase, and the
 * I/O callbacks start at the second wait's return.
 */
TEST(uv_poll_that_waits_twice)
{
	struct uv_seen s;
	struct correlator *c = uv_corr(&s, 0x012e00);
	int i, poll = -1, io = -1;

	ASSERT_EQ(push_wait(c, LOOP, 0, MS), 0);			/* iteration 1 begins at 1 ms */
	ASSERT_EQ(push_phase(c, LS_PHASE_TIMERS, 2 * MS, 3 * MS), 0);
	ASSERT_EQ(push_phase(c, LS_PHASE_POLL, 4 * MS, 0), 0);		/* uv__io_poll entered */
	ASSERT_EQ(push_wait(c, LOOP, 5 * MS, 5 * MS), 0);		/* returns at 10 ms, early */
	ASSERT_EQ(push_wait(c, LOOP, 10 * MS + 2000, MS), 0);		/* waits again at once */
	ASSERT_EQ(push_phase(c, LS_PHASE_POLL, 4 * MS, 12 * MS), 0);	/* uv__io_poll returns */
	ASSERT_EQ(push_wait(c, LOOP, 13 * MS, MS), 0);
	for (i = 0; i < s.nphases; i++) {
		if (s.phases[i].iter == 2 && s.phases[i].phase == LS_PHASE_POLL)
			poll = i;
		if (s.phases[i].iter == 3 && s.phases[i].phase == LS_PHASE_IO_CALLBACKS)
			io = i;
	}
	ASSERT(poll >= 0);
	ASSERT_EQ(s.phases[poll].start, 10 * MS);
	ASSERT_EQ(s.phases[poll].end, 10 * MS + 2000);
	ASSERT(io >= 0);
	ASSERT_EQ(s.phases[io].start, 11 * MS + 2000);
	ASSERT_EQ(s.phases[io].end, 12 * MS);
	correlator__free(c);
}

static int push_name(struct correlator *c, uint64_t addr, const char *name)
{
	struct ls_rec_work_name r = { .type = LS_REC_WORK_NAME, .pid = PID, .addr = addr };

	snprintf(r.name, sizeof(r.name), "%s", name);
	return correlator__push(c, &r, sizeof(r));
}

/* One queue_work item from submit to done, its owner words and work function given. */
static void named_item(struct correlator *c, uint64_t work, uint64_t owner0, uint64_t owner1,
		       uint64_t fn, uint64_t t)
{
	struct ls_rec_uv_work r = {
		.type = LS_REC_UV_WORK, .event = LS_WORK_SUBMIT, .pid = PID, .tid = LOOP, .ts = t,
		.work = work, .kind = LS_WORK_WORK, .work_fn = fn, .owner = { owner0, owner1 },
	};

	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
	r = (struct ls_rec_uv_work){ .type = LS_REC_UV_WORK, .pid = PID, .work = work, .kind = LS_WORK_WORK };
	r.event = LS_WORK_PICKUP, r.tid = WORKER, r.ts = t + MS;
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
	r.event = LS_WORK_RUN, r.end = t + 3 * MS;
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
	r.event = LS_WORK_DONE, r.tid = LOOP, r.ts = t + 4 * MS, r.end = t + 5 * MS;
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
}

/*
 * node: one work function for every kind, the owner's vtable tells them
 * apart; a C program: the work function names it; no name: by kind only.
 */
TEST(uv_items_named_by_owner_class_then_function)
{
	struct uv_seen s;
	struct correlator *c = uv_corr(&s, 0);
	const struct ls_pool_summary *p = &correlator__summary(c)->pool;
	char name[16];
	unsigned i;

	ASSERT_EQ(push_wait(c, LOOP, 0, MS), 0);
	ASSERT_EQ(push_name(c, 0xa000, "DeriveBitsJob<PBKDF2Traits>"), 0);
	ASSERT_EQ(push_name(c, 0xb000, "ZlibStream"), 0);
	ASSERT_EQ(push_name(c, 0xf000, "work"), 0);
	named_item(c, 0x1000, 0xa000, 0x5555, 0xf000, 2 * MS);	/* the class, not the function */
	named_item(c, 0x1000, 0x6666, 0xb000, 0xf000, 10 * MS);	/* the other owner word */
	named_item(c, 0x2000, 0xa000, 0x5555, 0xf000, 20 * MS);
	named_item(c, 0x3000, 0x7777, 0x8888, 0xf000, 30 * MS);	/* no class: the function */
	named_item(c, 0x4000, 0x7777, 0x8888, 0xe000, 40 * MS);	/* nothing named */
	ASSERT_EQ(p->kinds[LS_WORK_WORK]->count, 5);
	ASSERT_EQ(p->nnamed, 3);
	ASSERT_STR_EQ(p->named[0]->name, "DeriveBitsJob<PBKDF2Traits>");
	ASSERT_EQ(p->named[0]->st.count, 2);
	ASSERT_EQ(p->named[0]->kind, LS_WORK_WORK);
	ASSERT_U64_EQ(p->named[0]->st.run.max, 2 * MS);
	ASSERT_STR_EQ(p->named[1]->name, "ZlibStream");
	ASSERT_EQ(p->named[1]->st.count, 1);
	ASSERT_STR_EQ(p->named[2]->name, "work");
	ASSERT_EQ(p->named[2]->st.count, 1);
	/* bounded: names past LS_MAX_WORK_NAMES are counted, their items kept by kind */
	for (i = 0; i < LS_MAX_WORK_NAMES; i++) {
		snprintf(name, sizeof(name), "job%u", i);
		ASSERT_EQ(push_name(c, 0x100000 + i, name), 0);
		named_item(c, 0x9000 + i, 0x100000 + i, 0, 0, (50 + 10 * i) * MS);
	}
	ASSERT_EQ(p->nnamed, LS_MAX_WORK_NAMES);
	ASSERT_U64_EQ(p->named_full, 3);
	ASSERT_EQ(p->kinds[LS_WORK_WORK]->count, 5 + LS_MAX_WORK_NAMES);
	/* a name record without its name, or unterminated, is refused */
	ASSERT_EQ(push_name(c, 0xc000, ""), -EINVAL);
	correlator__free(c);
}

/*
 * A stripped libuv: the callbacks are probed at 10 ms. Items submitted
 * before may have run unseen, so they are not counted as queued; one of
 * them seen picked up later runs and completes as usual.
 */
TEST(uv_pool_probed_late_does_not_inflate_the_queue)
{
	struct uv_seen s;
	struct correlator *c = uv_corr(&s, 0);
	const struct ls_pool_summary *p = &correlator__summary(c)->pool;
	struct ls_rec_uv_work probed = {
		.type = LS_REC_UV_WORK, .event = LS_WORK_PROBED, .pid = PID, .tid = LOOP, .ts = 10 * MS,
	};

	ASSERT_EQ(push_wait(c, LOOP, 0, MS), 0);
	ASSERT_EQ(push_work(c, LS_WORK_SUBMIT, LOOP, 0x1000, 2 * MS, 0), 0);	/* ran unseen */
	ASSERT_EQ(push_work(c, LS_WORK_SUBMIT, LOOP, 0x2000, 3 * MS, 0), 0);	/* runs after */
	ASSERT_EQ(s.last_queued, 2);
	ASSERT_EQ(correlator__push(c, &probed, sizeof(probed)), 0);
	ASSERT_EQ(push_work(c, LS_WORK_SUBMIT, LOOP, 0x3000, 4 * MS, 0), 0);	/* arrives late */
	ASSERT_EQ(s.last_queued, 0);
	ASSERT_EQ(push_work(c, LS_WORK_SUBMIT, LOOP, 0x4000, 11 * MS, 0), 0);	/* after: counted */
	ASSERT_EQ(s.last_queued, 1);
	ASSERT_EQ(push_work(c, LS_WORK_PICKUP, WORKER, 0x2000, 12 * MS, 0), 0);
	ASSERT_EQ(s.last_queued, 1);
	ASSERT_EQ(s.last_running, 1);
	ASSERT_EQ(push_work(c, LS_WORK_RUN, WORKER, 0x2000, 12 * MS, 13 * MS), 0);
	ASSERT_EQ(push_work(c, LS_WORK_DONE, LOOP, 0x2000, 14 * MS, 15 * MS), 0);
	ASSERT_EQ(p->kinds[LS_WORK_FS]->count, 1);
	ASSERT_EQ(p->max_queued, 1);		/* the two before the probes may have run unseen */
	ASSERT_EQ(p->probed_late, 1);
	correlator__finish(c);
	ASSERT_EQ(p->kinds[LS_WORK_FS]->incomplete, 3);
	correlator__free(c);
}

/* fs items by operation: a pool read, and a synchronous open on the loop (no submit). */
TEST(uv_fs_items_named_by_operation)
{
	struct uv_seen s;
	struct correlator *c = uv_corr(&s, 0);
	const struct ls_pool_summary *p = &correlator__summary(c)->pool;
	struct ls_rec_uv_work r = {
		.type = LS_REC_UV_WORK, .event = LS_WORK_SUBMIT, .pid = PID, .tid = LOOP, .ts = 2 * MS,
		.work = 0x1000, .kind = LS_WORK_FS, .detail = 3 + 1,	/* UV_FS_READ */
	};

	ASSERT_EQ(push_wait(c, LOOP, 0, MS), 0);
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
	ASSERT_EQ(push_work(c, LS_WORK_PICKUP, WORKER, 0x1000, 3 * MS, 0), 0);
	ASSERT_EQ(push_work(c, LS_WORK_RUN, WORKER, 0x1000, 3 * MS, 4 * MS), 0);
	ASSERT_EQ(push_work(c, LS_WORK_DONE, LOOP, 0x1000, 5 * MS, 6 * MS), 0);
	r = (struct ls_rec_uv_work){ .type = LS_REC_UV_WORK, .event = LS_WORK_PICKUP, .pid = PID,
				     .tid = LOOP, .ts = 7 * MS, .work = 0x2000, .kind = LS_WORK_FS,
				     .detail = 1 + 1 };	/* UV_FS_OPEN, run on the loop thread */
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
	ASSERT_EQ(push_work(c, LS_WORK_RUN, LOOP, 0x2000, 7 * MS, 9 * MS), 0);
	ASSERT_EQ(p->nnamed, 2);
	ASSERT_STR_EQ(p->named[0]->name, "fs.read");
	ASSERT_EQ(p->named[0]->st.count, 1);
	ASSERT_STR_EQ(p->named[1]->name, "fs.open");
	ASSERT_EQ(p->named[1]->st.sync, 1);
	ASSERT_U64_EQ(p->named[1]->st.sync_ns, 2 * MS);
	ASSERT_EQ(p->kinds[LS_WORK_FS]->count, 1);
	ASSERT_EQ(p->kinds[LS_WORK_FS]->sync, 1);
	correlator__free(c);
}
