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
#include "loop_summary.h"

struct correlator *correlator__new(const struct correlator_opts *opts)
{
	struct correlator *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->opts = *opts;
	c->nslots = 64;
	c->slots = calloc(c->nslots, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	c->summary.stall_threshold_ns = opts->stall_threshold_ns;
	return c;
}

void correlator__free(struct correlator *c)
{
	uint32_t i;

	if (!c)
		return;
	for (i = 0; i < c->nslots; i++)
		free(c->slots[i]);
	/* loops are owned by the summary: a reused tid leaves its old loop there */
	for (i = 0; i < c->summary.nloops; i++)
		ls_loop_free(c->summary.loops[i]);
	uvc_free(c);
	stc_free(c);
	free(c->slots);
	free(c->summary.loops);
	free(c);
}

const struct ls_summary *correlator__summary(const struct correlator *c)
{
	return &c->summary;
}

void correlator__set_libuv(struct correlator *c, unsigned version)
{
	c->summary.uv_version = version;
}

static size_t home_of(const struct correlator *c, uint32_t tid)
{
	return (tid * 2654435761u) & (c->nslots - 1);
}

static size_t slot_of(const struct correlator *c, uint32_t tid)
{
	size_t i = home_of(c, tid);

	while (c->slots[i] && c->slots[i]->info.tid != tid)
		i = (i + 1) & (c->nslots - 1);
	return i;
}

struct thread_state *find_thread(const struct correlator *c, uint32_t tid)
{
	return c->slots[slot_of(c, tid)];
}

const struct ls_thread *correlator__thread(const struct correlator *c, uint32_t tid)
{
	struct thread_state *t = find_thread(c, tid);

	return t ? &t->info : NULL;
}

size_t correlator__live_threads(const struct correlator *c)
{
	return c->nthreads;
}

static int grow(struct correlator *c)
{
	struct thread_state **old = c->slots;
	size_t i, n = c->nslots;

	c->slots = calloc(n * 2, sizeof(*c->slots));
	if (!c->slots) {
		c->slots = old;
		return -ENOMEM;
	}
	c->nslots = n * 2;
	for (i = 0; i < n; i++)
		if (old[i])
			c->slots[slot_of(c, old[i]->info.tid)] = old[i];
	free(old);
	return 0;
}

void notify_thread(struct correlator *c, const struct thread_state *t)
{
	if (c->opts.sink.on_thread)
		c->opts.sink.on_thread(c->opts.sink.ctx, &t->info);
}

/*
 * An exited thread's state goes: a process that churns threads would
 * otherwise cost ~3 KiB per thread it ever had. Its loop summary, if it
 * was a loop, stays in the summary.
 */
static void forget_thread(struct correlator *c, struct thread_state *t)
{
	size_t mask = c->nslots - 1, hole = slot_of(c, t->info.tid), k;

	free(t);
	c->slots[hole] = NULL;
	c->nthreads--;
	for (k = (hole + 1) & mask; c->slots[k]; k = (k + 1) & mask) {
		if (ls_probe_may_fill(home_of(c, c->slots[k]->info.tid), hole, k)) {
			c->slots[hole] = c->slots[k];
			c->slots[k] = NULL;
			hole = k;
		}
	}
}

struct thread_state *new_thread(struct correlator *c, uint32_t pid, uint32_t tid)
{
	struct thread_state *t;

	if ((c->nthreads + 1) * 2 > c->nslots && grow(c))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->info.pid = pid;
	t->info.tid = tid;
	t->hwm = -1;
	c->slots[slot_of(c, tid)] = t;
	c->nthreads++;
	c->summary.threads++;
	return t;
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

static struct ls_loop_summary *new_loop(struct correlator *c, struct thread_state *t)
{
	struct ls_loop_summary *l = add_loop(c, t->info.pid, t->info.tid, t->info.comm);

	if (l)
		t->loop_listed = c->loops_seen++ < LS_KEEP_LOOPS;
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

static int on_thread_rec(struct correlator *c, const struct ls_rec_thread *r)
{
	struct thread_state *t = find_thread(c, r->tid);
	char comm[LS_COMM_LEN];

	memcpy(comm, r->comm, sizeof(comm));
	comm[LS_COMM_LEN - 1] = '\0';
	if (r->type == LS_REC_THREAD_EXIT) {
		if (!t)
			return 0;
		if (c->opts.sink.on_thread_exit)
			c->opts.sink.on_thread_exit(c->opts.sink.ctx, &t->info);
		if (t->loop && !t->loop_listed)
			fold_exited_loop(c, t->loop);
		forget_thread(c, t);
		return 0;
	}
	if (!t) {
		t = new_thread(c, r->pid, r->tid);
		if (!t)
			return -ENOMEM;
	} else if (!strcmp(t->info.comm, comm)) {
		return 0;
	}
	memcpy(t->info.comm, comm, sizeof(comm));
	if (t->loop)
		memcpy(t->loop->comm, comm, sizeof(comm));
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

static void add_file_io(struct ls_loop_summary *l, const struct ls_call *call)
{
	struct ls_file_io *f = NULL;
	uint32_t i;

	l->file_io_calls++;
	l->file_io_ns += call->dur;
	for (i = 0; i < l->nfile_fds; i++)
		if (l->file_io[i].fd == call->fd)
			f = &l->file_io[i];
	if (!f) {
		if (l->nfile_fds == LS_TOP_FILE_FDS)
			return;	/* totals above still count it */
		f = &l->file_io[l->nfile_fds++];
		f->fd = call->fd;
		f->first_ts = call->ts;
	}
	f->sys_mask |= 1u << call->sys;
	f->count++;
	f->total_ns += call->dur;
	if (call->dur > f->max_ns)
		f->max_ns = call->dur;
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
		.pid = r->pid, .tid = r->tid,
	};
	struct thread_state *t;
	int wait_returned;

	if (!valid_syscall_rec(r))
		return -EINVAL;
	t = find_thread(c, r->tid);
	if (!t) {
		t = new_thread(c, r->pid, r->tid);
		if (!t)
			return -ENOMEM;
		notify_thread(c, t);
	}
	if (r->ts < t->last_end)
		return -EINVAL;	/* breaks this thread's order */
	t->last_end = r->ts + r->dur;
	wait_returned = ls_sys_is_epoll(r->sys) && !(r->flags & LS_SYSF_OPEN);
	if (wait_returned && !t->loop && !(t->loop = new_loop(c, t)))
		return -ENOMEM;
	if (wait_returned && t->last_poll_exit) {
		complete_iteration(c, t, r);
		call.flags |= LS_CALLF_POLL;
		call.iter = t->seq;
	} else if (t->last_poll_exit) {
		call.iter = t->seq + 1;
		t->ncalls++;
		if (call.fd_kind == LS_FD_FILE && ls_sys_is_io(call.sys)) {
			call.flags |= LS_CALLF_SYNC_FILE;
			t->nfile_io++;
			add_file_io(t->loop, &call);
		}
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
static int on_sys_agg_rec(struct correlator *c, const struct ls_rec_sys_agg *r)
{
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

int correlator__push(struct correlator *c, const void *rec, size_t len)
{
	uint32_t type;
	int err = -EINVAL;

	if (len < sizeof(type))
		goto out;
	memcpy(&type, rec, sizeof(type));
	switch (type) {
	case LS_REC_SYSCALL: {
		struct ls_rec_syscall r;

		if (len != sizeof(r))
			break;
		memcpy(&r, rec, sizeof(r));	/* ring buffer records are 8-aligned; tests' may not be */
		err = on_syscall_rec(c, &r);
		if (!err)
			note_time(&c->summary, r.ts, r.ts + r.dur);
		break;
	}
	case LS_REC_THREAD:
	case LS_REC_THREAD_EXIT: {
		struct ls_rec_thread r;

		if (len != sizeof(r))
			break;
		memcpy(&r, rec, sizeof(r));
		err = r.tid ? on_thread_rec(c, &r) : -EINVAL;
		break;
	}
	case LS_REC_UV_PHASE: {
		struct ls_rec_uv_phase r;

		if (len != sizeof(r))
			break;
		memcpy(&r, rec, sizeof(r));
		err = uvc_phase_rec(c, &r);
		break;
	}
	case LS_REC_SYS_AGG: {
		struct ls_rec_sys_agg r;

		if (len != sizeof(r))
			break;
		memcpy(&r, rec, sizeof(r));
		err = on_sys_agg_rec(c, &r);
		break;
	}
	case LS_REC_STACK:
		if (len == sizeof(struct ls_rec_stack))
			err = stc_stack_rec(c, rec);
		break;
	case LS_REC_SAMPLE: {
		struct ls_rec_sample r;

		if (len != sizeof(r))
			break;
		memcpy(&r, rec, sizeof(r));
		err = stc_sample_rec(c, &r);
		break;
	}
	case LS_REC_OFFCPU: {
		struct ls_rec_offcpu r;

		if (len != sizeof(r))
			break;
		memcpy(&r, rec, sizeof(r));
		err = stc_offcpu_rec(c, &r);
		break;
	}
	case LS_REC_OVERFLOW: {
		struct ls_rec_overflow r;

		if (len != sizeof(r))
			break;
		memcpy(&r, rec, sizeof(r));
		err = stc_overflow_rec(c, &r);
		break;
	}
	case LS_REC_UV_WORK: {
		struct ls_rec_uv_work r;

		if (len != sizeof(r))
			break;
		memcpy(&r, rec, sizeof(r));
		err = uvc_work_rec(c, &r);
		break;
	}
	default:
		break;
	}
out:
	if (err)
		c->summary.bad_records++;
	else
		c->summary.records++;
	return err;
}
