/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the probe families share. syscalls.bpf.c defines these objects;
 * the other families see them as externs, and `bpftool gen object` links
 * them into one object, so every record goes through one ring buffer and
 * keeps its per-thread order.
 */
#ifndef LS_COMMON_BPF_H
#define LS_COMMON_BPF_H

extern const volatile __u32 targ_tgid;
extern const volatile __u32 follow_procs;
extern const volatile __u32 follow_children;
extern const volatile __u64 targ_cgroup;
extern const volatile __u32 targ_cgroup_level;
extern const volatile __u64 wakeup_bytes;
extern struct ls_stats stats;
extern __u32 sample_shed_shift;

struct ls_events_map {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, LS_RINGBUF_BYTES);
};
extern struct ls_events_map events SEC(".maps");

/* The traced set beyond targ_tgid (loopscope.h: LS_PROC_SLOTS). */
struct ls_procs_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);	/* user space adds its own finds by compare-and-swap too */
	__uint(max_entries, LS_PROC_SLOTS);
	__type(key, __u32);
	__type(value, __u64);	/* a tgid; 8 bytes, as the mmap'ed array lays out its values */
};
extern struct ls_procs_map procs SEC(".maps");

/*
 * Flags for submitting a reserved record of len bytes (already counted in
 * AVAIL_DATA). Wake the consumer only when this record takes the queue
 * across wakeup_bytes, not on every record above it: while the consumer
 * lags, a forced wakeup per record is one irq_work self-interrupt per record
 * on the traced thread (a VM exit on KVM), measured at +1.1 us per traced
 * read in bench/. A crossing lost to a race with another CPU is covered by
 * the consumer's 100 ms poll.
 */
static __always_inline __u64 rb_flags(__u64 len)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	len = ((len + 7) & ~7ull) + 8;	/* the kernel's 8-byte header, 8-byte rounding */
	return avail >= wakeup_bytes && avail - len < wakeup_bytes ?
		BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/*
 * Whether tgid is traced. The first target is a constant compare; the rest
 * of the set is an array lookup the verifier inlines, and a bystander
 * stops at the first empty slot (one load while the set is sparse).
 */
static __always_inline int is_target(__u32 tgid)
{
	__u32 i, idx;
	__u64 *v;

	if (tgid == targ_tgid)
		return 1;
	if (!follow_procs)
		return 0;
	for (i = 0; i < LS_PROC_PROBES; i++) {
		idx = (tgid + i) & (LS_PROC_SLOTS - 1);
		v = bpf_map_lookup_elem(&procs, &idx);
		if (!v || !*v)
			return 0;
		if (*v == tgid)
			return 1;
	}
	return 0;
}

/* The current thread's tid if it belongs to a traced process, else 0. */
static __always_inline __u32 target_tid(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	return is_target((__u32)(pid_tgid >> 32)) ? (__u32)pid_tgid : 0;
}

/* The current thread's process (tgid). */
static __always_inline __u32 current_tgid(void)
{
	return (__u32)(bpf_get_current_pid_tgid() >> 32);
}

#endif
