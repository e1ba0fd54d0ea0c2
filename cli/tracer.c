/* SPDX-License-Identifier: BSD-2-Clause */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli_util.h"
#include "collector/record.h"
#include "loopscope.skel.h"
#include "exitcodes.h"
#include "tracer.h"
#include "user_stacks.h"
#include "collector/own_frames.h"

#define LS_MAX_CPUS 1024

struct tracer {
	struct tracer_opts opts;
	struct loopscope_bpf *skel;
	struct ring_buffer *rb;
	struct uvprobes *uv[LS_MAX_UV_PROCS];	/* per probed process, by pid_of_uv */
	pid_t uv_pid[LS_MAX_UV_PROCS];
	struct uvprobes uv_none;		/* what tracer__attach_libuv() returns past the cap */
	__u64 *procs;				/* the kernel's set, mmap'ed (LS_PROC_SLOTS) */
	unsigned long consumed;		/* records in this ring-buffer call */
	int ncpus;
	struct bpf_link *sample_links[LS_MAX_CPUS];
	unsigned long seen_stacks[LS_MAX_STACK_IDS / (8 * sizeof(unsigned long))];
	struct user_stacks *us;		/* CFI unwinding; NULL: frame pointers only */
	struct own_frames own;		/* our programs' kernel frames, cut from stacks */
};

static int verbosity;

/*
 * Out of descriptors, libbpf's load can end in EINVAL: it retries a map
 * without BTF after any error, and a map that needs BTF (task storage) then
 * fails so; a feature probe that ran out says "unsupported", and a program
 * is loaded without it. Its log says which came first.
 */
static bool load_saw_emfile;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	char line[256];
	va_list copy;

	va_copy(copy, args);
	vsnprintf(line, sizeof(line), fmt, copy);
	va_end(copy);
	/* "...: Too many open files(-24)", "...support failed: -24" (a feature probe) */
	if (strstr(line, "(-24)") || strstr(line, ": -24") || strstr(line, "Too many open files"))
		load_saw_emfile = true;
	if ((level == LIBBPF_WARN && verbosity < 1) || (level == LIBBPF_DEBUG && verbosity < 2) ||
	    (level == LIBBPF_INFO && verbosity < 2))
		return 0;
	return vfprintf(stderr, fmt, args);
}

/*
 * Loading holds a descriptor per map and program at once, and libbpf's
 * feature probes a few more: short of them it can fail with anything
 * (a probe that ran out reads as a missing feature). So the room is
 * checked first, and what is short is said as such.
 */
static int fd_room(const struct bpf_object_skeleton *sk)
{
	unsigned need = (unsigned)(sk->map_cnt + sk->prog_cnt) + 8, open_fds = 0;
	struct rlimit rl;
	struct dirent *d;
	DIR *dir;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	dir = opendir("/proc/self/fd");
	if (!dir)
		return 0;
	while ((d = readdir(dir)))
		open_fds += d->d_name[0] != '.';
	closedir(dir);
	return open_fds + need > rl.rlim_cur ? -EMFILE : 0;
}

/* uprobe_multi links need the programs loaded with that attach type. */
static void set_uprobe_multi(struct loopscope_bpf *skel)
{
	struct bpf_program *progs[] = {
		skel->progs.ls_uv_phase_enter, skel->progs.ls_uv_phase_exit, skel->progs.ls_uv_submit,
		skel->progs.ls_uv_work_enter, skel->progs.ls_uv_work_exit,
		skel->progs.ls_uv_done_enter, skel->progs.ls_uv_done_exit, skel->progs.ls_uv_queue_work,
		skel->progs.ls_v8_overflow, skel->progs.ls_uv_req_work_enter,
		skel->progs.ls_uv_req_done_enter,
	};
	size_t i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		bpf_program__set_expected_attach_type(progs[i], 48 /* BPF_TRACE_UPROBE_MULTI */);
}

static int uv_index(const struct tracer *t, pid_t pid, bool free_slot);

/*
 * A submit's callbacks, probed where the process's libuv hides its own work
 * functions (uvcallbacks.c): the items submitted before run unseen, the
 * rest are seen picked up, run and done.
 */
static void probe_callbacks(struct tracer *t, const struct ls_rec_uv_work *r)
{
	struct ls_rec_uv_work probed = { .type = LS_REC_UV_WORK, .event = LS_WORK_PROBED, .pid = r->pid };
	int i, rc;

	if (r->event != LS_WORK_SUBMIT || !r->done_fn || (i = uv_index(t, (pid_t)r->pid, false)) < 0)
		return;
	rc = uvprobes__attach_callbacks(t->uv[i], t->skel, (pid_t)r->pid, r->work_fn, r->done_fn);
	if (rc < 0 && verbosity > 0)
		fprintf(stderr, "loopscope: pid %u: the thread-pool callbacks could not be probed: %s\n",
			r->pid, strerror(-rc));
	if (rc <= 0)
		return;
	/* down the stream like any record: what was submitted before may run unseen */
	probed.ts = cli_boottime_ns();
	probed.tid = r->tid;
	t->opts.on_record(t->opts.ctx, &probed, sizeof(probed));
}

/*
 * One CPU-clock event per CPU for all tasks: per-thread events would miss
 * threads created later. The program drops other processes' samples first.
 */
static int attach_sampling(struct tracer *t)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE, .config = PERF_COUNT_SW_CPU_CLOCK, .size = sizeof(attr),
		.freq = 1, .sample_freq = t->opts.sample_hz,
	};
	int cpu, fd, n = libbpf_num_possible_cpus();

	if (!t->opts.sample_hz)
		return 0;
	if (n < 0)
		return n;
	for (cpu = 0; cpu < n && cpu < LS_MAX_CPUS; cpu++) {
		fd = (int)syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			if (errno == ENODEV)
				continue;	/* possible but offline */
			return -errno;
		}
		t->sample_links[cpu] = bpf_program__attach_perf_event(t->skel->progs.ls_sample, fd);
		if (!t->sample_links[cpu]) {
			close(fd);
			return -errno;
		}
		t->ncpus = cpu + 1;
	}
	return 0;
}

/*
 * Samples, off-CPU and overflow records name stacks by id; the first time
 * an id shows up, its frames are read from the stack map and handed on
 * ahead of the record, so everything after the ring buffer is pure data.
 */
static void feed_stack(struct tracer *t, __s32 id, bool kernel)
{
	const size_t bits = 8 * sizeof(t->seen_stacks[0]);
	struct ls_rec_stack st = { .type = LS_REC_STACK, .id = id, .kernel = kernel };
	unsigned i;

	if (id < 0 || (unsigned)id >= LS_MAX_STACK_IDS || (t->seen_stacks[id / bits] & (1ul << (id % bits))))
		return;
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.stacks), &id, st.ips))
		return;
	t->seen_stacks[id / bits] |= 1ul << (id % bits);
	for (i = 0; i < LS_MAX_STACK_DEPTH && st.ips[i]; i++)
		;
	st.nframes = i;
	if (kernel && (i = own_frames__count(&t->own, (const uint64_t *)st.ips, st.nframes))) {
		st.nframes -= i;
		memmove(st.ips, st.ips + i, st.nframes * sizeof(st.ips[0]));
	}
	t->opts.on_record(t->opts.ctx, &st, sizeof(st));
}

/*
 * Records handed on per ring-buffer call: libbpf keeps consuming while the
 * producer keeps producing, so without a budget a busy target could keep us
 * from ever seeing Ctrl-C (seen: 24 s).
 */
#define LS_POLL_BUDGET	(256 * 1024)

static int on_ring_record(void *ctx, void *data, size_t len)
{
	struct tracer *t = ctx;
	__u32 type = *(__u32 *)data;
	int err;

	if (type == LS_REC_SAMPLE && len >= sizeof(struct ls_rec_sample)) {
		feed_stack(t, ((struct ls_rec_sample *)data)->user_stack, false);
		feed_stack(t, ((struct ls_rec_sample *)data)->kern_stack, true);
	} else if (type == LS_REC_OFFCPU && len >= sizeof(struct ls_rec_offcpu)) {
		feed_stack(t, ((struct ls_rec_offcpu *)data)->user_stack, false);
		feed_stack(t, ((struct ls_rec_offcpu *)data)->kern_stack, true);
	} else if (type == LS_REC_OVERFLOW && len >= sizeof(struct ls_rec_overflow)) {
		feed_stack(t, ((struct ls_rec_overflow *)data)->user_stack, false);
	} else if (type == LS_REC_SYSCALL && len >= sizeof(struct ls_rec_syscall)) {
		feed_stack(t, ((struct ls_rec_syscall *)data)->user_stack, false);
	} else if (type == LS_REC_UV_WORK && len == sizeof(struct ls_rec_uv_work)) {
		probe_callbacks(t, data);
	}
	err = t->us ? user_stacks__on_record(t->us, data, len, t->opts.on_record, t->opts.ctx)
		    : t->opts.on_record(t->opts.ctx, data, len);
	/* the record is consumed either way; -EAGAIN only ends this call early */
	return err ? err : ++t->consumed >= LS_POLL_BUDGET ? -EAGAIN : 0;
}

/* A stack-copy buffer per possible CPU (36 KiB each), or a single unused one. */
static int size_copy_buffers(struct loopscope_bpf *skel, bool unwind_user)
{
	int n = unwind_user ? libbpf_num_possible_cpus() : 1;

	if (n < 0)
		return n;
	return bpf_map__set_max_entries(skel->maps.ustack_scratch,
					(__u32)(n < LS_MAX_COPY_CPUS ? n : LS_MAX_COPY_CPUS));
}

static unsigned tracer_max_procs(const struct tracer_opts *o)
{
	return o->max_procs && o->max_procs < LS_MAX_PROCS ? o->max_procs : LS_MAX_PROCS;
}

int tracer__start(struct tracer **out, const struct tracer_opts *opts)
{
	struct tracer *t;
	int err;

	verbosity = opts->verbose;
	libbpf_set_print(libbpf_print);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->opts = *opts;
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = opts->btf_path);

	t->skel = loopscope_bpf__open_opts(&oo);
	if (!t->skel) {
		err = -errno;
		goto out_free;
	}
	t->skel->rodata->targ_tgid = (__u32)opts->pid;
	t->skel->rodata->follow_procs = opts->follow_procs;
	t->skel->rodata->follow_children = opts->follow_children;
	t->skel->rodata->targ_cgroup = opts->cgroup_id;
	t->skel->rodata->targ_cgroup_level = opts->cgroup_level;
	t->skel->rodata->self_tgid = (__u32)getpid();
	t->skel->rodata->join_any = opts->join_any;
	t->skel->rodata->join_at_wait = opts->join_at_wait;
	t->skel->rodata->join_ncomms = opts->join_ncomms;
	memcpy((void *)t->skel->rodata->join_comms, opts->join_comms,
	       (size_t)opts->join_ncomms * LS_COMM_LEN);
	t->skel->rodata->max_procs = tracer_max_procs(opts);
	t->skel->rodata->offcpu_min_ns = opts->offcpu_min_ns;
	t->skel->rodata->summary_only = opts->summary_only;
	t->skel->rodata->file_stacks = opts->sample_hz > 0;
#if defined(__x86_64__)
	if (opts->unwind_user) {
		t->us = user_stacks__new(!opts->no_js_names);
		if (!t->us) {
			err = -errno;
			goto out_free;
		}
		t->skel->rodata->unwind_user = 1;
	}
#endif
	err = size_copy_buffers(t->skel, t->us != NULL);	/* copies only where the unwinder runs */
	if (err)
		goto out_free;
	if (uvprobes__multi_supported())
		set_uprobe_multi(t->skel);
	load_saw_emfile = false;
	err = fd_room(t->skel->skeleton);
	if (!err)
		err = loopscope_bpf__load(t->skel);
	if (err == -EINVAL && load_saw_emfile)
		err = -EMFILE;
	if (err)
		goto out_free;
	t->procs = mmap(NULL, LS_PROC_SLOTS * sizeof(__u64), PROT_READ | PROT_WRITE, MAP_SHARED,
			bpf_map__fd(t->skel->maps.procs), 0);
	if (t->procs == MAP_FAILED) {
		t->procs = NULL;
		err = -errno;
		goto out_free;
	}
	err = loopscope_bpf__attach(t->skel);
	if (err)
		goto out_free;
	err = attach_sampling(t);
	if (err)
		goto out_free;
	t->skel->bss->armed_ns = cli_boottime_ns();
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_ring_record, t, NULL);
	if (!t->rb) {
		err = -errno;
		goto out_free;
	}
	*out = t;
	return 0;
out_free:
	tracer__free(t);
	return err < 0 ? err : -EINVAL;
}

/* The slot holding pid, or NULL; the kernel's probing (common.bpf.h: is_target). */
static __u64 *proc_slot(const struct tracer *t, pid_t pid)
{
	__u64 v;
	__u32 i;

	for (i = 0; i < LS_PROC_PROBES; i++) {
		v = __atomic_load_n(&t->procs[((__u32)pid + i) & (LS_PROC_SLOTS - 1)], __ATOMIC_RELAXED);
		if (!v)
			return NULL;
		if (v == (__u64)pid)
			return &t->procs[((__u32)pid + i) & (LS_PROC_SLOTS - 1)];
	}
	return NULL;
}

bool tracer__has_proc(const struct tracer *t, pid_t pid)
{
	return pid == t->opts.pid || (t->procs && proc_slot(t, pid));
}

int tracer__add_proc(struct tracer *t, pid_t pid)
{
	__u64 cur, *slot;
	__u32 i;

	if (pid <= 0 || tracer__has_proc(t, pid))
		return 0;
	if (__atomic_fetch_add(&t->skel->bss->procs_live, 1, __ATOMIC_RELAXED) >= tracer_max_procs(&t->opts))
		goto full;
	/* compare-and-swap, as the kernel's forks claim slots on other CPUs meanwhile */
	for (i = 0; i < LS_PROC_PROBES; i++) {
		slot = &t->procs[((__u32)pid + i) & (LS_PROC_SLOTS - 1)];
		cur = __atomic_load_n(slot, __ATOMIC_RELAXED);
		if ((cur == 0 || cur == LS_PROC_GONE) &&
		    __atomic_compare_exchange_n(slot, &cur, (__u64)pid, false, __ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED))
			return 0;
	}
full:
	__atomic_fetch_sub(&t->skel->bss->procs_live, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&t->skel->bss->stats.procs_full, 1, __ATOMIC_RELAXED);
	return -ENOSPC;
}

int tracer__start_error(const char *prefix, int err)
{
	const char *hint;
	int rc = LS_EXIT_FAIL;

	switch (err) {
	case -EPERM:	/* capabilities were checked before: a security module, or a lockdown */
		hint = "needs root, or CAP_BPF and CAP_PERFMON; a security module may forbid BPF";
		rc = LS_EXIT_PERM;
		break;
	case -EMFILE:
		hint = "out of file descriptors: raise the limit, ulimit -n";
		break;
	case -ENFILE:
		hint = "out of file descriptors: the system's table is full, fs.file-max";
		break;
	case -ENOMEM:	/* maps are charged to RLIMIT_MEMLOCK, or since 5.11 to the memory cgroup */
		hint = "out of memory: a memory limit? ulimit -v, RLIMIT_MEMLOCK, the memory cgroup";
		break;
	case -EACCES:
		hint = "the verifier rejected a program: run with -vv for its log";
		rc = LS_EXIT_KERNEL;
		break;
	default:
		hint = "kernel too old or without BTF? run with -v for details";
		rc = LS_EXIT_KERNEL;
	}
	fprintf(stderr, "%s: loading BPF programs: %s (%s)\n", prefix, strerror(-err), hint);
	return rc;
}

int tracer__poll(struct tracer *t, int timeout_ms)
{
	int n;

	t->consumed = 0;
	n = ring_buffer__poll(t->rb, timeout_ms);
	if (n == -EINTR || n == -EAGAIN)
		n = 0;
	if (n < 0)
		return n;
	/* records submitted without a wakeup do not make epoll ready: take them too */
	t->consumed = 0;
	n = ring_buffer__consume(t->rb);
	return n == -EAGAIN ? 0 : n;
}

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL	/* since 6.9: a pidfd for any thread, not only a leader */
#endif

/*
 * The inflight map is task-local storage: it cannot be iterated, but a
 * task's entry can be looked up by a pidfd of that task. So each live
 * thread of the target is looked up; a thread gone meanwhile took its entry
 * with it (its exit record ended its call, and sent its totals). Before
 * 6.9 a pidfd names a leader only: then only the main thread's open call is
 * reported, and another thread's summary totals are lost (counted).
 */
/* Summary mode: a live thread's totals, as the records its exit would have sent. */
static void report_totals(struct tracer *t, int pfd, pid_t pid, pid_t tid)
{
	struct ls_rec_sys_agg r = { .type = LS_REC_SYS_AGG, .pid = (__u32)pid };
	struct ls_thread_totals tt;
	__u32 sys;

	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.totals), &pfd, &tt))
		return;
	for (sys = LS_SYS_NONE + 1; sys < LS_SYS_MAX; sys++) {
		if (!tt.sys[sys].count)
			continue;
		r.key = (struct ls_sys_agg_key){ .tid = (__u32)tid, .sys = sys, .pid = (__u32)pid };
		r.agg = tt.sys[sys];
		t->opts.on_record(t->opts.ctx, &r, sizeof(r));
	}
}

static void report_open_call(struct tracer *t, int map_fd, pid_t pid, pid_t tid, uint64_t now)
{
	struct ls_inflight v;
	int pfd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);

	if (pfd < 0 && errno == EINVAL && tid == pid)
		pfd = (int)syscall(SYS_pidfd_open, tid, 0);
	if (pfd < 0 && errno == EINVAL && t->opts.summary_only)
		__atomic_fetch_add(&t->skel->bss->stats.inflight_full, 1, __ATOMIC_RELAXED);
	if (pfd < 0)
		return;
	if (t->opts.summary_only)
		report_totals(t, pfd, pid, tid);
	if (!bpf_map_lookup_elem(map_fd, &pfd, &v) && v.active && v.ts <= now) {
		struct ls_rec_syscall r = {
			.type = LS_REC_SYSCALL, .flags = LS_SYSF_OPEN, .pid = (__u32)pid,
			.tid = (__u32)tid, .ts = v.ts, .dur = now - v.ts, .arg = v.arg, .fd = v.fd,
			.sys = v.sys, .fd_kind = v.fd_kind, .dev = v.dev, .ino = v.ino,
			.user_stack = -1,
		};
		t->opts.on_record(t->opts.ctx, &r, sizeof(r));
	}
	close(pfd);
}

static void report_open_calls_of(struct tracer *t, int fd, pid_t pid, uint64_t now)
{
	char path[64];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)	/* the process is gone, and its calls ended with its threads */
		return;
	while ((d = readdir(dir))) {
		char *end;
		unsigned long tid = strtoul(d->d_name, &end, 10);

		if (d->d_name[0] >= '1' && d->d_name[0] <= '9' && !*end && tid <= INT32_MAX)
			report_open_call(t, fd, pid, (pid_t)tid, now);
	}
	closedir(dir);
}

/* Every process of the set: the first target, then each slot of the kernel's array. */
static int report_open_calls(struct tracer *t)
{
	int fd = bpf_map__fd(t->skel->maps.inflight);
	uint64_t now = cli_boottime_ns();
	__u64 v;
	__u32 i;

	if (t->opts.pid != LS_NO_TGID)
		report_open_calls_of(t, fd, t->opts.pid, now);
	for (i = 0; t->procs && i < LS_PROC_SLOTS; i++) {
		v = __atomic_load_n(&t->procs[i], __ATOMIC_RELAXED);
		if (v && v != LS_PROC_GONE && (pid_t)v != t->opts.pid)
			report_open_calls_of(t, fd, (pid_t)v, now);
	}
	return 0;
}

static void detach_sampling(struct tracer *t)
{
	int cpu;

	for (cpu = 0; cpu < t->ncpus; cpu++) {
		bpf_link__destroy(t->sample_links[cpu]);
		t->sample_links[cpu] = NULL;
	}
}

/* pid's slot in t->uv, else a free one (free: true), else -1. */
static int uv_index(const struct tracer *t, pid_t pid, bool free_slot)
{
	int i, spare = -1;

	for (i = 0; i < LS_MAX_UV_PROCS; i++) {
		if (t->uv[i] && t->uv_pid[i] == pid)
			return i;
		if (!t->uv[i] && spare < 0)
			spare = i;
	}
	return free_slot ? spare : -1;
}

int tracer__attach_libuv(struct tracer *t, pid_t pid, bool js_callbacks, struct debuginfo *dbg,
			 const struct uvprobes **out)
{
	int i = uv_index(t, pid, true), err;
	struct uvprobes *u;

	*out = &t->uv_none;
	if (i < 0)
		return -ENOSPC;
	if (t->uv[i])
		uvprobes__detach(t->uv[i]);	/* attached before: pid ran a new program */
	else if (!(t->uv[i] = calloc(1, sizeof(*t->uv[i]))))
		return -ENOMEM;
	u = t->uv[i];
	memset(u, 0, sizeof(*u));
	t->uv_pid[i] = pid;
	err = dbg ? uvprobes__attach_debug(u, t->skel, pid, js_callbacks, dbg)
		  : uvprobes__attach(u, t->skel, pid, js_callbacks);
	*out = u;
	return err;
}

void tracer__detach_libuv(struct tracer *t, pid_t pid)
{
	int i = uv_index(t, pid, false);

	if (i < 0)
		return;
	uvprobes__detach(t->uv[i]);
	free(t->uv[i]);
	t->uv[i] = NULL;
}

static void detach_all_libuv(struct tracer *t)
{
	int i;

	for (i = 0; i < LS_MAX_UV_PROCS; i++) {
		if (t->uv[i])
			uvprobes__detach(t->uv[i]);
		free(t->uv[i]);
		t->uv[i] = NULL;
	}
}

/* Summary mode: the totals the kernel could not send at their threads' exits (ring full). */
static void report_spilled_totals(struct tracer *t)
{
	int fd = bpf_map__fd(t->skel->maps.totals_spill);
	struct ls_sys_agg_key key, next, *prev = NULL;
	struct ls_rec_sys_agg r = { .type = LS_REC_SYS_AGG };

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &r.agg))
			continue;
		r.key = key;
		r.pid = key.pid;
		t->opts.on_record(t->opts.ctx, &r, sizeof(r));
	}
}

int tracer__stop(struct tracer *t)
{
	int err;

	detach_all_libuv(t);
	detach_sampling(t);
	loopscope_bpf__detach(t->skel);
	do {	/* detached: what is left is finite, take it all */
		t->consumed = 0;
		err = ring_buffer__consume(t->rb);
	} while (err == -EAGAIN);
	if (err < 0)
		return err;
	if (t->opts.summary_only)
		report_spilled_totals(t);
	return report_open_calls(t);
}

void tracer__stats(const struct tracer *t, struct ls_stats *st)
{
	/* .bss is mmap'ed: these are the kernel's counters, read live */
	memcpy(st, (const void *)&t->skel->bss->stats, sizeof(*st));
}

void tracer__thin_samples(struct tracer *t, unsigned shift)
{
	__atomic_store_n(&t->skel->bss->sample_shed_shift, shift, __ATOMIC_RELAXED);
}

bool tracer__user_stacks(const struct tracer *t, struct user_stacks_stats *st)
{
	if (!t->us)
		return false;
	user_stacks__stats(t->us, st);
	return true;
}

void tracer__free(struct tracer *t)
{
	if (!t)
		return;
	detach_all_libuv(t);
	detach_sampling(t);
	ring_buffer__free(t->rb);
	if (t->procs)
		munmap(t->procs, LS_PROC_SLOTS * sizeof(__u64));
	loopscope_bpf__destroy(t->skel);
	user_stacks__free(t->us);
	own_frames__free(&t->own);
	free(t);
}
