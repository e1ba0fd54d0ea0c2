/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Builds loops, iterations and calls from per-thread record streams.
 *
 * Per thread the state machine is: no epoll return seen yet -> the first
 * epoll return starts iteration 1 -> every later epoll return ends the
 * current iteration and starts the next. Everything between two returns on
 * that thread belongs to the iteration; busy time ends at the entry of the
 * wait that closes it. All state is per thread, so the interleaving of
 * threads in the input never changes the result.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "correlator.h"
#include "record.h"

#include "correlator_int.h"
#include "file_io.h"
#include "loop_summary.h"

/* ---- threads: heap objects (sinks get &t->info), the table holds pointers ---- */

static bool thread_is(const void *entry, const void *tid)
{
	return (*(struct thread_state *const *)entry)->info.tid == *(const uint32_t *)tid;
}

static struct thread_state **thread_slot(const struct correlator *c, uint32_t tid)
{
	return ls_table_find(&c->threads, ls_hash_u64(tid), &tid);
}

static struct thread_state *find_thread(const struct correlator *c, uint32_t tid)
{
	struct thread_state **t = thread_slot(c, tid);

	return t ? *t : NULL;
}

static void free_thread(struct thread_state *t)
{
	uvc_free_thread(t);
	stc_free_thread(t);
	free(t);
}

static void notify_thread(struct correlator *c, const struct thread_state *t)
{
	if (c->opts.sink.on_thread)
		c->opts.sink.on_thread(c->opts.sink.ctx, &t->info);
}

/* The one get-or-create: *created tells a new thread, not yet reported. */
static struct thread_state *get_thread(struct correlator *c, uint32_t pid, uint32_t tid,
				       bool *created)
{
	struct thread_state **slot = ls_table_insert(&c->threads, ls_hash_u64(tid), &tid, created);
	struct thread_state *t;

	if (!slot || !*created)
		return slot ? *slot : NULL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		ls_table_remove(&c->threads, slot);
		*created = false;
		return NULL;
	}
	t->info.pid = pid;
	t->info.tid = tid;
	*slot = t;
	c->summary.threads++;
	return t;
}

struct thread_state *corr_get_thread(struct correlator *c, uint32_t pid, uint32_t tid)
{
	bool created;
	struct thread_state *t = get_thread(c, pid, tid, &created);

	if (created)
		notify_thread(c, t);
	return t;
}

/*
 * An exited thread's state goes: a process that churns threads would
 * otherwise cost its state per thread it ever had. Its loop summary, if it
 * was a loop, stays in the summary.
 */
static void forget_thread(struct correlator *c, struct thread_state *t)
{
	ls_table_remove(&c->threads, thread_slot(c, t->info.tid));
	free_thread(t);
}

/* ---- the public API ---- */

struct correlator *correlator__new(const struct correlator_opts *opts)
{
	struct correlator *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->opts = *opts;
	ls_table_init(&c->threads, sizeof(struct thread_state *), 64, SIZE_MAX, thread_is);
	c->summary.stall_threshold_ns = opts->stall_threshold_ns;
	return c;
}

void correlator__free(struct correlator *c)
{
	struct thread_state **t;
	uint32_t i;

	if (!c)
		return;
	for (i = 0; i < ls_table_cap(&c->threads); i++)
		if ((t = ls_table_slot(&c->threads, i)))
			free_thread(*t);
	/* loops are owned by the summary: a reused tid leaves its old loop there */
	for (i = 0; i < c->summary.nloops; i++)
		ls_loop_free(c->summary.loops[i]);
	uvc_free(c);
	stc_free(c);
	prc_free(c);
	fdp_free(c);
	uvn_free(c);
	ls_summary_free_procs(&c->summary);
	ls_table_free(&c->threads);
	free(c->summary.loops);
	free(c);
}

const struct ls_summary *correlator__summary(const struct correlator *c)
{
	return &c->summary;
}

void correlator__set_clock(struct correlator *c, uint64_t unix_offset_ns)
{
	c->summary.unix_offset_ns = unix_offset_ns;
}

void correlator__set_start(struct correlator *c, uint64_t ts)
{
	if (ts && (!c->summary.first_ts || ts < c->summary.first_ts))
		c->summary.first_ts = ts;
}

void correlator__set_libuv(struct correlator *c, unsigned version)
{
	c->summary.uv_version = version;
}

const struct ls_stack *correlator__stack(const struct correlator *c, int32_t id)
{
	return stc_stack(c, id);
}

void correlator__finish(struct correlator *c)
{
	uvc_finish(c);
}

const struct ls_thread *correlator__thread(const struct correlator *c, uint32_t tid)
{
	struct thread_state *t = find_thread(c, tid);

	return t ? &t->info : NULL;
}

size_t correlator__live_threads(const struct correlator *c)
{
	return ls_table_count(&c->threads);
}

size_t correlator__live_procs(const struct correlator *c)
{
	return prc_live(c);
}

static struct ls_loop_summary *add_loop(struct correlator *c, uint32_t pid, uint32_t tid,
				       const char *comm)
{
	struct ls_loop_summary *l, **loops;

	if (c->summary.nloops == c->loops_cap) {
		size_t cap = c->loops_cap ? c->loops_cap * 2 : 8;

		loops = realloc(c->summary.loops, cap * sizeof(*loops));
		if (!loops)
			return NULL;
		c->summary.loops = loops;
		c->loops_cap = cap;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->pid = pid;
	l->tid = tid;
	memcpy(l->comm, comm, sizeof(l->comm));
	ls_hist_init(&l->busy);
	ls_hist_init(&l->poll);
	c->summary.loops[c->summary.nloops++] = l;
	return l;
}

static struct ls_loop_summary *new_loop(struct correlator *c, struct thread_state *t, uint64_t ts)
{
	struct ls_loop_summary *l = add_loop(c, t->info.pid, t->info.tid, t->info.comm);
	struct thread_state *leader = find_thread(c, t->info.pid);

	if (!l)
		return NULL;
	t->loop_listed = c->loops_seen++ < LS_KEEP_LOOPS;
	prc_add_loop(c, t->info.pid, ts, leader ? leader->info.comm : NULL);
	return l;
}

/*
 * The first LS_KEEP_LOOPS loops keep their own entries, so the long-lived
 * loops a process starts early (and its main loop, which exits last) stay
 * listed whatever the churn. A later loop thread's summary folds into one
 * entry (tid 0) when it exits: a process whose threads each run a short
 * epoll loop would otherwise cost ~70 KiB a thread for the whole run.
 */
static void fold_exited_loop(struct correlator *c, struct ls_loop_summary *l)
{
	static const char name[LS_COMM_LEN] = "exited loops";
	struct ls_loop_summary *into = c->exited_loops;
	uint32_t i;

	if (!into && !(into = c->exited_loops = add_loop(c, l->pid, 0, name)))
		return;
	if (ls_loop_merge(into, l))
		return;	/* out of memory: it stays listed on its own */
	for (i = 0; c->summary.loops[i] != l; i++)
		;
	memmove(&c->summary.loops[i], &c->summary.loops[i + 1],
		(c->summary.nloops - i - 1) * sizeof(*c->summary.loops));
	c->summary.nloops--;
	ls_loop_free(l);
}

static int on_thread_rec(struct correlator *c, const void *rec)
{
	const struct ls_rec_thread *r = rec;
	struct thread_state *t;
	char comm[LS_COMM_LEN];
	bool created;

	if (!r->tid)
		return -EINVAL;
	if (r->type == LS_REC_THREAD_EXIT) {
		t = find_thread(c, r->tid);
		if (!t)
			return 0;
		if (c->opts.sink.on_thread_exit)
			c->opts.sink.on_thread_exit(c->opts.sink.ctx, &t->info);
		if (t->loop && !t->loop_listed)
			fold_exited_loop(c, t->loop);
		forget_thread(c, t);
		return 0;
	}
	memcpy(comm, r->comm, sizeof(comm));
	comm[LS_COMM_LEN - 1] = '\0';
	t = get_thread(c, r->pid, r->tid, &created);
	if (!t)
		return -ENOMEM;
	if (!created && !strcmp(t->info.comm, comm))
		return 0;
	memcpy(t->info.comm, comm, sizeof(comm));
	if (t->loop)
		memcpy(t->loop->comm, comm, sizeof(comm));
	if (r->tid == r->pid)	/* the main thread's name is the process's (/proc/PID/comm) */
		prc_leader_named(c, r->pid, comm);
	notify_thread(c, t);
	return 0;
}

static void add_sys_stats(struct ls_loop_summary *l, const struct ls_call *call)
{
	struct ls_sys_stats *st = ls_loop_sys(l, call->sys);

	if (!st)
		return;
	st->count++;
	st->errors += call->ret < 0;
	st->total_ns += call->dur;
	st->by_fd_kind[call->fd_kind]++;
	ls_hist_add(&st->dur, call->dur);
}

/* Keeps the LS_TOP_STALLS longest stalls, longest first. */
static void add_stall(struct ls_loop_summary *l, const struct ls_iteration *it,
		      const struct thread_state *t)
{
	struct ls_stall s = {
		.seq = it->seq, .start = it->start, .busy_ns = ls_iteration_busy(it),
		.ncalls = it->ncalls, .nfile_io = it->nfile_io,
	};

	stc_fill_stall(t, &s);
	l->stalls++;
	l->stall_total_ns += s.busy_ns;
	ls_loop_keep_stall(l, &s);
}

static void complete_iteration(struct correlator *c, struct thread_state *t,
			       const struct ls_rec_syscall *r)
{
	struct ls_loop_summary *l = t->loop;
	struct ls_iteration it = {
		.pid = r->pid, .tid = r->tid, .seq = ++t->seq,
		.start = t->last_poll_exit, .poll_start = r->ts, .end = r->ts + r->dur,
		.poll_sys = r->sys, .poll_ret = (int32_t)r->ret, .poll_timeout = r->arg,
		.ncalls = t->ncalls, .nfile_io = t->nfile_io,
	};

	it.stall = ls_iteration_busy(&it) >= c->opts.stall_threshold_ns;
	stc_end_iteration(c, t, &it);
	if (!t->info.is_loop) {
		t->info.is_loop = true;
		notify_thread(c, t);
	}
	l->iterations++;
	l->busy_total_ns += ls_iteration_busy(&it);
	l->poll_total_ns += ls_iteration_poll(&it);
	ls_hist_add(&l->busy, ls_iteration_busy(&it));
	ls_hist_add(&l->poll, ls_iteration_poll(&it));
	if (it.stall)
		add_stall(l, &it, t);
	uvc_end_iteration(c, t, &it);
	if (c->opts.sink.on_iteration)
		c->opts.sink.on_iteration(c->opts.sink.ctx, &t->info, &it);
	stc_reset_iteration(t);
}

/*
 * A call on a stored file in a loop's busy time: the finding, by path when
 * known, except the target's writes to its own perf map (JIT symbols for
 * perf: the target asked for them), which are counted apart.
 */
static void note_file_io(const struct correlator *c, struct thread_state *t,
			 const struct ls_rec_syscall *r, struct ls_call *call)
{
	bool perf_map;
	const struct ls_rec_fd_path *p = fdp_find(c, r, &perf_map);

	if (perf_map) {
		ls_perf_map_add(t->loop, call);
		return;
	}
	call->flags |= LS_CALLF_SYNC_FILE;
	t->nfile_io++;
	ls_file_io_add(t->loop, call, p ? p->path : NULL, p ? p->len : 0, p ? p->flags : 0);
}

static int valid_syscall_rec(const struct ls_rec_syscall *r)
{
	return r->sys > LS_SYS_NONE && r->sys < LS_SYS_MAX && r->fd_kind < LS_FD_KIND_MAX &&
	       r->ts + r->dur >= r->ts && r->tid;
}

static int on_syscall_rec(struct correlator *c, const struct ls_rec_syscall *r)
{
	struct ls_call call = {
		.ts = r->ts, .dur = r->dur, .ret = r->ret, .arg = r->arg, .fd = r->fd,
		.sys = r->sys, .fd_kind = r->fd_kind, .flags = r->flags & LS_SYSF_OPEN,
		.pid = r->pid, .tid = r->tid, .user_stack = r->user_stack,
	};
	struct thread_state *t;
	int wait_returned;

	if (!valid_syscall_rec(r))
		return -EINVAL;
	t = corr_get_thread(c, r->pid, r->tid);
	if (!t)
		return -ENOMEM;
	if (r->ts < t->last_end)
		return -EINVAL;	/* breaks this thread's order */
	t->last_end = r->ts + r->dur;
	wait_returned = ls_sys_is_wait(r->sys) && !(r->flags & LS_SYSF_OPEN);
	if (wait_returned && !t->loop && !(t->loop = new_loop(c, t, r->ts)))
		return -ENOMEM;
	if (wait_returned && t->last_poll_exit) {
		complete_iteration(c, t, r);
		call.flags |= LS_CALLF_POLL;
		call.iter = t->seq;
	} else if (t->last_poll_exit) {
		call.iter = t->seq + 1;
		t->ncalls++;
		stc_call_rec(c, t, r);
		if (call.fd_kind == LS_FD_FILE && ls_sys_is_io(call.sys))
			note_file_io(c, t, r, &call);
	}
	if (wait_returned) {
		t->last_poll_exit = r->ts + r->dur;
		t->ncalls = 0;
		t->nfile_io = 0;
	}
	if (t->loop)
		add_sys_stats(t->loop, &call);
	else
		c->summary.other_calls++;
	if (call.sys == LS_SYS_FUTEX && t->is_worker)
		c->summary.pool.worker_idle_ns += call.dur;
	if (c->opts.sink.on_call)
		c->opts.sink.on_call(c->opts.sink.ctx, &t->info, &call);
	return 0;
}

/*
 * Summary mode: a thread's in-kernel totals for one syscall, merged like the
 * calls they stand for. Durations are known to a power of two only; they
 * enter the histogram at their bucket's midpoint.
 */
/* A JavaScript frame's name is the symbolizer's (the frame's address stands in the stack): nothing to model. */
static int on_js_frame_rec(struct correlator *c, const void *rec)
{
	(void)c;
	(void)rec;
	return 0;
}

static int on_sys_agg_rec(struct correlator *c, const void *rec)
{
	const struct ls_rec_sys_agg *r = rec;
	struct thread_state *t;
	struct ls_sys_stats *st;
	unsigned b;

	if (!r->key.tid || r->key.sys <= LS_SYS_NONE || r->key.sys >= LS_SYS_MAX)
		return -EINVAL;
	t = find_thread(c, r->key.tid);
	if (!t || !t->loop) {
		c->summary.other_calls += r->agg.count;
		return 0;
	}
	st = ls_loop_sys(t->loop, r->key.sys);
	if (!st)
		return -ENOMEM;
	st->count += r->agg.count;
	st->errors += r->agg.errors;
	st->total_ns += r->agg.total_ns;
	for (b = 0; b < LS_FD_KIND_MAX; b++)
		st->by_fd_kind[b] += r->agg.by_fd_kind[b];
	for (b = 0; b < LS_AGG_BUCKETS; b++)
		ls_hist_add_n(&st->dur, (3ull << b) >> 1, r->agg.buckets[b]);
	return 0;
}

static void note_time(struct ls_summary *s, uint64_t start, uint64_t end)
{
	if (!s->first_ts || start < s->first_ts)
		s->first_ts = start;
	if (end > s->last_ts)
		s->last_ts = end;
}

static int on_syscall(struct correlator *c, const void *rec)
{
	const struct ls_rec_syscall *r = rec;
	int err = on_syscall_rec(c, r);

	if (!err)
		note_time(&c->summary, r->ts, r->ts + r->dur);
	return err;
}

/* Each record type: its one valid length and its handler. */
static const struct {
	size_t len;
	int (*handle)(struct correlator *c, const void *rec);
} handlers[LS_REC_TYPE_MAX] = {
	[LS_REC_SYSCALL] = { sizeof(struct ls_rec_syscall), on_syscall },
	[LS_REC_THREAD] = { sizeof(struct ls_rec_thread), on_thread_rec },
	[LS_REC_THREAD_EXIT] = { sizeof(struct ls_rec_thread), on_thread_rec },
	[LS_REC_UV_PHASE] = { sizeof(struct ls_rec_uv_phase), uvc_phase_rec },
	[LS_REC_UV_WORK] = { sizeof(struct ls_rec_uv_work), uvc_work_rec },
	[LS_REC_SAMPLE] = { sizeof(struct ls_rec_sample), stc_sample_rec },
	[LS_REC_OFFCPU] = { sizeof(struct ls_rec_offcpu), stc_offcpu_rec },
	[LS_REC_OVERFLOW] = { sizeof(struct ls_rec_overflow), stc_overflow_rec },
	[LS_REC_STACK] = { sizeof(struct ls_rec_stack), stc_stack_rec },
	[LS_REC_SYS_AGG] = { sizeof(struct ls_rec_sys_agg), on_sys_agg_rec },
	[LS_REC_PROC] = { sizeof(struct ls_rec_proc), prc_proc_rec },
	[LS_REC_FD_PATH] = { sizeof(struct ls_rec_fd_path), fdp_path_rec },
	[LS_REC_JS_FRAME] = { sizeof(struct ls_rec_js_frame), on_js_frame_rec },
	[LS_REC_WORK_NAME] = { sizeof(struct ls_rec_work_name), uvn_name_rec },
};

/* Room for any record, aligned for its fields. */
union any_rec {
	struct ls_rec_syscall syscall;
	struct ls_rec_thread thread;
	struct ls_rec_uv_phase uv_phase;
	struct ls_rec_uv_work uv_work;
	struct ls_rec_sample sample;
	struct ls_rec_offcpu offcpu;
	struct ls_rec_overflow overflow;
	struct ls_rec_stack stack;
	struct ls_rec_sys_agg sys_agg;
	struct ls_rec_proc proc;
	struct ls_rec_fd_path fd_path;
	struct ls_rec_js_frame js_frame;
	struct ls_rec_work_name work_name;
};

int correlator__push(struct correlator *c, const void *rec, size_t len)
{
	union any_rec r;
	uint32_t type;
	int err = -EINVAL;

	if (len < sizeof(type))
		goto out;
	memcpy(&type, rec, sizeof(type));
	if (type >= LS_REC_TYPE_MAX || !handlers[type].handle || len != handlers[type].len)
		goto out;
	memcpy(&r, rec, len);	/* ring buffer records are 8-aligned; tests' may not be */
	err = handlers[type].handle(c, &r);
out:
	if (err)
		c->summary.bad_records++;
	else
		c->summary.records++;
	return err;
}
