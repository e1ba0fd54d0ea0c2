/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * collector/unwind.c on this very process: a leaf three calls deep copies
 * its own registers and stack as the BPF program does, and the unwinder
 * must find its callers, in order, from .eh_frame alone; a copy cut short
 * or a stack pointer in no mapping ends the stack without a guessed frame.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "../harness.h"
#include "collector/proc_maps.h"
#include "collector/stack_ids.h"
#include "collector/unwind.h"

#if defined(__x86_64__)
#define COPY	8192

struct dump {
	struct ls_rec_ustack h;
	uint8_t data[COPY];
};

static struct dump captured;

/* The registers the CFI may need (sp, ip, and the callee-saved ones) and the stack above sp. */
/* Reads other frames' bytes, as the kernel does: not for ASan's redzone checks. */
__attribute__((noinline, no_sanitize_address)) static void capture(void)
{
	const volatile uint8_t *src;
	uint32_t i;

	__u64 *r = captured.h.regs;

	__asm__ volatile("movq %%rbx, 24(%0)\n\tmovq %%rbp, 48(%0)\n\tmovq %%rsp, 56(%0)\n\t"
			 "movq %%r12, 96(%0)\n\tmovq %%r13, 104(%0)\n\tmovq %%r14, 112(%0)\n\t"
			 "movq %%r15, 120(%0)\n\tleaq 0(%%rip), %%rax\n\tmovq %%rax, 128(%0)"
			 : : "r"(r) : "rax", "memory");
	captured.h.type = LS_REC_USTACK;
	captured.h.tid = (uint32_t)gettid();
	/* now, before later calls overwrite the frames below the caller's */
	captured.h.size = (uint32_t)(captured.h.stack_end - r[7] < COPY ? captured.h.stack_end - r[7] : COPY);
	src = (const volatile uint8_t *)(uintptr_t)r[7];
	for (i = 0; i < captured.h.size; i++)
		captured.data[i] = src[i];
}

/* What the BPF side copies: sp up to the end of its mapping (found here), at most COPY. */
static void find_stack_end(void)
{
	struct ls_proc_maps pm;
	const struct ls_mapping *m;
	int here;

	ASSERT_EQ(ls_proc_maps_read(&pm, getpid()), 0);
	m = ls_proc_maps_find(&pm, (uint64_t)(uintptr_t)&here);
	ASSERT(m);
	captured.h.stack_end = m->end;
	ls_proc_maps_free(&pm);
}

static volatile int depth_sink;

__attribute__((noinline)) static void uw_mid(void)
{
	capture();
	depth_sink++;
}

__attribute__((noinline)) static void uw_top(void)
{
	uw_mid();
	depth_sink++;
}

/* A return address into fn: just past a call inside it. */
static bool returns_into(uint64_t ip, void (*fn)(void))
{
	return ip > (uint64_t)(uintptr_t)fn && ip < (uint64_t)(uintptr_t)fn + 128;
}

TEST(unwind_own_stack_from_cfi)
{
	struct unwinder *u = unwinder__new(getpid());
	uint64_t ips[LS_MAX_STACK_DEPTH];
	struct unwinder_stats st;
	unsigned n;

	ASSERT(u);
	find_stack_end();
	uw_top();
	n = unwinder__unwind(u, &captured.h, captured.data, ips, NULL, LS_MAX_STACK_DEPTH);
	ASSERT(n >= 3);
	ASSERT(ips[0] > (uint64_t)(uintptr_t)capture && ips[0] < (uint64_t)(uintptr_t)capture + 256);
	ASSERT(returns_into(ips[1], uw_mid));
	ASSERT(returns_into(ips[2], uw_top));
	/* a copy cut short: the walk ends inside it, nothing read past it */
	captured.h.size = 16;
	ASSERT(unwinder__unwind(u, &captured.h, captured.data, ips, NULL, LS_MAX_STACK_DEPTH) < n);
	unwinder__stats(u, &st);
	ASSERT_U64_EQ(st.at_copy_end, 1);
	/* max is honoured */
	uw_top();
	ASSERT_EQ(unwinder__unwind(u, &captured.h, captured.data, ips, NULL, 2), 2);
	unwinder__free(u);
}

TEST(unwind_garbage_gives_no_frame)
{
	struct unwinder *u = unwinder__new(getpid());
	uint64_t ips[LS_MAX_STACK_DEPTH];
	struct dump d = { .h = { .type = LS_REC_USTACK, .size = 64 } };

	ASSERT(u);
	d.h.tid = (uint32_t)gettid();
	d.h.regs[16] = 0x10;		/* ip in no mapping */
	d.h.regs[7] = 0x1000;
	ASSERT_EQ(unwinder__unwind(u, &d.h, d.data, ips, NULL, LS_MAX_STACK_DEPTH), 0);
	/* a real ip, a stack of garbage: the leaf only, no invented caller */
	d.h.regs[16] = (uint64_t)(uintptr_t)uw_mid + 4;
	memset(d.data, 0x41, sizeof(d.data));
	ASSERT(unwinder__unwind(u, &d.h, d.data, ips, NULL, LS_MAX_STACK_DEPTH) <= 1);
	unwinder__free(u);
}
#endif

TEST(stack_ids_share_and_run_out)
{
	struct stack_ids s;
	uint64_t a[2] = { 1, 2 }, b[2] = { 1, 3 };
	bool created;
	int32_t ia, ib;
	unsigned i;

	stack_ids__init(&s);
	ia = stack_ids__get(&s, a, 2, &created);
	ASSERT(created);
	ASSERT_EQ(ia, LS_MAX_STACK_IDS);
	ASSERT_EQ(stack_ids__get(&s, a, 2, &created), ia);
	ASSERT(!created);
	ib = stack_ids__get(&s, b, 2, &created);
	ASSERT(created && ib == ia + 1);
	ASSERT_EQ(stack_ids__get(&s, a, 1, &created), ia + 2);	/* a prefix is another stack */
	for (i = 3; i < LS_MAX_UNWOUND_STACKS; i++) {
		uint64_t c[1] = { 1000 + i };

		ASSERT(stack_ids__get(&s, c, 1, &created) >= 0);
	}
	ASSERT_EQ(stack_ids__get(&s, (uint64_t[]){ 7, 7 }, 2, &created), -ENOSPC);
	ASSERT_EQ(stack_ids__get(&s, b, 2, &created), ib);	/* the old ones stay */
	stack_ids__free(&s);
}
