// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Syscall family: pairs entry and exit of the loop-relevant syscalls per
 * thread and emits one ls_rec_syscall per completed call, plus thread
 * lifecycle records.
 *
 * Attach types are BTF raw tracepoints (tp_btf/sys_enter, sys_exit,
 * task_rename, sched_process_exit): they need neither tracefs nor kprobes,
 * which this kernel lacks. They fire for every syscall of every process, so
 * the target filter is the first thing each handler does; a bystander pays
 * one helper call and a compare.
 *
 * Concurrency: each inflight entry is the thread's own task-local storage
 * and only touched by that thread (enter/exit/exit-of-thread all run in its
 * context), so the entry needs no lock. Stats are bumped with atomic adds
 * from any CPU.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "loopscope.h"
#include "syscall_nrs.h"

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 targ_tgid = 0;
/* The set in `procs` is in use (children followed, a -p list, --cgroup). */
const volatile __u32 follow_procs = 0;
/* A traced process's fork joins the set. */
const volatile __u32 follow_children = 0;
/* --cgroup: the cgroup v2 id and its level; a process at or below it joins at its first syscall. */
const volatile __u64 targ_cgroup = 0;
const volatile __u32 targ_cgroup_level = 0;
/*
 * Discovery (the agent's --all and --comm): a process joins at its first
 * loop wait rather than its first syscall, wherever it runs unless a
 * cgroup is given too, and only if its main thread's comm is one of
 * join_comms when any are given. Up to max_procs processes in the set.
 */
const volatile __u32 join_any = 0;
const volatile __u32 join_at_wait = 0;
const volatile __u32 join_ncomms = 0;
const volatile char join_comms[LS_JOIN_COMMS][LS_COMM_LEN] = {};
const volatile __u32 max_procs = LS_MAX_PROCS;
/* loopscope itself: never in the set, whatever its cgroup */
const volatile __u32 self_tgid = 0;
/* Summary mode: aggregate the calls that are neither loop waits nor file I/O. */
const volatile __u32 summary_only = 0;
/* Wake the consumer only once this much is queued; it polls on a timer too. */
const volatile __u64 wakeup_bytes = 256 * 1024;
/* A loop thread's blocking file calls carry their user stack (stacks are on). */
const volatile __u32 file_stacks = 0;

struct ls_stats stats = {};
/*
 * Written by user space while tracing (the agent's CPU budget): of the
 * stack samples, one in 2^sample_shed_shift is taken, the rest counted.
 */
__u32 sample_shed_shift = 0;
/*
 * Set by user space once every program is attached. A call entered while
 * sys_exit was not attached yet never shows its exit: that is the attach
 * race, not a lost exit, so it is not counted as one.
 */
__u64 armed_ns = 0;

#include "common.bpf.h"
#include "ustack.bpf.h"

struct ls_events_map events SEC(".maps");
struct ls_procs_map procs SEC(".maps");
/*
 * Defined here, not in stacks.bpf.c, though that family uses them most:
 * bpftool's linker (libbpf 1.1) places a map an earlier object declared
 * extern at offset 0 of .maps, so every shared map lives in this first one.
 */
const volatile __u32 unwind_user = 0;
const volatile __u64 ustack_bytes_per_sec = LS_USTACK_BYTES_PER_SEC;
struct ls_stacks_map stacks SEC(".maps");
struct ls_ustack_scratch_map ustack_scratch SEC(".maps");
struct ls_ustack_budget_map ustack_budget SEC(".maps");
/* Processes in the set, bounded by LS_MAX_PROCS (user space adds its own to it too). */
__u32 procs_live = 0;
/* Bumped whenever a process leaves the set: a refused process may join after one. */
__u64 procs_left = 0;

/*
 * Discovery: a process the --max-targets cap refused, on its main
 * thread's task storage, with procs_left as it was then. Until a process
 * leaves, its next loop waits skip the join (one storage lookup, no probe
 * of the set, no atomic on procs_live) and are not counted again: the
 * refusal counts processes, not waits. Gone with the process.
 */
struct ls_refused {
	__u64 procs_left;
};
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ls_refused);
} refused SEC(".maps");

/*
 * Summary mode: each target thread's totals in its task-local storage (7 KiB,
 * made at its first counted call, gone with it). A hash keyed by (tid,
 * syscall) cost a hashed lookup per call and, preallocated for 64k keys,
 * 33 MiB of locked memory in every mode.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ls_thread_totals);
} totals SEC(".maps");

/*
 * A total the ring buffer had no room for at its thread's exit waits here
 * for user space's read at stop, rather than being lost: allocated only
 * when used (a thread churn while the consumer lags).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LS_MAX_THREADS);
	__type(key, struct ls_sys_agg_key);
	__type(value, struct ls_sys_agg);
} totals_spill SEC(".maps");

/*
 * Each target thread's call in flight, if any, in its task-local storage: a
 * lookup is a slot in the task rather than a hash of the tid (measured in
 * the commit that made it so), and the entry goes with the task. There is
 * no capacity to fill; a failed allocation (the memory cgroup) counts as
 * inflight_full. User space reads it at stop by pidfd (cli/tracer.c).
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ls_inflight);
} inflight SEC(".maps");

#define ANON_INODE_MAGIC	0x09041934
/* the kernel's own filesystems (linux/magic.h): their files are made in memory when read */
#define PROC_SUPER_MAGIC	0x9fa0
#define SYSFS_MAGIC		0x62656572
#define CGROUP_SUPER_MAGIC	0x27e0eb
#define CGROUP2_SUPER_MAGIC	0x63677270
#define DEBUGFS_MAGIC		0x64626720
#define TRACEFS_MAGIC		0x74726163
#define LS_S_IFMT		00170000
#define LS_S_IFSOCK		0140000
#define LS_S_IFREG		0100000
#define LS_S_IFCHR		0020000
#define LS_S_IFIFO		0010000

/* The architecture's number -> our id, from the table in loopscope.h. */
static __always_inline __u32 syscall_of(long id)
{
	switch (id) {
#define XX(sfx, name, class) case LS_NR_##name: return LS_SYS_##sfx;
	LS_SYSCALL_MAP(XX)
#undef XX
	default: return LS_SYS_NONE;
	}
}

/*
 * Anonymous-inode files (eventfd, timerfd, epoll) share one inode whose
 * mode says nothing useful (since 6.15 it is even S_IFREG, commit
 * "anon_inode: use a proper mode internally"), so they are told apart by
 * the superblock magic and the dentry name the kernel gave them.
 */
static __always_inline __u32 anon_kind(struct file *f)
{
	char name[12] = {};

	bpf_probe_read_kernel_str(name, sizeof(name), f->f_path.dentry->d_name.name);
	if (name[0] != '[')
		return LS_FD_OTHER;
	if (name[1] == 'e' && name[6] == 'f')	/* [eventfd] */
		return LS_FD_EVENTFD;
	if (name[1] == 'e' && name[6] == 'p')	/* [eventpoll] */
		return LS_FD_EPOLL;
	if (name[1] == 't' && name[2] == 'i')	/* [timerfd] */
		return LS_FD_TIMERFD;
	return LS_FD_OTHER;
}

/* A regular file by where it lives: storage, or a filesystem the kernel makes up. */
static __always_inline __u32 regular_kind(unsigned long magic)
{
	switch (magic) {
	case PROC_SUPER_MAGIC: return LS_FD_PROCFS;
	case SYSFS_MAGIC: return LS_FD_SYSFS;
	case CGROUP_SUPER_MAGIC:
	case CGROUP2_SUPER_MAGIC:
	case DEBUGFS_MAGIC:
	case TRACEFS_MAGIC: return LS_FD_PSEUDOFS;
	default: return LS_FD_FILE;
	}
}

/*
 * The walk is made of direct loads through BTF pointers (the verifier turns
 * them into fault-handled loads; a NULL on the way reads as 0), not one
 * bpf_probe_read_kernel per hop: ten helper calls were ~400 ns of the
 * ~730 ns sys_enter took per traced read (kernel.bpf_stats_enabled). Only
 * the fd table slot, a pointer to pointers, is read with the helper; the
 * file it holds is made a BTF pointer again with bpf_rdonly_cast (6.3+).
 * The superblock magic, loaded for every fd anyway, also tells /proc and
 * /sys files from stored ones; a stored file's inode number and device go
 * into e (two more direct loads), for user space to check its path by.
 */
static __always_inline __u32 fd_kind_of(int fd, struct ls_inflight *e)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file **fds, *f = NULL;
	struct inode *inode;
	unsigned long magic;
	__u32 major, kind;

	if (fd < 0 || !fdt || (unsigned int)fd >= fdt->max_fds)
		return LS_FD_NONE;
	fds = fdt->fd;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f)
		return LS_FD_NONE;
	f = bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
	inode = f->f_inode;
	magic = inode->i_sb->s_magic;
	if (magic == ANON_INODE_MAGIC)
		return anon_kind(f);
	switch (inode->i_mode & LS_S_IFMT) {
	case LS_S_IFREG:
		kind = regular_kind(magic);
		if (kind == LS_FD_FILE) {
			e->ino = inode->i_ino;
			e->dev = inode->i_sb->s_dev;
		}
		return kind;
	case LS_S_IFSOCK: return LS_FD_SOCKET;
	case LS_S_IFIFO: return LS_FD_PIPE;
	case LS_S_IFCHR:
		/* ttys: 4 (tty), 5 (console/ptmx), 136-143 (pts) */
		major = inode->i_rdev >> 20;
		return (major == 4 || major == 5 || (major >= 136 && major <= 143)) ?
			LS_FD_TTY : LS_FD_CHARDEV;
	default: return LS_FD_OTHER;
	}
}

static __always_inline __s64 pwait2_timeout_ms(struct pt_regs *regs)
{
	struct __kernel_timespec ts;
	void *uts = (void *)PT_REGS_PARM4_SYSCALL(regs);

	if (!uts || bpf_probe_read_user(&ts, sizeof(ts), uts) || ts.tv_sec < 0 || ts.tv_nsec < 0)
		return -1;
	/* BPF has no signed division; both values are checked non-negative */
	return (__s64)((__u64)ts.tv_sec * 1000 + (__u64)ts.tv_nsec / 1000000);
}

static __always_inline void emit_proc(__u32 event, __u32 pid, __u32 ppid, const char *comm)
{
	struct ls_rec_proc *r;

	/* the command line is user space's (LS_PROC_INFO): the kernel record stays small to fill */
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&stats.rb_drops, 1);
		return;
	}
	r->type = LS_REC_PROC;
	r->event = event;
	r->pid = pid;
	r->ppid = ppid;
	r->ts = bpf_ktime_get_boot_ns();
	r->cmdline_len = 0;
	r->__pad = 0;
	if (comm)
		bpf_probe_read_kernel_str(r->comm, sizeof(r->comm), comm);
	else
		bpf_get_current_comm(r->comm, sizeof(r->comm));
	/*
	 * No forced wakeup: a fork storm would wake us per fork. The 100 ms
	 * poll is soon enough to describe a process that lives long enough
	 * to run a loop; one gone by then had none.
	 */
	bpf_ringbuf_submit(r, rb_flags(sizeof(*r)));
}

/*
 * Adds tgid to the set: the first of its LS_PROC_PROBES slots that is free
 * or freed, unless it is already there. 0, or -1 when the set is full
 * (the caller counts it). Slots are claimed by compare-and-swap: forks
 * race on CPUs.
 */
static __always_inline int proc_add(__u32 tgid)
{
	__u32 i, idx;
	__u64 *v, cur;

	for (i = 0; i < LS_PROC_PROBES; i++) {
		idx = (tgid + i) & (LS_PROC_SLOTS - 1);
		v = bpf_map_lookup_elem(&procs, &idx);
		if (v && *v == tgid)
			return 0;
	}
	if (__sync_fetch_and_add(&procs_live, 1) >= max_procs)
		goto full;
	for (i = 0; i < LS_PROC_PROBES; i++) {
		idx = (tgid + i) & (LS_PROC_SLOTS - 1);
		v = bpf_map_lookup_elem(&procs, &idx);
		if (!v)
			break;
		cur = *v;
		if ((cur == 0 || cur == LS_PROC_GONE) && __sync_val_compare_and_swap(v, cur, (__u64)tgid) == cur) {
			__sync_fetch_and_add(&stats.procs_followed, 1);
			return 0;
		}
	}
full:
	__sync_fetch_and_add(&procs_live, -1);
	return -1;
}

/* A freed slot is GONE, not 0: a lookup goes on past it to the tgids probed after it. */
static __always_inline void proc_remove(__u32 tgid)
{
	__u32 i, idx;
	__u64 *v;

	for (i = 0; i < LS_PROC_PROBES; i++) {
		idx = (tgid + i) & (LS_PROC_SLOTS - 1);
		v = bpf_map_lookup_elem(&procs, &idx);
		if (v && *v == tgid && __sync_val_compare_and_swap(v, (__u64)tgid, (__u64)LS_PROC_GONE) == tgid) {
			__sync_fetch_and_add(&procs_live, -1);
			__sync_fetch_and_add(&procs_left, 1);
			return;
		}
	}
}

/*
 * The process's main thread's comm is one of join_comms. Both are
 * NUL-padded to LS_COMM_LEN (comm here read up to its NUL into zeros), so
 * equal bytes are equal names.
 */
static __always_inline int comm_wanted(void)
{
	struct task_struct *leader = bpf_get_current_task_btf()->group_leader;
	char comm[LS_COMM_LEN] = {};
	__u32 i, j;

	if (bpf_probe_read_kernel_str(comm, sizeof(comm), leader->comm) < 0)
		return 0;
	for (i = 0; i < LS_JOIN_COMMS && i < join_ncomms; i++) {
		for (j = 0; j < LS_COMM_LEN; j++)
			if (comm[j] != join_comms[i][j])
				break;
		if (j == LS_COMM_LEN)
			return 1;
	}
	return 0;
}

/* Discovery's join: once per process while the set stays full (struct ls_refused). */
static __always_inline int join_unless_refused(__u32 tgid)
{
	struct task_struct *leader = bpf_get_current_task_btf()->group_leader;
	__u64 left = procs_left;
	struct ls_refused *r;

	r = bpf_task_storage_get(&refused, leader, NULL, 0);
	if (r && r->procs_left == left)
		return 0;
	if (!proc_add(tgid)) {
		emit_proc(LS_PROC_JOIN, tgid, 0, NULL);
		return 1;
	}
	if (!r) {
		__sync_fetch_and_add(&stats.procs_full, 1);
		r = bpf_task_storage_get(&refused, leader, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	}
	if (r)
		r->procs_left = left;
	return 0;
}

/*
 * --cgroup: a process at or below the cgroup joins the set at its first
 * syscall (one that started in it after attach, or came from outside by a
 * move); the agent's discovery, at its first loop wait (join_any,
 * join_at_wait, join_comms). Only in these modes does a bystander pay
 * more than the set's lookup, and in discovery only at a loop wait.
 */
static __always_inline int discover_join(__u32 tgid, long id)
{
	if ((!targ_cgroup && !join_any) || tgid == self_tgid)
		return 0;
	if (join_at_wait && !ls_sys_is_wait(syscall_of(id)))
		return 0;
	if (targ_cgroup && bpf_get_current_ancestor_cgroup_id(targ_cgroup_level) != targ_cgroup)
		return 0;
	if (join_ncomms && !comm_wanted())
		return 0;
	return join_unless_refused(tgid);
}

static __always_inline void emit_thread(__u32 type, __u32 pid, __u32 tid, const char *comm)
{
	struct ls_rec_thread *r;

	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&stats.rb_drops, 1);
		return;
	}
	r->type = type;
	r->pid = pid;
	r->tid = tid;
	r->__pad = 0;
	r->ts = bpf_ktime_get_boot_ns();
	if (comm)
		bpf_probe_read_kernel_str(r->comm, sizeof(r->comm), comm);
	else
		bpf_get_current_comm(r->comm, sizeof(r->comm));
	bpf_ringbuf_submit(r, rb_flags(sizeof(*r)));
}

static __always_inline int on_enter(struct pt_regs *regs, long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid, sys;
	struct task_struct *task;
	struct ls_inflight *e;

	if (!is_target((__u32)(pid_tgid >> 32)) && !discover_join((__u32)(pid_tgid >> 32), id))
		return 0;
	sys = syscall_of(id);
	if (sys == LS_SYS_NONE)
		return 0;
	task = bpf_get_current_task_btf();
	e = bpf_task_storage_get(&inflight, task, NULL, 0);
	if (!e) {
		/* the thread's first traced call: its storage is created zeroed */
		e = bpf_task_storage_get(&inflight, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!e) {
			__sync_fetch_and_add(&stats.inflight_full, 1);
			return 0;
		}
		emit_thread(LS_REC_THREAD, (__u32)(pid_tgid >> 32), tid, NULL);
	} else if (e->active && armed_ns && e->ts >= armed_ns) {
		__sync_fetch_and_add(&stats.missed_exit, 1);
	}
	e->sys = sys;
	e->ino = 0;
	e->dev = 0;
	/*
	 * regs are the caller's: the syscall convention, not the C one (x86:
	 * r10, not cx). A BTF pointer here, so the fields are direct loads,
	 * not a bpf_probe_read_kernel each as the _CORE_ variants do.
	 */
	if (sys == LS_SYS_FUTEX || sys == LS_SYS_OPENAT) {
		/* futex: the op; openat: the path's user address, read at exit (opened_path()) */
		e->fd = -1;
		e->fd_kind = LS_FD_NONE;
		e->arg = PT_REGS_PARM2_SYSCALL(regs);
	} else {
		e->fd = (__s32)PT_REGS_PARM1_SYSCALL(regs);
		/* a wait's fd is an epoll file unless the call fails: see wait_fd_kind() */
		e->fd_kind = ls_sys_is_wait(sys) ? LS_FD_EPOLL : fd_kind_of(e->fd, e);
		e->waited |= ls_sys_is_wait(sys);
		if (sys == LS_SYS_EPOLL_PWAIT2)
			e->arg = pwait2_timeout_ms(regs);
		else if (ls_sys_is_wait(sys))
			e->arg = (int)PT_REGS_PARM4_SYSCALL(regs);
		else
			e->arg = PT_REGS_PARM3_SYSCALL(regs);
	}
	e->active = 1;
	/* last, so the call's own bookkeeping is not counted in its duration */
	e->ts = bpf_ktime_get_boot_ns();
	return 0;
}

static __always_inline __u32 log2_bucket(__u64 v)
{
	__u32 b = 0;

	/* unrolled binary search: the verifier sees a bounded result */
	if (v >> 32) { v >>= 32; b += 32; }
	if (v >> 16) { v >>= 16; b += 16; }
	if (v >> 8) { v >>= 8; b += 8; }
	if (v >> 4) { v >>= 4; b += 4; }
	if (v >> 2) { v >>= 2; b += 2; }
	if (v >> 1) b += 1;
	return b < LS_AGG_BUCKETS ? b : LS_AGG_BUCKETS - 1;
}

/* Summary mode: count the call in place of a record. */
static __always_inline void aggregate(const struct ls_inflight *e, __u64 dur, long ret)
{
	struct ls_thread_totals *t;
	struct ls_sys_agg *a;

	t = bpf_task_storage_get(&totals, bpf_get_current_task_btf(), NULL,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t || e->sys >= LS_SYS_MAX) {
		__sync_fetch_and_add(&stats.inflight_full, 1);
		return;
	}
	/* one thread updates its own totals: plain adds are enough */
	a = &t->sys[e->sys];
	a->count++;
	a->errors += ret < 0;
	a->total_ns += dur;
	if (e->fd_kind < LS_FD_KIND_MAX)
		a->by_fd_kind[e->fd_kind]++;
	a->buckets[log2_bucket(dur)]++;
}

/*
 * epoll_wait, epoll_pwait and epoll_pwait2 return a count, or -EINTR from
 * the wait itself, only once the kernel has checked that fd is an epoll
 * file (do_epoll_wait: fdget, then is_file_epoll, before ep_poll). So the
 * entry records LS_FD_EPOLL without walking the fd table (the anonymous
 * inode's name costs a string read on top of the walk), and only a call
 * that failed otherwise (-EBADF, -EINVAL, -EFAULT) has its fd looked up,
 * at exit, as it would have been at entry. A wait still open at stop keeps
 * LS_FD_EPOLL: unless it entered in the last microseconds, it is blocked in
 * ep_poll, past the check.
 */
static __always_inline void wait_fd_kind(struct ls_inflight *e, long ret)
{
	if (ret < 0 && ret != -4 /* EINTR */)
		e->fd_kind = fd_kind_of(e->fd, e);
}

/*
 * openat returned fd: when it is a stored file, its path as the program
 * named it (user memory still mapped at exit), for the calls on it. A file
 * opened, read and closed within one poll of ours is gone from /proc by the
 * time user space could name it (readFileSync does just that), so the name
 * is taken here. The program's own string, relative to its cwd if
 * relative: a claim about its own file, shown as such (LS_FDP_OPENED).
 */
static __always_inline void opened_path(struct ls_inflight *e, long ret, __u32 pid)
{
	struct ls_rec_fd_path *p;
	long n;

	e->fd = (__s32)ret;
	e->fd_kind = fd_kind_of(e->fd, e);
	if (e->fd_kind != LS_FD_FILE)
		return;
	p = bpf_ringbuf_reserve(&events, sizeof(*p), 0);
	if (!p) {
		__sync_fetch_and_add(&stats.rb_drops, 1);
		return;
	}
	n = bpf_probe_read_user_str(p->path, sizeof(p->path), (const void *)e->arg);
	p->type = LS_REC_FD_PATH;
	p->pid = pid;
	p->fd = e->fd;
	p->dev = (__u32)e->dev;
	p->ino = e->ino;
	p->len = n > 1 ? (__u32)n - 1 : 0;
	p->flags = LS_FDP_OPENED | (n == sizeof(p->path) ? LS_FDP_CUT : 0);
	if (!p->len || !p->ino) {
		bpf_ringbuf_discard(p, 0);
		return;
	}
	bpf_ringbuf_submit(p, rb_flags(sizeof(*p)));
}

/*
 * The user stack of a loop thread's blocking file call, taken before its
 * record is reserved (a copy goes first on the ring): once per file, then
 * once per LS_FILE_STACK_GAP_NS, so a loop reading one file in a tight
 * loop costs one copy per 100 ms, not one per call.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_regs);
} file_call_regs SEC(".maps");	/* the exit path's frame has no room for a pt_regs */

static __noinline __s32 file_call_stack(void *ctx, struct ls_inflight *e, __u32 tid, __u64 now)
{
	struct task_struct *task;
	struct vma_bounds b = {};
	struct pt_regs *regs_p, *regs;
	__u32 zero = 0;
	__s32 id;

	if (!file_stacks || !e->waited || !ls_sys_is_io(e->sys) || e->fd_kind != LS_FD_FILE ||
	    (e->ino == e->stack_ino && now - e->stack_ts < LS_FILE_STACK_GAP_NS))
		return -1;
	if (!unwind_user) {
		id = stack_id(ctx, BPF_F_USER_STACK);
	} else {
		task = bpf_get_current_task_btf();
		regs_p = (struct pt_regs *)bpf_task_pt_regs(task);
		regs = bpf_map_lookup_elem(&file_call_regs, &zero);
		if (!regs_p || !regs || bpf_probe_read_kernel(regs, sizeof(*regs), regs_p)) {
			__sync_fetch_and_add(&stats.ustack_errors, 1);
			return -1;
		}
		id = copy_user_stack(task, tid, now, regs, &b);
	}
	/* only a stack taken counts: one not copied (the ring was busy) is tried again next call */
	if (id != -1) {
		e->stack_ino = e->ino;
		e->stack_ts = now;
	}
	return id;
}

static __always_inline int on_exit(void *ctx, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), now;
	__u32 tid = (__u32)pid_tgid;
	struct ls_rec_syscall *r;
	struct ls_inflight *e;
	__s32 ustack;

	if (!is_target((__u32)(pid_tgid >> 32)))
		return 0;
	now = bpf_ktime_get_boot_ns();
	e = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), NULL, 0);
	if (!e || !e->active)
		return 0;
	e->active = 0;
	if (ls_sys_is_wait(e->sys))
		wait_fd_kind(e, ret);
	if (e->sys == LS_SYS_OPENAT) {
		if (ret >= 0)
			opened_path(e, ret, (__u32)(pid_tgid >> 32));
		e->arg = 0;	/* a user address: nothing to show */
	}
	if (summary_only && !ls_sys_is_wait(e->sys) &&
	    !(ls_sys_is_io(e->sys) && e->fd_kind == LS_FD_FILE)) {
		aggregate(e, now - e->ts, ret);
		return 0;
	}
	ustack = file_call_stack(ctx, e, tid, now);
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&stats.rb_drops, 1);
		return 0;
	}
	r->type = LS_REC_SYSCALL;
	r->flags = 0;
	r->pid = (__u32)(pid_tgid >> 32);
	r->tid = tid;
	r->ts = e->ts;
	r->dur = now - e->ts;
	r->ret = ret;
	r->arg = e->arg;
	r->fd = e->fd;
	r->sys = e->sys;
	r->fd_kind = e->fd_kind;
	r->dev = e->dev;
	r->ino = e->ino;
	r->user_stack = ustack;
	r->__pad = 0;
	/*
	 * A stack copy is unwound from the process's maps, which go with it:
	 * user space is woken for it now, not at its next 100 ms poll (a
	 * short-lived child's finding had no stack). One per file per 100 ms.
	 */
	bpf_ringbuf_submit(r, ustack != -1 ? BPF_RB_FORCE_WAKEUP : rb_flags(sizeof(*r)));
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(ls_sys_enter, struct pt_regs *regs, long id)
{
	return on_enter(regs, id);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(ls_sys_exit, struct pt_regs *regs, long ret)
{
	return on_exit(ctx, ret);
}

SEC("tp_btf/task_rename")
int BPF_PROG(ls_task_rename, struct task_struct *task, const char *comm)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);

	if (!is_target(tgid))
		return 0;
	emit_thread(LS_REC_THREAD, tgid, BPF_CORE_READ(task, pid), comm);
	return 0;
}

/*
 * Summary mode: an exiting thread's totals go out now, with its storage.
 * A total the ring buffer has no room for goes to totals_spill; one that
 * finds that full too is lost, and counted.
 */
static __always_inline void spill_total(__u32 tgid, __u32 tid, __u32 sys, const struct ls_sys_agg *a)
{
	struct ls_sys_agg_key key = { .tid = tid, .sys = sys, .pid = tgid };

	if (bpf_map_update_elem(&totals_spill, &key, a, BPF_NOEXIST))
		__sync_fetch_and_add(&stats.rb_drops, 1);
}

static __always_inline void flush_totals(struct task_struct *task, __u32 tgid, __u32 tid)
{
	struct ls_thread_totals *t = bpf_task_storage_get(&totals, task, NULL, 0);
	struct ls_rec_sys_agg *r;
	__u32 sys;

	if (!t)
		return;
	for (sys = LS_SYS_NONE + 1; sys < LS_SYS_MAX; sys++) {
		if (!t->sys[sys].count)
			continue;
		r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
		if (!r) {
			spill_total(tgid, tid, sys, &t->sys[sys]);
			continue;
		}
		r->type = LS_REC_SYS_AGG;
		r->pid = tgid;
		r->key.tid = tid;
		r->key.sys = sys;
		r->key.pid = tgid;
		r->key.__pad = 0;
		__builtin_memcpy(&r->agg, &t->sys[sys], sizeof(r->agg));
		bpf_ringbuf_submit(r, rb_flags(sizeof(*r)));
	}
	bpf_task_storage_delete(&totals, task);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ls_thread_exit, struct task_struct *task, bool group_dead)
{
	__u32 tid, tgid = BPF_CORE_READ(task, tgid);

	if (!is_target(tgid))
		return 0;
	tid = BPF_CORE_READ(task, pid);
	/* a call still in flight here will never return: it ends with the thread */
	bpf_task_storage_delete(&inflight, task);
	if (summary_only)
		flush_totals(task, tgid, tid);
	emit_thread(LS_REC_THREAD_EXIT, tgid, tid, NULL);
	if (group_dead) {
		emit_proc(LS_PROC_EXIT, tgid, 0, NULL);
		if (tgid != targ_tgid)
			proc_remove(tgid);
	}
	return 0;
}

/*
 * A fork of a traced process joins the set here, in the parent, before
 * the child first runs: nothing the child does is missed. A new thread
 * (same tgid) is not a new process.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(ls_proc_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);

	if (!follow_children || ptgid == ctgid || !is_target(ptgid))
		return 0;
	if (proc_add(ctgid)) {
		__sync_fetch_and_add(&stats.procs_full, 1);
		return 0;
	}
	emit_proc(LS_PROC_FORK, ctgid, ptgid, BPF_CORE_READ(child, comm));
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ls_proc_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);

	if (!is_target(tgid))
		return 0;
	emit_proc(LS_PROC_EXEC, tgid, 0, BPF_CORE_READ(p, comm));
	return 0;
}
