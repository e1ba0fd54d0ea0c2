// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Stack family: on-CPU samples (a perf_event program on the CPU clock),
 * off-CPU periods of the target's threads (sched_switch/sched_waking), and
 * stack overflows (SIGSEGV at a stack's end via signal_generate; V8's
 * Isolate::StackOverflow via a uprobe user space attaches).
 *
 * Stacks go into a BPF stack map: identical stacks share one id, so a busy
 * loop sending the same stack a thousand times a second costs one id, and
 * records stay small. Depth is measured against the mapping that holds sp
 * (bpf_find_vma), which is the thread's stack.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "loopscope.h"
#include "common.bpf.h"
#include "ustack.bpf.h"
#include "syscall_nrs.h"

#define TASK_RUNNING	0
#define PF_EXITING	0x00000004	/* set in do_exit, before sched_process_exit */
#define SIGSEGV		11

/* Off-CPU periods shorter than this are not reported; user space sets it. */
const volatile __u64 offcpu_min_ns = LS_OFFCPU_MIN_NS;
/* unwind_user, ustack_bytes_per_sec and the stack maps: ustack.bpf.h */

struct off_start {
	__u64 ts;
	__s32 user_stack;
	__s32 kern_stack;
};

struct waker {
	__u32 tid;
	char comm[LS_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LS_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct off_start);
} offcpu_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LS_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct waker);
} wakers SEC(".maps");

/*
 * The stack mapping of an overflowing thread. sp may already be in the
 * PROT_NONE guard below a thread's stack, or below the main thread's
 * [stack]; the frame pointer still points into the stack proper, so look
 * that up. One lookup only: a second bpf_find_vma in the same program
 * returns -EBUSY while the first one's mmap unlock is pending.
 */
static __always_inline void overflow_stack(struct task_struct *task, __u64 sp, __u64 bp,
					   struct vma_bounds *b)
{
	bpf_find_vma(task, bp > sp && bp - sp < (1u << 20) ? bp : sp, vma_cb, b, 0);
}

static __always_inline __u64 user_sp(struct task_struct *task)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	return regs ? PT_REGS_SP_CORE(regs) : 0;
}

/* The user stack as the mode wants it: copied for user space, or walked here. */
static __always_inline __s32 user_stack(void *ctx, struct task_struct *task, __u32 tid, __u64 now,
					struct vma_bounds *b)
{
	struct pt_regs *regs_p = (struct pt_regs *)bpf_task_pt_regs(task);
	struct pt_regs regs;

	if (!unwind_user)
		return stack_id(ctx, BPF_F_USER_STACK);
	if (!regs_p || bpf_probe_read_kernel(&regs, sizeof(regs), regs_p)) {
		__sync_fetch_and_add(&stats.ustack_errors, 1);
		return -1;
	}
	return copy_user_stack(task, tid, now, &regs, b);
}

SEC("perf_event")
int ls_sample(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct vma_bounds b = {};
	struct ls_rec_sample *r;
	__u32 tid = target_tid();
	__u64 sp, now;
	__s32 ustack;

	/* an exiting thread is past its last record (LS_REC_THREAD_EXIT) */
	if (!tid || (BPF_CORE_READ(task, flags) & PF_EXITING))
		return 0;
	if (sample_shed_shift && (bpf_get_prandom_u32() & ((1u << (sample_shed_shift & 15)) - 1))) {
		__sync_fetch_and_add(&stats.samples_shed, 1);
		return 0;
	}
	sp = user_sp(task);
	if (sp)
		bpf_find_vma(task, sp, vma_cb, &b, 0);
	now = bpf_ktime_get_boot_ns();
	/* before the sample is reserved: the copy goes first on the ring */
	ustack = user_stack(ctx, task, tid, now, &b);
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&stats.rb_drops, 1);
		return 0;
	}
	r->type = LS_REC_SAMPLE;
	r->pid = current_tgid();
	r->tid = tid;
	r->cpu = bpf_get_smp_processor_id();
	r->ts = now;
	r->user_stack = ustack;
	r->kern_stack = stack_id(ctx, 0);
	r->stack_used = b.end > sp ? b.end - sp : 0;
	r->stack_size = b.end - b.start;
	bpf_ringbuf_submit(r, rb_flags(sizeof(*r)));
	return 0;
}

/*
 * sched_waking, not sched_wakeup: it runs in the waker before the wakee can
 * run anywhere, so switch_in() always finds it. sched_wakeup comes after the
 * enqueue, and another CPU could switch the wakee in first: the waker was
 * then missed, and its entry left for the thread's next off-CPU period.
 */
SEC("tp_btf/sched_waking")
int BPF_PROG(ls_wakeup, struct task_struct *p)
{
	struct waker w = {};
	__u32 tid;

	if (!is_target(BPF_CORE_READ(p, tgid)))
		return 0;
	tid = BPF_CORE_READ(p, pid);
	w.tid = (__u32)bpf_get_current_pid_tgid();
	bpf_get_current_comm(w.comm, sizeof(w.comm));
	bpf_map_update_elem(&wakers, &tid, &w, BPF_ANY);
	return 0;
}

static __always_inline void switch_in(struct task_struct *next)
{
	__u32 tid = BPF_CORE_READ(next, pid);
	struct off_start *s = bpf_map_lookup_elem(&offcpu_start, &tid);
	struct ls_rec_offcpu *r;
	struct waker *w;
	__u64 now;

	if (!s)
		return;
	now = bpf_ktime_get_boot_ns();
	if (now - s->ts < offcpu_min_ns)
		goto out;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&stats.rb_drops, 1);
		goto out;
	}
	w = bpf_map_lookup_elem(&wakers, &tid);
	r->type = LS_REC_OFFCPU;
	r->pid = BPF_CORE_READ(next, tgid);	/* current is still the thread switched out */
	r->tid = tid;
	r->waker_tid = w ? w->tid : 0;
	r->ts = s->ts;
	r->end = now;
	r->user_stack = s->user_stack;
	r->kern_stack = s->kern_stack;
	if (w)
		__builtin_memcpy(r->waker_comm, w->comm, sizeof(r->waker_comm));
	else
		r->waker_comm[0] = 0;
	bpf_ringbuf_submit(r, rb_flags(sizeof(*r)));
out:
	bpf_map_delete_elem(&offcpu_start, &tid);
	bpf_map_delete_elem(&wakers, &tid);
}

/*
 * Blocked in the loop's own wait (epoll): that is the poll phase, not a
 * stall, and the commonest switch of a loop thread: no stack copy for it.
 */
static __always_inline bool in_loop_wait(struct task_struct *task)
{
	struct pt_regs *regs;
	long nr;

	if (!unwind_user)
		return false;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs)
		return false;
#if defined(__TARGET_ARCH_x86)
	nr = (long)BPF_CORE_READ(regs, orig_ax);
#else
	nr = -1;
#endif
	return nr == LS_NR_epoll_wait || nr == LS_NR_epoll_pwait || nr == LS_NR_epoll_pwait2;
}

/* Runs in prev's context, so stacks taken here are the blocked thread's. */
SEC("tp_btf/sched_switch")
int BPF_PROG(ls_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct off_start s;
	__u32 tid;

	/*
	 * Not for an exiting thread: its last switch has no switch-in to end
	 * it, so its entry would stay, and a few thousand dead threads would
	 * fill the map and end off-CPU stacks for the living. (Nor any record
	 * after its LS_REC_THREAD_EXIT.)
	 */
	if (is_target(BPF_CORE_READ(prev, tgid)) &&
	    BPF_CORE_READ(prev, __state) != TASK_RUNNING &&
	    !(BPF_CORE_READ(prev, flags) & PF_EXITING)) {
		struct vma_bounds b = {};

		tid = BPF_CORE_READ(prev, pid);
		s.ts = bpf_ktime_get_boot_ns();
		s.user_stack = in_loop_wait(prev) ? -1 : user_stack(ctx, prev, tid, s.ts, &b);
		s.kern_stack = stack_id(ctx, 0);
		if (bpf_map_update_elem(&offcpu_start, &tid, &s, BPF_ANY))
			__sync_fetch_and_add(&stats.inflight_full, 1);
	}
	if (is_target(BPF_CORE_READ(next, tgid)))
		switch_in(next);
	return 0;
}

struct fp_walk {
	__u64 fp;
	__u64 lo;
	__u64 hi;
	__u32 frames;
};

/* One step up the frame-pointer chain; stops when it leaves the stack. */
static long fp_step(__u32 i, void *data)
{
	struct fp_walk *w = data;
	__u64 next = 0;

	if (w->fp < w->lo || w->fp + 16 > w->hi || bpf_probe_read_user(&next, sizeof(next), (void *)w->fp))
		return 1;
	w->frames++;
	if (next <= w->fp)
		return 1;
	w->fp = next;
	return 0;
}

/*
 * uregs: the user registers where a copy of the stack can be made (V8's
 * StackOverflow runs well before the guard page, so sp is in the stack):
 * under --call-graph dwarf it is unwound like a sample's, and V8's frames
 * are named from it. NULL (a fault): the frame-pointer walk only.
 */
static __always_inline void emit_overflow(void *ctx, __u32 kind, __u64 fault_addr,
					  const struct pt_regs *uregs)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct vma_bounds b = {};
	struct fp_walk w = {};
	struct ls_rec_overflow *r;
	__u64 sp = regs ? PT_REGS_SP_CORE(regs) : 0, now = bpf_ktime_get_boot_ns();
	__s32 ustack = -1;

	if (sp)
		overflow_stack(task, sp, regs ? PT_REGS_FP_CORE(regs) : 0, &b);
	if (regs && b.end) {
		w.fp = PT_REGS_FP_CORE(regs);
		w.lo = sp < b.start ? b.start : sp;
		w.hi = b.end;
		bpf_loop(LS_MAX_FP_WALK, fp_step, &w, 0);
	}
	/*
	 * The copy right before its record: a sample of this thread can run
	 * while this program walks (0.4 ms for 11,000 frames), and its copy
	 * would come between ours and our record, taking our record's place.
	 */
	if (uregs && unwind_user)
		ustack = copy_user_stack(task, (__u32)bpf_get_current_pid_tgid(), now, uregs, &b);
	if (ustack != LS_STACK_DUMPED)
		ustack = stack_id(ctx, BPF_F_USER_STACK);
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&stats.rb_drops, 1);
		return;
	}
	r->type = LS_REC_OVERFLOW;
	r->kind = kind;
	r->pid = current_tgid();
	r->tid = (__u32)bpf_get_current_pid_tgid();
	r->ts = now;
	r->fault_addr = fault_addr;
	r->sp = sp;
	r->stack_start = b.start;
	r->stack_end = b.end;
	r->frames = w.frames;
	r->user_stack = ustack;
	/* the process is about to die: wake user space now */
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
}

/* A fault's signal is generated in the faulting thread: current is the victim. */
SEC("tp_btf/signal_generate")
int BPF_PROG(ls_signal, int sig, struct kernel_siginfo *info, struct task_struct *task)
{
	if (sig != SIGSEGV || !is_target(BPF_CORE_READ(task, tgid)) ||
	    task != bpf_get_current_task_btf())
		return 0;
	emit_overflow(ctx, LS_OVERFLOW_SEGV, (__u64)BPF_CORE_READ(info, _sifields._sigfault._addr), NULL);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(ls_v8_overflow)
{
	if (!target_tid())
		return 0;
	emit_overflow(ctx, LS_OVERFLOW_V8, 0, ctx);
	return 0;
}
