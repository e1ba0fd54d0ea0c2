/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel/user ABI of loopscope: every record the BPF programs put in the
 * ring buffer, and every enum both sides agree on. Included by the BPF
 * objects (after vmlinux.h) and by user space (after <linux/types.h>).
 *
 * Rules: fixed-width fields only, explicit padding, each record starts with
 * "__u32 type". Sizes are pinned with _Static_assert in collector/record.h.
 */
#ifndef LOOPSCOPE_ABI_H
#define LOOPSCOPE_ABI_H

#define LS_COMM_LEN 16

enum ls_rec_type {
	LS_REC_SYSCALL = 1,	/* struct ls_rec_syscall: one completed call */
	LS_REC_THREAD = 2,	/* struct ls_rec_thread: thread first seen or renamed */
	LS_REC_THREAD_EXIT = 3,	/* struct ls_rec_thread: thread exited */
	LS_REC_UV_PHASE = 4,	/* struct ls_rec_uv_phase: a libuv phase function ran */
	LS_REC_UV_WORK = 5,	/* struct ls_rec_uv_work: a thread-pool work item event */
	LS_REC_SAMPLE = 6,	/* struct ls_rec_sample: an on-CPU sample */
	LS_REC_OFFCPU = 7,	/* struct ls_rec_offcpu: a thread was off CPU, blocked */
	LS_REC_OVERFLOW = 8,	/* struct ls_rec_overflow: a stack overflow or its suspect */
	LS_REC_STACK = 9,	/* struct ls_rec_stack: frames of a stack id (user space makes these) */
	LS_REC_SYS_AGG = 10,	/* struct ls_rec_sys_agg: summary mode's in-kernel totals (user space) */
	LS_REC_USTACK = 11,	/* struct ls_rec_ustack + bytes: registers and a copy of a user stack */
	LS_REC_PROC = 12,	/* struct ls_rec_proc: a process joined, changed or left the traced set */
	LS_REC_FD_PATH = 13,	/* struct ls_rec_fd_path: the path of a regular file's fd (user space) */
	LS_REC_JS_FRAME = 14,	/* struct ls_rec_js_frame: a JavaScript frame V8's heap named (user space) */
	LS_REC_WORK_NAME = 15,	/* struct ls_rec_work_name: what a pool item's function or owner is (user space) */
	LS_REC_TYPE_MAX,
};

/*
 * Our own compact syscall ids, independent of the architecture's numbers.
 * XX(enum suffix, name, class): name is the display name and the suffix of
 * the call's LS_NR_* number in syscall_nrs.h (the BPF side maps one to the
 * other from this table); class is what the call means to the model:
 *   WAIT   the loop's wait: its return ends an iteration, arg = the timeout
 *          in ms; summary mode always sends it as a record
 *   IO     moves data through the fd of its first argument, arg = the byte
 *          count asked: on a regular file it blocks the loop (sync file I/O)
 *   OTHER  neither (futex: no fd, arg = the op; openat: fd = the fd it
 *          returned, arg 0, and a regular file opened sends its path as
 *          the program named it, LS_REC_FD_PATH with LS_FDP_OPENED)
 * Code asks the class (ls_sys_is_wait(), ls_sys_is_io()), never the order
 * of the ids, so a new call goes anywhere in the table. At most 32 ids:
 * summaries keep a u32 mask of them.
 */
#define LS_SYSCALL_MAP(XX)                 \
	XX(EPOLL_WAIT, epoll_wait, WAIT)     \
	XX(EPOLL_PWAIT, epoll_pwait, WAIT)   \
	XX(EPOLL_PWAIT2, epoll_pwait2, WAIT) \
	XX(READ, read, IO)                   \
	XX(WRITE, write, IO)                 \
	XX(READV, readv, IO)                 \
	XX(WRITEV, writev, IO)               \
	XX(PREAD64, pread64, IO)             \
	XX(PWRITE64, pwrite64, IO)           \
	XX(RECVFROM, recvfrom, IO)           \
	XX(SENDTO, sendto, IO)               \
	XX(RECVMSG, recvmsg, IO)             \
	XX(SENDMSG, sendmsg, IO)             \
	XX(FUTEX, futex, OTHER)              \
	XX(OPENAT, openat, OTHER)

enum ls_syscall {
	LS_SYS_NONE = 0,
#define XX(sfx, name, class) LS_SYS_##sfx,
	LS_SYSCALL_MAP(XX)
#undef XX
	LS_SYS_MAX,
};
_Static_assert(LS_SYS_MAX <= 32, "syscall ids fit a u32 mask and 2 class bits each in a u64");

enum ls_sys_class {
	LS_SYSC_OTHER = 0,	/* also LS_SYS_NONE's and any unknown id's */
	LS_SYSC_WAIT = 1,
	LS_SYSC_IO = 2,
};

/*
 * The class of every id, 2 bits each at bit 2 * id: one constant, so a
 * class test is a shift and a mask on both sides (no table the verifier
 * would have to bound).
 */
#define LS_SYS_CLASS_BITS_(sfx, name, class) | ((__u64)LS_SYSC_##class << (2 * LS_SYS_##sfx))
#define LS_SYS_CLASS_BITS	(0 LS_SYSCALL_MAP(LS_SYS_CLASS_BITS_))

static inline __u32 ls_sys_class(__u32 sys)
{
	return sys < LS_SYS_MAX ? (__u32)(LS_SYS_CLASS_BITS >> (2 * sys)) & 3 : LS_SYSC_OTHER;
}

static inline int ls_sys_is_wait(__u32 sys)
{
	return ls_sys_class(sys) == LS_SYSC_WAIT;
}

static inline int ls_sys_is_io(__u32 sys)
{
	return ls_sys_class(sys) == LS_SYSC_IO;
}

/*
 * What the fd of a call refers to, classified in the kernel. FILE is a
 * regular file on a filesystem with storage behind it: I/O on it may block
 * (the sync-file-I/O finding). Regular files of the kernel's own
 * filesystems are not: PROCFS (/proc), SYSFS (/sys) and PSEUDOFS (cgroup,
 * debugfs, tracefs) are generated in memory when read, told apart by the
 * superblock magic (linux/magic.h).
 */
#define LS_FD_KIND_MAP(XX)     \
	XX(NONE, "none")           \
	XX(FILE, "file")           \
	XX(PROCFS, "procfs")       \
	XX(SYSFS, "sysfs")         \
	XX(PSEUDOFS, "pseudofs")   \
	XX(SOCKET, "socket")       \
	XX(PIPE, "pipe")           \
	XX(EVENTFD, "eventfd")     \
	XX(TIMERFD, "timerfd")     \
	XX(EPOLL, "epoll")         \
	XX(TTY, "tty")             \
	XX(CHARDEV, "chardev")     \
	XX(OTHER, "other")

enum ls_fd_kind {
#define XX(id, name) LS_FD_##id,
	LS_FD_KIND_MAP(XX)
#undef XX
	LS_FD_KIND_MAX,
};

/*
 * libuv phases. The first LS_UV_PROBED are functions we put uprobes on (the
 * enum value is the attach cookie); the rest exist only in the model:
 * pending and closing are static and inlined in every build we saw, so they
 * are inferred from the gaps between their neighbours, and uv__io_poll is
 * split by its epoll call into "poll" (before the wait) and "I/O callbacks".
 * JS_CALLBACK is node::InternalMakeCallback, probed only with --js-callbacks:
 * it nests inside the phases, so it is not one of an iteration's phases.
 * XX(enum suffix, display name)
 */
#define LS_PHASE_MAP(XX)             \
	XX(TIMERS, "timers")             \
	XX(IDLE, "idle")                 \
	XX(PREPARE, "prepare")           \
	XX(POLL, "poll")                 \
	XX(CHECK, "check")               \
	XX(JS_CALLBACK, "JS callback")   \
	XX(PENDING, "pending")           \
	XX(CLOSING, "closing")           \
	XX(IO_CALLBACKS, "I/O callbacks")

enum ls_phase {
#define XX(id, name) LS_PHASE_##id,
	LS_PHASE_MAP(XX)
#undef XX
	LS_PHASE_MAX,
};
#define LS_UV_PROBED (LS_PHASE_JS_CALLBACK + 1)

/* What a thread-pool item does, from the work function libuv was given. */
#define LS_WORK_KIND_MAP(XX)          \
	XX(OTHER, "other")                \
	XX(FS, "fs")                      \
	XX(WORK, "queue_work")            \
	XX(GETADDRINFO, "getaddrinfo")    \
	XX(GETNAMEINFO, "getnameinfo")    \
	XX(RANDOM, "random")

enum ls_work_kind {
#define XX(id, name) LS_WORK_##id,
	LS_WORK_KIND_MAP(XX)
#undef XX
	LS_WORK_KIND_MAX,
};

/*
 * Offset of struct uv__work inside the public uv_work_t (uv.h: UV_REQ_FIELDS
 * = data, type, reserved[6]; then loop, work_cb, after_work_cb, work_req),
 * stable across libuv 1.x on LP64. Needed because uv_queue_work inlines
 * uv__work_submit in builds like node's, so we probe uv_queue_work itself.
 */
#define LS_UV_WORK_REQ_OFFSET	88

/*
 * An fs item's uv__work sits in a uv_fs_t this far after its fs_type
 * (uv.h and uv/unix.h: UV_REQ_FIELDS, fs_type, loop, cb, result, ptr,
 * path, statbuf, new_path ... mtime, then work_req), libuv 1.x on LP64;
 * tests/unit/test_uv_layout.c checks both offsets against Debian's uv.h.
 */
#define LS_UV_FS_TYPE_BACK	272
#define LS_UV_FS_TYPE_MAX	64	/* uv_fs_type values beyond (libuv 1.46 ends at 36) are not believed */

/* ls_rec_uv_work.detail names an fs item's operation: libuv's uv_fs_type, as uv.h numbers it */
#define LS_UV_FS_TYPE_MAP(XX) \
	XX(0, "fs.custom") XX(1, "fs.open") XX(2, "fs.close") XX(3, "fs.read") XX(4, "fs.write") \
	XX(5, "fs.sendfile") XX(6, "fs.stat") XX(7, "fs.lstat") XX(8, "fs.fstat") \
	XX(9, "fs.ftruncate") XX(10, "fs.utime") XX(11, "fs.futime") XX(12, "fs.access") \
	XX(13, "fs.chmod") XX(14, "fs.fchmod") XX(15, "fs.fsync") XX(16, "fs.fdatasync") \
	XX(17, "fs.unlink") XX(18, "fs.rmdir") XX(19, "fs.mkdir") XX(20, "fs.mkdtemp") \
	XX(21, "fs.rename") XX(22, "fs.scandir") XX(23, "fs.link") XX(24, "fs.symlink") \
	XX(25, "fs.readlink") XX(26, "fs.chown") XX(27, "fs.fchown") XX(28, "fs.realpath") \
	XX(29, "fs.copyfile") XX(30, "fs.lchown") XX(31, "fs.opendir") XX(32, "fs.readdir") \
	XX(33, "fs.closedir") XX(34, "fs.statfs") XX(35, "fs.mkstemp") XX(36, "fs.lutime")

/* ls_rec_uv_work.event: the life of one struct uv__work, keyed by its address */
enum ls_work_event {
	LS_WORK_SUBMIT = 1,	/* uv__work_submit on the loop thread: ts */
	LS_WORK_PICKUP = 2,	/* a worker entered the work function: ts */
	LS_WORK_RUN = 3,	/* the work function returned: ts = pickup, end */
	LS_WORK_DONE = 4,	/* the done callback returned on the loop: ts, end */
	LS_WORK_DONE_BEGIN = 5,	/* the done callback was entered: ts (so what it calls nests in it) */
	/*
	 * User space (cli/uvcallbacks.c), work 0: pid's pool callbacks were
	 * probed at ts; an item submitted before may have been picked up
	 * unseen, so it is not counted as queued
	 */
	LS_WORK_PROBED = 6,
};

struct ls_rec_uv_phase {
	__u32 type;		/* LS_REC_UV_PHASE */
	__u32 phase;		/* enum ls_phase, < LS_UV_PROBED */
	__u32 pid;
	__u32 tid;
	__u64 ts;		/* function entry, CLOCK_BOOTTIME ns */
	__u64 end;		/* function return; 0 = entry marker (uv__io_poll only) */
};

struct ls_rec_uv_work {
	__u32 type;		/* LS_REC_UV_WORK */
	__u32 event;		/* enum ls_work_event */
	__u32 pid;
	__u32 tid;
	__u64 ts;
	__u64 end;		/* LS_WORK_RUN and LS_WORK_DONE only */
	__u64 work;		/* the struct uv__work pointer: the item's identity */
	__u32 kind;		/* enum ls_work_kind */
	__u32 detail;		/* LS_WORK_FS at submit and pickup: its uv_fs_type + 1; 0 unknown */
	/*
	 * LS_WORK_SUBMIT of a queue_work or an unknown kind, else 0: what may
	 * name the item's kind (ls_rec_work_name). work_fn: the work function
	 * libuv was given. owner: the two words before the uv_work_t, where a
	 * C++ object that embeds it keeps its vtable pointer (node's
	 * ThreadPoolWork: vptr, env_, work_req_); user space names a word only
	 * when it points into a vtable symbol, so a plain C caller's bytes
	 * there name nothing.
	 */
	__u64 work_fn;
	__u64 owner[2];
	__u64 done_fn;		/* uv_queue_work's after_work_cb (0: none, or uv__work_submit) */
};

/*
 * What a pool item's work function or owner vtable is, in pid, named from
 * the target's symbols by user space (cli/work_names.c) before the first
 * submit that carries addr: "DeriveBitsJob<PBKDF2Traits>" (a vtable, its
 * namespaces dropped) or "work" (a work function). Untrusted text.
 */
#define LS_WORK_NAME_MAX	64

struct ls_rec_work_name {
	__u32 type;		/* LS_REC_WORK_NAME */
	__u32 pid;
	__u64 addr;		/* a work_fn or owner word of ls_rec_uv_work */
	char name[LS_WORK_NAME_MAX];
};

/*
 * Stacks are kept in a BPF stack map (identical stacks share an id, the
 * kernel-side aggregation); records carry ids, -1 = none. User space reads
 * the frames of each new id and feeds them on as struct ls_rec_stack.
 */
#define LS_MAX_STACK_DEPTH	127	/* kernel.perf_event_max_stack here */
#define LS_MAX_STACK_IDS	16384	/* entries of the stack map: ids are below this */

struct ls_rec_sample {
	__u32 type;		/* LS_REC_SAMPLE */
	__u32 pid;
	__u32 tid;
	__u32 cpu;
	__u64 ts;
	__s32 user_stack;	/* stack id, -1 = none */
	__s32 kern_stack;	/* stack id, -1 = none (sampled in user mode) */
	__u64 stack_used;	/* bytes from the top of the thread's stack mapping to sp */
	__u64 stack_size;	/* size of that mapping */
};

struct ls_rec_offcpu {
	__u32 type;		/* LS_REC_OFFCPU */
	__u32 pid;
	__u32 tid;
	__u32 waker_tid;	/* 0 = unknown */
	__u64 ts;		/* switched out (blocked) */
	__u64 end;		/* switched back in */
	__s32 user_stack;
	__s32 kern_stack;
	char waker_comm[LS_COMM_LEN];
};

enum ls_overflow_kind {
	LS_OVERFLOW_SEGV = 1,	/* SIGSEGV on a thread: an overflow if the fault is at its stack's end */
	LS_OVERFLOW_V8 = 2,	/* v8::internal::Isolate::StackOverflow(): a JS RangeError */
};

struct ls_rec_overflow {
	__u32 type;		/* LS_REC_OVERFLOW */
	__u32 kind;		/* enum ls_overflow_kind */
	__u32 pid;
	__u32 tid;
	__u64 ts;
	__u64 fault_addr;	/* SEGV: si_addr */
	__u64 sp;		/* user stack pointer */
	__u64 stack_start;	/* the mapping sp is in (0 = none found) */
	__u64 stack_end;
	__u32 frames;		/* frame-pointer chain length, capped at LS_MAX_FP_WALK */
	__s32 user_stack;	/* innermost frames */
};
#define LS_MAX_FP_WALK		(1u << 20)

/*
 * CFI unwinding (record --call-graph dwarf, the default): code built
 * without frame pointers cannot be walked in the kernel, so the programs
 * copy the user registers and the used part of the user stack, at most
 * LS_MAX_STACK_COPY bytes, and user space unwinds them with each module's
 * .eh_frame. A record whose user_stack is LS_STACK_DUMPED takes its frames
 * from the last LS_REC_USTACK of its thread (it comes first, on the same
 * ring). User space gives unwound stacks ids from LS_MAX_STACK_IDS up, in
 * the LS_REC_STACK records it makes, so records downstream carry ids only.
 * Copies are capped per CPU at ustack_bytes_per_sec (a flood of blocking
 * switches must not flood the ring); a capped record has no user stack,
 * and the cap is counted.
 */
#define LS_STACK_DUMPED		(-2)
#define LS_MAX_STACK_COPY	32768	/* node's stacks under load reach past 16 KiB (a third were cut there) */
#define LS_UNWIND_REGS		17	/* x86-64 DWARF registers 0..16: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */
#define LS_MAX_UNWOUND_STACKS	16384
#define LS_STACK_ID_LIMIT	(LS_MAX_STACK_IDS + LS_MAX_UNWOUND_STACKS)

struct ls_rec_ustack {
	__u32 type;		/* LS_REC_USTACK */
	__u32 tid;
	__u64 ts;
	__u64 regs[LS_UNWIND_REGS];	/* in DWARF register order */
	__u64 stack_end;	/* end of the mapping sp is in: nothing of the stack is above */
	__u32 size;		/* bytes of stack that follow, copied from regs[7] (sp) up */
	__u32 pad;
	/* __u8 data[size] */
};

struct ls_rec_stack {
	__u32 type;		/* LS_REC_STACK */
	__s32 id;
	__u32 kernel;		/* 1 = kernel frames */
	__u32 nframes;
	__u64 ips[LS_MAX_STACK_DEPTH];	/* leaf first */
};

/*
 * Summary mode (record --summary without -o): calls other than the epoll
 * waits and regular-file I/O are aggregated in the kernel per (tid,
 * syscall) instead of being sent one by one. Durations go into log2
 * buckets: bucket b holds [2^b, 2^(b+1)) ns.
 */
#define LS_AGG_BUCKETS		40

struct ls_sys_agg_key {
	__u32 tid;
	__u32 sys;
	__u32 pid;		/* the thread's process (the set may hold several) */
	__u32 __pad;
};

struct ls_sys_agg {
	__u64 count;
	__u64 errors;
	__u64 total_ns;
	__u64 by_fd_kind[LS_FD_KIND_MAX];
	__u64 buckets[LS_AGG_BUCKETS];
};

struct ls_rec_sys_agg {
	__u32 type;		/* LS_REC_SYS_AGG */
	__u32 pid;
	struct ls_sys_agg_key key;
	struct ls_sys_agg agg;
};

/*
 * A thread's totals, one slot per syscall (slot LS_SYS_NONE unused), in its
 * task-local storage: the call's own thread finds them by its task, not by
 * hashing (tid, syscall), and only threads that made a call have them.
 * They leave as LS_REC_SYS_AGG records at the thread's exit; user space
 * reads the live threads' by pidfd at stop.
 */
struct ls_thread_totals {
	struct ls_sys_agg sys[LS_SYS_MAX];
};

/* ls_rec_syscall.flags */
#define LS_SYSF_OPEN 0x1	/* still in flight when the trace ended: dur is up to the end */

struct ls_rec_syscall {
	__u32 type;		/* LS_REC_SYSCALL */
	__u32 flags;		/* LS_SYSF_* */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u64 ts;		/* CLOCK_BOOTTIME ns at syscall entry */
	__u64 dur;		/* ns from entry to exit */
	__s64 ret;		/* return value (-errno on failure) */
	__s64 arg;		/* epoll_*: timeout ms (-1 forever); futex: op; others: byte count asked */
	__s32 fd;		/* first argument's fd, -1 when the call has none (futex) */
	__u32 sys;		/* enum ls_syscall */
	__u32 fd_kind;		/* enum ls_fd_kind */
	/*
	 * LS_FD_FILE only (0 otherwise): the inode's number and its
	 * superblock's s_dev (the kernel's dev_t: major << 20 | minor), so user
	 * space can check that a path it finds for fd names this very file.
	 */
	__u32 dev;
	__u64 ino;
	/*
	 * LS_FD_FILE reads and writes of a thread that has waited in a poll
	 * (a loop thread) only, else -1: the stack map's id, or
	 * LS_STACK_DUMPED (the thread's last LS_REC_USTACK, right before).
	 * One per thread per file, then at most one per LS_FILE_STACK_GAP_NS.
	 */
	__s32 user_stack;
	__u32 __pad;
};

#define LS_FILE_STACK_GAP_NS	100000000ull	/* 100 ms */

/*
 * The path of a regular file a traced process had open as fd, made by user
 * space (cli/fd_paths.c) from /proc/PID/fd/FD once it checked the link's
 * inode and device are the call's (ino, dev as in ls_rec_syscall). Calls
 * with the same (pid, fd, ino, dev) are on that file. The target's bytes:
 * untrusted, not NUL-terminated, at most LS_FD_PATH_MAX (longer: cut, and
 * LS_FDP_CUT set).
 */
#define LS_FD_PATH_MAX		256
#define LS_FDP_CUT		0x1
#define LS_FDP_OPENED		0x2	/* the kernel's, at openat: the path as the program passed it */

struct ls_rec_fd_path {
	__u32 type;		/* LS_REC_FD_PATH */
	__u32 pid;
	__s32 fd;
	__u32 dev;
	__u64 ino;
	__u32 len;		/* bytes of path used */
	__u32 flags;		/* LS_FDP_* */
	char path[LS_FD_PATH_MAX];
};

/*
 * A JavaScript frame named from V8's heap objects (cli/js_frames.c), made
 * by user space when it unwinds a copied stack: the frame goes into stacks
 * as addr, an address no code has (LS_JS_FRAME_TAG, non-canonical on
 * x86-64, and an id), and this record, ahead of the first stack holding
 * it, says what addr is: name ("~fn /path/file.js:12", the tier as V8's
 * perf map writes it) and the pc it was first seen at (a perf map, where
 * the target writes one, names that pc first). The target's bytes, made
 * printable ASCII; NUL-terminated.
 */
#define LS_JS_NAME_MAX		192
#define LS_JS_FRAME_TAG		0x4a53000000000000ull	/* "JS" */
#define LS_JS_FRAME_MASK	0xffff000000000000ull
#define LS_IS_JS_FRAME(ip)	(((ip) & LS_JS_FRAME_MASK) == LS_JS_FRAME_TAG)

struct ls_rec_js_frame {
	__u32 type;		/* LS_REC_JS_FRAME */
	__u32 pid;
	__u64 addr;		/* LS_JS_FRAME_TAG | id */
	__u64 pc;
	char name[LS_JS_NAME_MAX];
};

/*
 * The traced processes. A session traces a set of processes: the target
 * and, unless --no-children, every process it forks (the kernel adds a
 * child to the set before the child runs), the other PIDs of a -p list,
 * and with --cgroup every process of that cgroup or below it (added at its
 * first syscall). The set is an open-addressed array of tgids
 * (LS_PROC_SLOTS, LS_PROC_PROBES tries per tgid, LS_PROC_GONE marking a
 * freed slot), at most LS_MAX_PROCS live at once: a process beyond that is
 * not followed, and counted (procs_full).
 */
#define LS_PROC_SLOTS		8192	/* a power of two */
#define LS_PROC_PROBES		4
#define LS_PROC_GONE		0xffffffffu
#define LS_MAX_PROCS		4096
#define LS_JOIN_COMMS		8	/* the agent's --comm names at most */
#define LS_PROC_CMDLINE_MAX	256

enum ls_proc_event {
	LS_PROC_FORK = 1,	/* kernel: pid was forked by ppid, a traced process */
	LS_PROC_EXEC = 2,	/* kernel: pid ran a new program (comm is its name) */
	LS_PROC_EXIT = 3,	/* kernel: the last thread of pid exited */
	LS_PROC_JOIN = 4,	/* kernel: pid entered the set by its cgroup (--cgroup) */
	LS_PROC_INFO = 5,	/* user space: what /proc says of pid (ppid, comm, command line) */
};

struct ls_rec_proc {
	__u32 type;		/* LS_REC_PROC */
	__u32 event;		/* enum ls_proc_event */
	__u32 pid;		/* tgid */
	__u32 ppid;		/* 0 = unknown */
	__u64 ts;		/* CLOCK_BOOTTIME ns */
	char comm[LS_COMM_LEN];
	__u32 cmdline_len;	/* LS_PROC_INFO only: bytes of cmdline used (arguments split by spaces) */
	__u32 __pad;
	char cmdline[LS_PROC_CMDLINE_MAX];	/* not NUL-terminated; the target's bytes, untrusted */
};

struct ls_rec_thread {
	__u32 type;		/* LS_REC_THREAD or LS_REC_THREAD_EXIT */
	__u32 pid;
	__u32 tid;
	__u32 __pad;
	__u64 ts;		/* CLOCK_BOOTTIME ns */
	char comm[LS_COMM_LEN];
};

/*
 * Value of the per-thread inflight map (task-local storage): the call the
 * thread is in, if active. User space looks each live thread of the target
 * up by pidfd at stop to report calls still open.
 */
struct ls_inflight {
	__u64 ts;		/* CLOCK_BOOTTIME ns at entry */
	__s64 arg;
	__s32 fd;
	__u32 sys;
	__u32 fd_kind;
	__u32 active;
	__u64 ino;		/* as in ls_rec_syscall */
	__u32 dev;
	__u32 waited;		/* the thread has been in a poll wait: a loop thread, for file stacks */
	__u64 stack_ino;	/* the file of the thread's last file-call stack, and when */
	__u64 stack_ts;
};

/*
 * Counters of everything the kernel side could not deliver. Lives in .bss;
 * user space reads it live and at the end. Every drop path bumps one.
 */
struct ls_stats {
	__u64 rb_drops;		/* ring buffer full: a record was lost */
	__u64 inflight_full;	/* a per-thread map full: a call, off-CPU period or total lost */
	__u64 missed_exit;	/* an entry replaced a call whose exit was never seen */
	__u64 uv_unpaired;	/* a uprobe return without its entry (attached mid-call) */
	__u64 stack_errors;	/* bpf_get_stackid failed (map full, collision) */
	__u64 ustack_copies;	/* LS_REC_USTACK records sent */
	__u64 ustack_capped;	/* user stacks not copied: over ustack_bytes_per_sec, ring past a quarter full, or another copy on the CPU */
	__u64 ustack_errors;	/* user stacks not copied: sp unmapped or unreadable */
	__u64 procs_full;	/* processes not followed: the cap reached, or their slots taken */
	__u64 procs_followed;	/* processes the kernel added to the set (forks, cgroup joins) */
	__u64 samples_shed;	/* stack samples skipped to keep the agent in its CPU budget */
};

/* Off-CPU periods shorter than this are not reported by default (context-switch noise). */
#define LS_OFFCPU_MIN_NS	1000000

/* Sizes of the BPF maps; user space may override before load. */
#define LS_RINGBUF_BYTES	(8u << 20)
#define LS_MAX_THREADS		16384
/* Bytes of user stack copied per second per CPU, at most (CFI unwinding). */
#define LS_USTACK_BYTES_PER_SEC	(8u << 20)
/* CPUs with a stack-copy buffer; one on a higher CPU sends no copy (counted) */
#define LS_MAX_COPY_CPUS	1024

#endif /* LOOPSCOPE_ABI_H */
