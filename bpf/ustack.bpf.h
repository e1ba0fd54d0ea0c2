/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * User stacks, for the families that take them: stacks.bpf.c (samples,
 * off-CPU periods, overflows) and syscalls.bpf.c (a blocking file call's
 * stack), which defines the maps and constants (see there why). A
 * stack is walked here by frame pointers (the stack map), or, for CFI
 * unwinding in user space, copied as an LS_REC_USTACK record that the
 * record naming it (user_stack == LS_STACK_DUMPED) follows.
 */
#ifndef LS_USTACK_BPF_H
#define LS_USTACK_BPF_H

/* 1: user stacks are copied for CFI unwinding in user space, not walked here */
extern const volatile __u32 unwind_user;
extern const volatile __u64 ustack_bytes_per_sec;

struct ls_stacks_map {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, LS_MAX_STACK_IDS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, LS_MAX_STACK_DEPTH * sizeof(__u64));
};
extern struct ls_stacks_map stacks SEC(".maps");
#define PAGE_BYTES	4096

/*
 * One copy in flight per CPU: too large for the BPF stack, and for a
 * per-CPU array too (32 KiB a value at most), so an array indexed by CPU.
 * Copies are made from the perf-event sample (a hard interrupt), from
 * sched_switch (interrupts off) and at the exit of a file read or write
 * (interruptible, and preemptible where syscall tracepoints are): busy
 * keeps a second copy on the CPU out of the buffer, which then goes
 * without one (counted as capped).
 */
struct ustack_buf {
	struct ls_rec_ustack h;
	__u8 data[LS_MAX_STACK_COPY + PAGE_BYTES];	/* the slack: each page read is bounded alone */
	__u32 busy;
};

struct ls_ustack_scratch_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LS_MAX_COPY_CPUS);
	__type(key, __u32);
	__type(value, struct ustack_buf);
};
extern struct ls_ustack_scratch_map ustack_scratch SEC(".maps");

struct ustack_budget {
	__u64 window;	/* start of the current second */
	__u64 bytes;	/* copied in it */
};

struct ls_ustack_budget_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ustack_budget);
};
extern struct ls_ustack_budget_map ustack_budget SEC(".maps");

static __always_inline __s32 stack_id(void *ctx, __u64 flags)
{
	long id = bpf_get_stackid(ctx, &stacks, flags);

	if (id < 0 && id != -14 /* -EFAULT: no user stack (kernel thread context) */)
		__sync_fetch_and_add(&stats.stack_errors, 1);
	return id < 0 ? -1 : (__s32)id;
}

struct vma_bounds {
	__u64 start;
	__u64 end;
};

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_bounds *b = data;

	b->start = BPF_CORE_READ(vma, vm_start);
	b->end = BPF_CORE_READ(vma, vm_end);
	return 0;
}

/* Per-CPU budget of copied bytes per second; per CPU, so no atomics. */
static __always_inline bool ustack_budget_take(__u64 now, __u64 len)
{
	__u32 zero = 0;
	struct ustack_budget *b = bpf_map_lookup_elem(&ustack_budget, &zero);

	if (!b)
		return false;
	if (now - b->window >= 1000000000ull) {
		b->window = now;
		b->bytes = 0;
	}
	if (b->bytes + len > ustack_bytes_per_sec)
		return false;
	b->bytes += len;
	return true;
}

/*
 * sp up to len bytes, a page at a time, up to the first page that cannot be
 * read without a fault: the kernel leaves up to 8 KiB below a new process's
 * arguments untouched (stack randomization), so the top of a main thread's
 * stack mapping may not be there at all, and a failed read returns nothing.
 * Frames are all below such a page. Returns the bytes read.
 */
static __always_inline __u64 read_stack_pages(__u8 *dst, __u64 sp, __u64 len)
{
	__u64 off = 0, chunk;
	int i;

#pragma unroll
	for (i = 0; i < LS_MAX_STACK_COPY / PAGE_BYTES + 1; i++) {
		if (off >= len || off >= LS_MAX_STACK_COPY)
			break;
		chunk = PAGE_BYTES - ((sp + off) & (PAGE_BYTES - 1));
		if (chunk > len - off)
			chunk = len - off;
		if (chunk > PAGE_BYTES)
			break;
		if (bpf_probe_read_user(dst + off, chunk, (void *)(sp + off)))
			break;
		off += chunk;
	}
	return off;
}

#if defined(__TARGET_ARCH_x86)
static __always_inline void dwarf_regs(__u64 *d, const struct pt_regs *r)
{
	d[0] = r->ax; d[1] = r->dx; d[2] = r->cx; d[3] = r->bx;
	d[4] = r->si; d[5] = r->di; d[6] = r->bp; d[7] = r->sp;
	d[8] = r->r8; d[9] = r->r9; d[10] = r->r10; d[11] = r->r11;
	d[12] = r->r12; d[13] = r->r13; d[14] = r->r14; d[15] = r->r15;
	d[16] = r->ip;
}

/*
 * The current thread's user registers and the used part of its stack (sp
 * up to the end of the mapping sp is in, at most LS_MAX_STACK_COPY), as an
 * LS_REC_USTACK record. Returns LS_STACK_DUMPED, or -1 (counted) when no
 * copy was sent. b, when set, is the mapping sp is in.
 */
static __always_inline __s32 copy_user_stack(struct task_struct *task, __u32 tid, __u64 now,
					     const struct pt_regs *regs, struct vma_bounds *b)
{
	struct ustack_buf *buf;
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 sp = regs->sp, len;
	long err;

	if (!b->end && sp)
		bpf_find_vma(task, sp, vma_cb, b, 0);
	/*
	 * No mapping found (bpf_find_vma is -EBUSY while an earlier lookup's
	 * unlock is pending on this CPU, with interrupts off): the copy still
	 * stops at the first page it cannot read.
	 */
	if (!sp || (b->end && (b->end <= sp || b->start > sp))) {
		__sync_fetch_and_add(&stats.ustack_errors, 1);
		return -1;
	}
	len = b->end ? b->end - sp : LS_MAX_STACK_COPY;
	if (len > LS_MAX_STACK_COPY)
		len = LS_MAX_STACK_COPY;
	buf = bpf_map_lookup_elem(&ustack_scratch, &cpu);
	if (!buf) {
		__sync_fetch_and_add(&stats.ustack_errors, 1);
		return -1;
	}
	/*
	 * Copies share the ring with everything else: past a quarter full they
	 * wait, so a flood of them never costs the loop's own records.
	 */
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > LS_RINGBUF_BYTES / 4 ||
	    __sync_val_compare_and_swap(&buf->busy, 0, 1) != 0) {
		__sync_fetch_and_add(&stats.ustack_capped, 1);
		return -1;
	}
	if (!ustack_budget_take(now, len)) {
		buf->busy = 0;
		__sync_fetch_and_add(&stats.ustack_capped, 1);
		return -1;
	}
	len = read_stack_pages(buf->data, sp, len);
	if (!len) {
		buf->busy = 0;
		__sync_fetch_and_add(&stats.ustack_errors, 1);
		return -1;
	}
	buf->h.type = LS_REC_USTACK;
	buf->h.tid = tid;
	buf->h.ts = now;
	dwarf_regs(buf->h.regs, regs);
	buf->h.stack_end = b->end ? b->end : sp + len;
	buf->h.size = (__u32)len;
	buf->h.pad = 0;
	err = bpf_ringbuf_output(&events, buf, sizeof(buf->h) + len, rb_flags(sizeof(buf->h) + len));
	buf->busy = 0;
	if (err) {
		__sync_fetch_and_add(&stats.rb_drops, 1);
		return -1;
	}
	__sync_fetch_and_add(&stats.ustack_copies, 1);
	return LS_STACK_DUMPED;
}
#else
static __always_inline __s32 copy_user_stack(struct task_struct *task, __u32 tid, __u64 now,
					     const struct pt_regs *regs, struct vma_bounds *b)
{
	return -1;	/* CFI unwinding is x86-64 only: user space never asks for it elsewhere */
}
#endif

#endif
