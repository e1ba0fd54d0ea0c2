/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * trace_export: what a loop thread holds until its iteration completes
 * (calls, thread-pool events, phases) comes out nested and in time order on
 * its track; what is still held at an exit or at the end comes out then.
 * The whole loop track is compared as one line, in file order.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "../harness.h"
#include "viewer-export/trace_export.h"
#include "trace_decode.h"

#define US		1000ull
#define MS		1000000ull
#define T0		(7000 * MS)
#define PID		2000
#define FLOW(id)	((id) | (uint64_t)PID << 40)

static struct ls_thread loop_thr = { .pid = PID, .tid = PID, .comm = "node", .is_loop = true };
static struct ls_thread worker = { .pid = PID, .tid = PID + 1, .comm = "libuv-worker" };

static void call(struct ls_sink *s, uint32_t sys, uint64_t ts, uint64_t dur, uint64_t iter)
{
	struct ls_call c = { .ts = ts, .dur = dur, .ret = 0, .fd = 5, .sys = sys,
			     .fd_kind = LS_FD_FILE, .pid = PID, .tid = PID, .iter = iter };

	s->on_call(s->ctx, &loop_thr, &c);
}

static void phase(struct ls_sink *s, uint32_t ph, uint64_t start, uint64_t end, uint64_t iter)
{
	struct ls_phase_span p = { .pid = PID, .tid = PID, .phase = ph, .iter = iter,
				   .start = start, .end = end };

	s->on_phase(s->ctx, &loop_thr, &p);
}

/* An fs item submitted by the loop, run by the worker, completed on the loop. */
static void pool_item(struct ls_sink *s, struct ls_work_item *w)
{
	*w = (struct ls_work_item){ .id = 7, .work = 0x1000, .pid = PID, .kind = LS_WORK_FS,
				    .submit_tid = PID, .worker_tid = PID + 1, .done_tid = PID,
				    .queued_at_submit = 3, .submit_ts = T0 + 1500 * US };
	s->on_work(s->ctx, w, LS_WORK_SUBMIT, 1);
	w->pickup_ts = T0 + 2500 * US;
	s->on_work(s->ctx, w, LS_WORK_PICKUP, 0);
	w->run_end = T0 + 4 * MS;
	s->on_work(s->ctx, w, LS_WORK_RUN, 0);
}

static void feed(struct ls_sink *s)
{
	struct ls_iteration it = { .pid = PID, .tid = PID, .seq = 1, .start = T0,
				   .poll_start = T0 + 10 * MS, .end = T0 + 12 * MS,
				   .poll_sys = LS_SYS_EPOLL_PWAIT, .poll_ret = 1, .ncalls = 3 };
	struct ls_work_item w, sync = { .id = 8, .work = 0x2000, .pid = PID, .kind = LS_WORK_FS,
					.submit_tid = PID, .worker_tid = PID, .sync = true };

	s->on_thread(s->ctx, &loop_thr);
	s->on_thread(s->ctx, &worker);
	call(s, LS_SYS_READ, T0 + 500 * US, 200 * US, 1);	/* before any phase */
	pool_item(s, &w);					/* submit in "timers" */
	call(s, LS_SYS_WRITE, T0 + 2800 * US, 500 * US, 1);	/* clamped to the phase */
	phase(s, LS_PHASE_TIMERS, T0 + MS, T0 + 3 * MS, 1);
	w.done_start = T0 + 5 * MS, w.done_entered = true;
	s->on_work(s->ctx, &w, LS_WORK_DONE_BEGIN, 1);
	call(s, LS_SYS_PREAD64, T0 + 5500 * US, 100 * US, 1);	/* inside the done callback */
	w.done_end = T0 + 6 * MS;
	s->on_work(s->ctx, &w, LS_WORK_DONE, 1);
	sync.pickup_ts = T0 + 6500 * US;
	s->on_work(s->ctx, &sync, LS_WORK_PICKUP, 1);
	sync.run_end = T0 + 7 * MS;
	s->on_work(s->ctx, &sync, LS_WORK_RUN, 1);
	phase(s, LS_PHASE_POLL, T0 + 4500 * US, T0 + 8 * MS, 1);
	s->on_iteration(s->ctx, &loop_thr, &it);
	/* held in an iteration that never completes: written by finish, unnested */
	w.id = 9, w.submit_ts = T0 + 13 * MS;
	s->on_work(s->ctx, &w, LS_WORK_SUBMIT, 2);
	call(s, LS_SYS_READ, T0 + 14 * MS, 100 * US, 2);
}

static int export(int fd, void (*feed_fn)(struct ls_sink *))
{
	struct pftrace_opts po = { 0 };
	struct trace_export_opts o = { .pid = PID, .process_name = "node" };

	return td_export(fd, &po, &o, NULL, NULL, feed_fn);
}

/* The track's events in file order: "B:name", "E", "I:name", space-separated. */
static void track_line(const struct trace *t, uint64_t track, char *out, size_t size)
{
	size_t i, n = 0;

	out[0] = 0;
	for (i = 0; i < t->nev; i++) {
		const struct ev *e = &t->ev[i];
		const char *sep = n ? " " : "";

		if (e->track != track)
			continue;
		if (e->type == PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_END)
			n += snprintf(out + n, size - n, "%sE", sep);
		else
			n += snprintf(out + n, size - n, "%s%c:%s", sep,
				      e->type == PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_INSTANT ?
				      'I' : 'B', e->name ? e->name : "?");
		ASSERT(n < size);
	}
}

/* The END matching the BEGIN named name, on its track. */
static const struct ev *end_of(const struct trace *t, const char *name)
{
	const struct ev *b = td_find(t, name);
	size_t i;
	int depth = 1;

	for (i = (size_t)(b - t->ev) + 1; i < t->nev; i++) {
		if (t->ev[i].track != b->track)
			continue;
		if (t->ev[i].type == PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_BEGIN)
			depth++;
		else if (t->ev[i].type == PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_END &&
			 !--depth)
			return &t->ev[i];
	}
	LS_FAIL("no END of %s", name);
}

TEST(trace_export_holds_pool_events_and_phases)
{
	int fd = memfd_create("t", 0);
	struct trace *t = calloc(1, sizeof(*t));
	char line[1024];
	const struct ev *e;

	ASSERT(fd >= 0 && t);
	ASSERT_EQ(export(fd, feed), 0);
	td_decode(fd, t);
	track_line(t, pftrace__track_uuid(PFTRACE_UUID_THREAD, PID, PID), line, sizeof(line));
	ASSERT_STR_EQ(line,
		      "B:iteration B:busy B:read E B:timers I:submit fs B:write E E "
		      "B:poll B:fs done B:pread64 E E B:fs (sync on loop) E E E "
		      "B:poll wait E E I:submit fs B:read E");
	track_line(t, pftrace__track_uuid(PFTRACE_UUID_THREAD, PID, PID + 1), line, sizeof(line));
	ASSERT_STR_EQ(line, "B:run fs E");

	e = td_find(t, "submit fs");
	ASSERT_STR_EQ(e->cats, "threadpool");
	ASSERT_EQ(e->ts, T0 + 1500 * US);
	ASSERT_EQ(td_arg(t, e, "queued")->int_value, 3);
	ASSERT_STR_EQ(td_str_arg(t, e, "kind"), "fs");
	ASSERT(e->te->n_flow_ids == 1);
	ASSERT_U64_EQ(e->te->flow_ids[0], FLOW(7));
	e = td_find(t, "run fs");
	ASSERT(e->te->n_flow_ids == 1);
	ASSERT_U64_EQ(e->te->flow_ids[0], FLOW(7));
	ASSERT_NEAR(td_arg(t, e, "queue_ms")->double_value, 1.0, 1e-9);
	e = td_find(t, "fs done");
	ASSERT(e->te->n_terminating_flow_ids == 1);
	ASSERT_U64_EQ(e->te->terminating_flow_ids[0], FLOW(7));
	ASSERT_EQ(e->ts, T0 + 5 * MS);
	ASSERT_EQ(end_of(t, "fs done")->ts, T0 + 6 * MS);
	e = td_find(t, "fs (sync on loop)");
	ASSERT_STR_EQ(e->cats, "threadpool,finding");
	ASSERT_EQ(e->ts, T0 + 6500 * US);
	ASSERT_EQ(end_of(t, "fs (sync on loop)")->ts, T0 + 7 * MS);
	ASSERT_EQ(td_find(t, "write")->ts, T0 + 2800 * US);
	ASSERT_EQ(end_of(t, "write")->ts, T0 + 3 * MS);	/* the end of "timers" */
	ASSERT_EQ(end_of(t, "read")->ts, T0 + 700 * US);
	td_free(t);
	free(t);
	close(fd);
}

/* A call of an iteration never reported comes out before the next one, unclamped. */
static void feed_skipped_iteration(struct ls_sink *s)
{
	struct ls_iteration it = { .pid = PID, .tid = PID, .seq = 2, .start = T0 + 10 * MS,
				   .poll_start = T0 + 11 * MS, .end = T0 + 12 * MS,
				   .poll_sys = LS_SYS_EPOLL_PWAIT };

	s->on_thread(s->ctx, &loop_thr);
	call(s, LS_SYS_READ, T0 + MS, 2 * MS, 1);
	call(s, LS_SYS_WRITE, T0 + 10500 * US, MS, 2);	/* clamped to busy */
	s->on_iteration(s->ctx, &loop_thr, &it);
	call(s, LS_SYS_PREAD64, T0 + 13 * MS, MS, 3);
	s->on_thread_exit(s->ctx, &loop_thr);		/* writes the pread64 */
}

TEST(trace_export_releases_held_of_other_iterations)
{
	int fd = memfd_create("t", 0);
	struct trace *t = calloc(1, sizeof(*t));
	char line[1024];

	ASSERT(fd >= 0 && t);
	ASSERT_EQ(export(fd, feed_skipped_iteration), 0);
	td_decode(fd, t);
	track_line(t, pftrace__track_uuid(PFTRACE_UUID_THREAD, PID, PID), line, sizeof(line));
	ASSERT_STR_EQ(line, "B:read E B:iteration B:busy B:write E E B:poll wait E E B:pread64 E");
	ASSERT_EQ(end_of(t, "read")->ts, T0 + 3 * MS);
	ASSERT_EQ(end_of(t, "write")->ts, T0 + 11 * MS);
	ASSERT_EQ(end_of(t, "pread64")->ts, T0 + 14 * MS);
	td_free(t);
	free(t);
	close(fd);
}

/*
 * 100 threads, each holding a call of an iteration that never completes
 * (the table grows twice); every other one exits, so its call is written at
 * the exit and the others' by finish: each call once, on its own track.
 */
#define NTHREADS	100

static void feed_many_threads(struct ls_sink *s)
{
	struct ls_thread th = loop_thr;
	struct ls_call c = { .dur = US, .fd = 5, .sys = LS_SYS_READ, .fd_kind = LS_FD_FILE,
			     .pid = PID, .iter = 1 };
	uint32_t i;

	for (i = 0; i < NTHREADS; i++) {
		th.tid = c.tid = PID + 10 + i;
		c.ts = T0 + i * MS;
		s->on_call(s->ctx, &th, &c);
	}
	for (i = 0; i < NTHREADS; i += 2) {
		th.tid = PID + 10 + i;
		s->on_thread_exit(s->ctx, &th);
	}
}

TEST(trace_export_many_threads_hold_and_exit)
{
	int fd = memfd_create("t", 0);
	struct trace *t = calloc(1, sizeof(*t));
	uint32_t i;
	size_t k, seen = 0;

	ASSERT(fd >= 0 && t);
	ASSERT_EQ(export(fd, feed_many_threads), 0);
	td_decode(fd, t);
	for (i = 0; i < NTHREADS; i++) {
		uint64_t track = pftrace__track_uuid(PFTRACE_UUID_THREAD, PID, PID + 10 + i);
		size_t n = 0;

		for (k = 0; k < t->nev; k++) {
			if (t->ev[k].track != track)
				continue;
			ASSERT_EQ(t->ev[k].ts, T0 + i * MS + (n ? US : 0));
			n++;
		}
		ASSERT_EQ(n, 2);
		seen += n;
	}
	ASSERT_EQ(seen, 2 * NTHREADS);
	td_free(t);
	free(t);
	close(fd);
}
