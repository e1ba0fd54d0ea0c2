/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * trace_export: a synthetic model goes through the sink, the trace is decoded
 * and checked for names, nesting (as trace_processor sees it after its
 * stable sort by timestamp), annotations, counters and thread naming.
 *
 * LS_KEEP_TRACE=PATH also writes the example trace to PATH (plain) and to
 * PATH.compressed (compressed_packets) for perfetto-validate / the UI.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../harness.h"
#include "viewer-export/trace_export.h"
#include "trace_decode.h"

#define MS		1000000ull
#define T0		(5000 * MS)
#define PID		1000

static struct ls_thread loop_thr = { .pid = PID, .tid = PID, .comm = "node", .is_loop = true };
static struct ls_thread worker = { .pid = PID, .tid = PID + 1, .comm = "libuv-worker" };

static struct ls_call mkcall(const struct ls_thread *t, uint32_t sys, uint64_t ts, uint64_t dur,
			     int32_t fd, uint32_t kind, uint32_t flags, uint64_t iter)
{
	return (struct ls_call){ .ts = ts, .dur = dur, .ret = 1, .fd = fd, .sys = sys,
				 .fd_kind = kind, .flags = flags, .pid = t->pid, .tid = t->tid,
				 .iter = iter };
}

/* Two loop iterations (normal, then an 80 ms stall), a worker, a rename, an open call. */
static void feed(struct ls_sink *s)
{
	struct ls_iteration it1 = { .pid = PID, .tid = PID, .seq = 1, .start = T0,
				    .poll_start = T0 + 2 * MS, .end = T0 + 7 * MS,
				    .poll_sys = LS_SYS_EPOLL_PWAIT, .poll_ret = 3,
				    .poll_timeout = -1, .ncalls = 1 };
	struct ls_iteration it2 = it1;
	struct ls_call c;
	struct ls_thread renamed = worker;

	s->on_thread(s->ctx, &loop_thr);
	s->on_thread(s->ctx, &worker);
	/* Starts at the very ns the iteration does: must still nest inside it. */
	c = mkcall(&loop_thr, LS_SYS_READ, T0, 10000, 12, LS_FD_SOCKET, 0, 1);
	s->on_call(s->ctx, &loop_thr, &c);
	c = mkcall(&worker, LS_SYS_FUTEX, T0 + MS, 3 * MS, -1, LS_FD_NONE, 0, 0);
	c.arg = 128;
	s->on_call(s->ctx, &worker, &c);
	s->on_iteration(s->ctx, &loop_thr, &it1);
	c = mkcall(&loop_thr, LS_SYS_EPOLL_PWAIT, it1.poll_start, 5 * MS, 9, LS_FD_EPOLL,
		   LS_CALLF_POLL, 1);
	s->on_call(s->ctx, &loop_thr, &c);

	it2.seq = 2, it2.start = it1.end, it2.poll_start = it1.end + 80 * MS;
	it2.end = it2.poll_start + MS, it2.ncalls = 2, it2.nfile_io = 1, it2.stall = true;
	c = mkcall(&loop_thr, LS_SYS_READ, it2.start + MS / 2, 79 * MS, 20, LS_FD_FILE,
		   LS_CALLF_SYNC_FILE, 2);
	s->on_call(s->ctx, &loop_thr, &c);
	strcpy(renamed.comm, "worker-2");
	s->on_thread(s->ctx, &renamed);
	c = mkcall(&worker, LS_SYS_WRITE, it2.start + 2 * MS, MS, 7, LS_FD_PIPE, 0, 0);
	s->on_call(s->ctx, &worker, &c);
	s->on_iteration(s->ctx, &loop_thr, &it2);
	c = mkcall(&loop_thr, LS_SYS_EPOLL_PWAIT, it2.poll_start, MS, 9, LS_FD_EPOLL,
		   LS_CALLF_POLL, 2);
	s->on_call(s->ctx, &loop_thr, &c);
	/* Still in flight when recording stopped, inside an iteration that never ended. */
	c = mkcall(&loop_thr, LS_SYS_WRITE, it2.end + MS, 5 * MS, 13, LS_FD_SOCKET, LS_SYSF_OPEN, 3);
	s->on_call(s->ctx, &loop_thr, &c);
}

static int run_export_of(int fd, bool compress, struct trace_export_counts *counts,
			 void (*feed_fn)(struct ls_sink *))
{
	struct pftrace_opts po = { .compress = compress };
	struct trace_export_opts o = { .pid = PID, .process_name = "node",
				       .cmdline = "node server.js", .stall_threshold_ns = 50 * MS };
	struct ls_export_stats st = { .rb_drops = 3 };

	return td_export(fd, &po, &o, &st, counts, feed_fn);
}

static int run_export(int fd, bool compress, struct trace_export_counts *counts)
{
	return run_export_of(fd, compress, counts, feed);
}

/* Replays one track as trace_processor does: stable sort by ts, then a stack. */
static void check_nesting(const struct trace *t, uint64_t track)
{
	const struct ev *v[MAX_EV], *tmp;
	const char *stack[64];
	size_t n = 0, i, j;
	int depth = 0;

	for (i = 0; i < t->nev; i++)
		if (t->ev[i].track == track)
			v[n++] = &t->ev[i];
	for (i = 1; i < n; i++)		/* insertion sort: stable */
		for (j = i; j > 0 && v[j - 1]->ts > v[j]->ts; j--)
			tmp = v[j], v[j] = v[j - 1], v[j - 1] = tmp;
	for (i = 0; i < n; i++) {
		if (v[i]->type == PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_BEGIN)
			stack[depth++] = v[i]->name;
		else if (v[i]->type == PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_END)
			ASSERT(--depth >= 0);
		ASSERT(depth < 64);
		/* The one case we test on purpose: a call starting with its iteration. */
		if (depth >= 2 && !strcmp(stack[depth - 1], "read"))
			ASSERT_STR_EQ(stack[depth - 2], "busy");
	}
	ASSERT_EQ(depth, 0);
}

static void check_threads(const struct trace *t)
{
	size_t i, loop_desc = 0, worker_desc = 0, renames = 0;

	for (i = 0; i < t->npk; i++) {
		const Perfetto__Protos__TrackDescriptor *td =
			PAYLOAD(t->pk[i], TRACK_DESCRIPTOR, track_descriptor);
		const Perfetto__Protos__ProcessTree *pt = PAYLOAD(t->pk[i], PROCESS_TREE, process_tree);

		if (td && td->thread && td->thread->tid == PID) {
			ASSERT_STR_EQ(td->thread->thread_name, "node");
			loop_desc++;
		} else if (td && td->thread) {
			ASSERT_STR_EQ(td->thread->thread_name, "libuv-worker");
			worker_desc++;
		} else if (td && td->process) {
			ASSERT_EQ(td->process->pid, PID);
			ASSERT_STR_EQ(td->process->process_name, "node");
		} else if (pt) {
			ASSERT_EQ(pt->n_threads, 1);
			ASSERT_EQ(pt->threads[0]->tid, PID + 1);
			ASSERT_EQ(pt->threads[0]->tgid, PID);
			ASSERT_STR_EQ(pt->threads[0]->name, "worker-2");
			renames++;
		}
	}
	ASSERT_EQ(loop_desc, 1);
	ASSERT_EQ(worker_desc, 1);	/* the rename did not re-describe it */
	ASSERT_EQ(renames, 1);
}

static void check_counters(const struct trace *t)
{
	uint64_t busy = pftrace__track_uuid(PFTRACE_UUID_COUNTER, PID, PID);
	size_t i, desc_at = SIZE_MAX, n = 0;
	double want[] = { 2.0, 80.0 };

	for (i = 0; i < t->npk; i++) {
		const Perfetto__Protos__TrackDescriptor *td =
			PAYLOAD(t->pk[i], TRACK_DESCRIPTOR, track_descriptor);
		const Perfetto__Protos__TrackEvent *te = PAYLOAD(t->pk[i], TRACK_EVENT, track_event);

		if (td && td->uuid == busy) {
			ASSERT_STR_EQ(td->name, "busy ms 1000");
			ASSERT_STR_EQ(td->counter->unit_name, "ms");
			desc_at = i;
		}
		if (te && te->track_uuid == busy) {
			ASSERT(desc_at < i);	/* the descriptor comes first in the file */
			ASSERT(n < 2);
			ASSERT_NEAR(te->double_counter_value, want[n], 1e-9);
			n++;
		}
	}
	ASSERT_EQ(n, 2);
}

TEST(trace_export_renders_model)
{
	int fd = memfd_create("t", 0);
	struct trace *t = calloc(1, sizeof(*t));
	struct trace_export_counts c;
	const struct ev *e;

	ASSERT(fd >= 0 && t);
	ASSERT_EQ(run_export(fd, false, &c), 0);
	ASSERT_EQ(c.iterations, 2);
	ASSERT_EQ(c.stalls, 1);
	ASSERT_EQ(c.polls_folded, 2);
	ASSERT_EQ(c.calls, 7);
	td_decode(fd, t);
	check_threads(t);
	check_counters(t);
	check_nesting(t, pftrace__track_uuid(PFTRACE_UUID_THREAD, PID, PID));
	check_nesting(t, pftrace__track_uuid(PFTRACE_UUID_THREAD, PID, PID + 1));

	e = td_find(t, "STALL 80 ms");
	ASSERT_STR_EQ(e->cats, "loop,stall");
	ASSERT_EQ(e->ts, T0 + 7 * MS);
	ASSERT_EQ(td_arg(t, e, "seq")->uint_value, 2);
	ASSERT_NEAR(td_arg(t, e, "busy_ms")->double_value, 80.0, 1e-9);
	ASSERT_EQ(td_arg(t, e, "calls")->uint_value, 2);
	ASSERT_EQ(td_arg(t, e, "file_io")->uint_value, 1);
	e = td_find(t, "stall");
	ASSERT_EQ(e->type, PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_INSTANT);
	ASSERT_EQ(e->ts, T0 + 87 * MS);
	e = td_find(t, "iteration");
	ASSERT_STR_EQ(e->cats, "loop");
	ASSERT_EQ(e->ts, T0);
	e = td_find(t, "poll wait");
	ASSERT_STR_EQ(td_str_arg(t, e, "syscall"), "epoll_pwait");
	ASSERT_EQ(td_arg(t, e, "timeout_ms")->int_value, -1);
	ASSERT_EQ(td_arg(t, e, "ready")->int_value, 3);
	e = td_find(t, "read (sync file I/O)");
	ASSERT_STR_EQ(e->cats, "syscall,finding");
	ASSERT_STR_EQ(td_str_arg(t, e, "fd_kind"), "file");
	ASSERT_EQ(td_arg(t, e, "fd")->int_value, 20);
	e = td_find(t, "futex");
	ASSERT_EQ(td_arg(t, e, "op")->int_value, 128);
	e = td_find(t, "write");	/* the worker's, first in the file */
	ASSERT_STR_EQ(td_str_arg(t, e, "fd_kind"), "pipe");
	e = td_find(t, "loopscope stats");
	ASSERT_EQ(td_arg(t, e, "ring_buffer")->uint_value, 3);
	ASSERT_STR_EQ(e->cats, "loopscope,drops");
	td_free(t);
	free(t);
	close(fd);
}

TEST(trace_export_open_call_and_drops)
{
	int fd = memfd_create("t", 0);
	struct trace *t = calloc(1, sizeof(*t));
	uint64_t drops = pftrace__track_uuid(PFTRACE_UUID_COUNTER, PID, 0);
	size_t i, nopen = 0, ndrops = 0;

	ASSERT(fd >= 0 && t);
	ASSERT_EQ(run_export(fd, false, NULL), 0);
	td_decode(fd, t);
	for (i = 0; i < t->nev; i++) {
		const struct ev *e = &t->ev[i];

		if (e->name && !strcmp(e->name, "write") && e->track != drops &&
		    e->ts == T0 + 89 * MS) {
			ASSERT(td_arg(t, e, "open")->bool_value);
			ASSERT_EQ(t->ev[i + 1].type, PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_SLICE_END);
			ASSERT_EQ(t->ev[i + 1].ts, T0 + 94 * MS);
			nopen++;
		}
		if (e->track == drops)
			ASSERT_EQ(e->te->counter_value, ndrops++ ? 3 : 0);
	}
	ASSERT_EQ(nopen, 1);
	ASSERT_EQ(ndrops, 2);
	td_free(t);
	free(t);
	close(fd);
}

/* The loop thread exits inside an iteration; a new thread gets its tid. */
static void feed_exit_and_reuse(struct ls_sink *s)
{
	struct ls_thread reborn = { .pid = PID, .tid = PID, .comm = "reborn" };
	struct ls_call c;

	s->on_thread(s->ctx, &loop_thr);
	c = mkcall(&loop_thr, LS_SYS_READ, T0, MS, 12, LS_FD_SOCKET, 0, 1);
	s->on_call(s->ctx, &loop_thr, &c);	/* held: its iteration never ends */
	s->on_thread_exit(s->ctx, &loop_thr);
	s->on_thread(s->ctx, &reborn);
	c = mkcall(&reborn, LS_SYS_WRITE, T0 + 2 * MS, MS, 7, LS_FD_PIPE, 0, 0);
	s->on_call(s->ctx, &reborn, &c);
}

TEST(trace_export_thread_exit_and_tid_reuse)
{
	int fd = memfd_create("t", 0);
	struct trace *t = calloc(1, sizeof(*t));
	uint64_t uuid[2] = { 0, 0 };
	const char *names[2] = { "node", "reborn" };
	size_t i, n = 0;

	ASSERT(fd >= 0 && t);
	ASSERT_EQ(run_export_of(fd, false, NULL, feed_exit_and_reuse), 0);
	td_decode(fd, t);
	for (i = 0; i < t->npk; i++) {
		const Perfetto__Protos__TrackDescriptor *td =
			PAYLOAD(t->pk[i], TRACK_DESCRIPTOR, track_descriptor);

		ASSERT(!PAYLOAD(t->pk[i], PROCESS_TREE, process_tree));	/* not a rename */
		if (!td || !td->thread)
			continue;
		ASSERT(n < 2);
		ASSERT_EQ(td->thread->tid, PID);
		ASSERT_STR_EQ(td->thread->thread_name, names[n]);
		uuid[n++] = td->uuid;
	}
	ASSERT_EQ(n, 2);
	ASSERT(uuid[0] != uuid[1]);	/* a second thread, as Perfetto reads tid reuse */
	ASSERT_U64_EQ(td_find(t, "read")->track, uuid[0]);	/* written at the exit */
	ASSERT_U64_EQ(td_find(t, "write")->track, uuid[1]);
	td_free(t);
	free(t);
	close(fd);
}

TEST(trace_export_write_error_is_returned)
{
	int fd = open("/dev/full", O_WRONLY);

	ASSERT(fd >= 0);
	ASSERT_EQ(run_export(fd, false, NULL), -ENOSPC);
	close(fd);
}

TEST(trace_export_keep_example)
{
	const char *path = getenv("LS_KEEP_TRACE");
	char zpath[4096];
	int fd;

	if (!path || !*path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT(fd >= 0);
	ASSERT_EQ(run_export(fd, false, NULL), 0);
	close(fd);
	snprintf(zpath, sizeof(zpath), "%s.compressed", path);
	fd = open(zpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT(fd >= 0);
	ASSERT_EQ(run_export(fd, true, NULL), 0);
	close(fd);
	fprintf(stderr, "# kept %s and %s\n", path, zpath);
}
