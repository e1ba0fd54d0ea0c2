/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The floor of loopscope's design, for `make bench` (issue 21): the same two
 * tp_btf hooks (sys_enter, sys_exit), which run for every syscall of every
 * process on the host, the tgid filter first, then one per-CPU counter. Any
 * per-call cost loopscope adds above what this costs is its own work; the
 * bench reports loopscope as a multiple of it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 targ_tgid;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline int count_hit(void)
{
	__u32 key = 0;
	__u64 *n;

	if ((__u32)(bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return 0;
	n = bpf_map_lookup_elem(&hits, &key);
	if (n)
		*n += 1;	/* per-CPU: no atomic needed */
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_sys_enter, struct pt_regs *regs, long id)
{
	return count_hit();
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_sys_exit, struct pt_regs *regs, long ret)
{
	return count_hit();
}
