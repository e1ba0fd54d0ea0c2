// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libuv family: uprobes on the loop's phase functions and on the thread
 * pool's work and done functions (../shared/probe-map.md lists them).
 * User space resolves the symbols and attaches each program several times;
 * the attach cookie says which phase or which kind of work it is.
 *
 * Cost: a uprobe is a trap (~1 us), a uretprobe ~2 us. Phases fire a few
 * times per loop iteration and pool probes a few times per work item, never
 * per callback, so they stay cheap under load.
 *
 * Pairing: entry timestamps are kept per tid. A phase function does not
 * nest in itself on one thread; a worker runs one item at a time; the loop
 * runs one done callback at a time. So one slot per tid and kind suffices.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "loopscope.h"
#include "common.bpf.h"

/* a power of two, so "phase & PHASE_SLOTS_MASK" is a bound the verifier can see */
#define PHASE_SLOTS 8
#define PHASE_SLOTS_MASK (PHASE_SLOTS - 1)
_Static_assert(LS_UV_PROBED <= PHASE_SLOTS, "phase slots");

struct phase_starts {
	__u64 ts[PHASE_SLOTS];
};

struct work_slot {
	__u64 work;
	__u64 ts;
	__u32 kind;
	__u32 __pad;
};

struct work_slots {
	struct work_slot run;	/* on a worker */
	struct work_slot done;	/* on the loop thread */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LS_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct phase_starts);
} phase_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LS_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct work_slots);
} work_start SEC(".maps");

/* Work function address in the target -> enum ls_work_kind; filled by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u32);
} work_kinds SEC(".maps");

static __always_inline void emit_phase(__u32 tid, __u32 phase, __u64 ts, __u64 end)
{
	struct ls_rec_uv_phase *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

	if (!r) {
		__sync_fetch_and_add(&stats.rb_drops, 1);
		return;
	}
	r->type = LS_REC_UV_PHASE;
	r->phase = phase;
	r->pid = current_tgid();
	r->tid = tid;
	r->ts = ts;
	r->end = end;
	bpf_ringbuf_submit(r, rb_flags(sizeof(*r)));
}

SEC("uprobe")
int BPF_KPROBE(ls_uv_phase_enter)
{
	__u32 tid = target_tid(), phase = (__u32)bpf_get_attach_cookie(ctx);
	struct phase_starts *s, zero = {};
	__u64 now = bpf_ktime_get_boot_ns();

	if (!tid || phase >= LS_UV_PROBED)
		return 0;
	s = bpf_map_lookup_elem(&phase_start, &tid);
	if (!s) {
		bpf_map_update_elem(&phase_start, &tid, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&phase_start, &tid);
		if (!s)
			return 0;
	}
	s->ts[phase & PHASE_SLOTS_MASK] = now;
	/* the poll phase contains the loop's wait: mark its start now */
	if (phase == LS_PHASE_POLL)
		emit_phase(tid, phase, now, 0);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(ls_uv_phase_exit)
{
	__u32 tid = target_tid(), phase = (__u32)bpf_get_attach_cookie(ctx);
	__u64 now = bpf_ktime_get_boot_ns(), start;
	struct phase_starts *s;

	if (!tid || phase >= LS_UV_PROBED)
		return 0;
	s = bpf_map_lookup_elem(&phase_start, &tid);
	phase &= PHASE_SLOTS_MASK;
	if (!s || !s->ts[phase]) {
		__sync_fetch_and_add(&stats.uv_unpaired, 1);
		return 0;
	}
	start = s->ts[phase];
	s->ts[phase] = 0;
	emit_phase(tid, phase, start, now);
	return 0;
}

/* What may name a submitted item's kind (ls_rec_uv_work.work_fn, owner); NULL: none. */
struct work_names {
	__u64 fn;
	__u64 owner[2];
	__u64 done_fn;
};

/* An fs item's operation, read from its uv_fs_t: uv_fs_type + 1, 0 unknown or unreadable. */
static __always_inline __u32 fs_detail(__u32 kind, __u64 w)
{
	int type = -1;

	if (kind != LS_WORK_FS || w < LS_UV_FS_TYPE_BACK ||
	    bpf_probe_read_user(&type, sizeof(type), (void *)(w - LS_UV_FS_TYPE_BACK)))
		return 0;
	return type >= 0 && type < LS_UV_FS_TYPE_MAX ? (__u32)type + 1 : 0;
}

/*
 * The work callbacks a process has queued: its first uv_queue_work with a
 * callback wakes user space, which probes that callback (cli/uvcallbacks.c)
 * before the items behind it are picked up, not at its next 100 ms poll
 * (node 18's 8 pbkdf2 were all running by then once: none seen).
 */
struct work_fn_key {
	__u64 fn;
	__u32 pid;
	__u32 __pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct work_fn_key);
	__type(value, __u8);
} work_fns_seen SEC(".maps");

static __always_inline bool first_of_callback(__u64 fn)
{
	struct work_fn_key key = { .fn = fn, .pid = current_tgid() };
	__u8 one = 1;

	if (!fn || bpf_map_lookup_elem(&work_fns_seen, &key))
		return false;
	bpf_map_update_elem(&work_fns_seen, &key, &one, BPF_ANY);
	return true;
}

static __always_inline void emit_work_named(__u32 tid, __u32 event, __u64 work, __u32 kind,
					    __u64 ts, __u64 end, const struct work_names *n)
{
	bool wake = event == LS_WORK_SUBMIT && n && n->done_fn && first_of_callback(n->fn);
	struct ls_rec_uv_work *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

	if (!r) {
		__sync_fetch_and_add(&stats.rb_drops, 1);
		return;
	}
	r->type = LS_REC_UV_WORK;
	r->event = event;
	r->pid = current_tgid();
	r->tid = tid;
	r->ts = ts;
	r->end = end;
	r->work = work;
	r->kind = kind;
	r->detail = event == LS_WORK_SUBMIT || event == LS_WORK_PICKUP ? fs_detail(kind, work) : 0;
	r->work_fn = n ? n->fn : 0;
	r->owner[0] = n ? n->owner[0] : 0;
	r->owner[1] = n ? n->owner[1] : 0;
	r->done_fn = n ? n->done_fn : 0;
	bpf_ringbuf_submit(r, wake ? BPF_RB_FORCE_WAKEUP : rb_flags(sizeof(*r)));
}

static __always_inline void emit_work(__u32 tid, __u32 event, __u64 work, __u32 kind,
				      __u64 ts, __u64 end)
{
	emit_work_named(tid, event, work, kind, ts, end, NULL);
}

/* uv__work_submit(loop, w, kind, work_fn, done_fn) */
SEC("uprobe")
int BPF_KPROBE(ls_uv_submit, void *loop, void *w, int pool_kind, void *work_fn)
{
	__u32 tid = target_tid(), *kind;
	__u64 fn = (__u64)work_fn;
	struct work_names n = { .fn = fn };

	if (!tid)
		return 0;
	kind = bpf_map_lookup_elem(&work_kinds, &fn);
	/* libuv's own kinds (fs, getaddrinfo...) are named by the map; another, by its function */
	emit_work_named(tid, LS_WORK_SUBMIT, (__u64)w, kind ? *kind : LS_WORK_OTHER,
			bpf_ktime_get_boot_ns(), 0, kind ? NULL : &n);
	return 0;
}

/* uv_queue_work(loop, req, work_cb, after_cb): its uv__work sits inside req */
SEC("uprobe")
int BPF_KPROBE(ls_uv_queue_work, void *loop, void *req, void *work_cb, void *after_cb)
{
	struct work_names n = { .fn = (__u64)work_cb, .done_fn = (__u64)after_cb };
	__u32 tid = target_tid();

	if (!tid || !req)
		return 0;
	/* unreadable (req at the start of a mapping): no owner, the function still names it */
	if (bpf_probe_read_user(n.owner, sizeof(n.owner), (char *)req - sizeof(n.owner)))
		n.owner[0] = n.owner[1] = 0;
	emit_work_named(tid, LS_WORK_SUBMIT, (__u64)req + LS_UV_WORK_REQ_OFFSET, LS_WORK_WORK,
			bpf_ktime_get_boot_ns(), 0, &n);
	return 0;
}

static __always_inline struct work_slots *slots_of(__u32 tid)
{
	struct work_slots *s = bpf_map_lookup_elem(&work_start, &tid), zero = {};

	if (s)
		return s;
	bpf_map_update_elem(&work_start, &tid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&work_start, &tid);
}

/* Entry of a work or done function: remember it in slot, then say so. */
static __always_inline int work_begin(void *ctx, void *w, bool done, __u32 event)
{
	__u32 tid = target_tid();
	struct work_slots *s;
	struct work_slot *slot;

	if (!tid || !(s = slots_of(tid)))
		return 0;
	slot = done ? &s->done : &s->run;
	slot->work = (__u64)w;
	slot->kind = (__u32)bpf_get_attach_cookie(ctx);
	slot->ts = bpf_ktime_get_boot_ns();
	emit_work(tid, event, (__u64)w, slot->kind, slot->ts, 0);
	return 0;
}

/* Return of a work or done function: the span since its entry. */
static __always_inline int work_end(bool done, __u32 event)
{
	__u32 tid = target_tid();
	__u64 now = bpf_ktime_get_boot_ns();
	struct work_slots *s;
	struct work_slot *slot;

	if (!tid)
		return 0;
	s = bpf_map_lookup_elem(&work_start, &tid);
	slot = s ? (done ? &s->done : &s->run) : NULL;
	if (!slot || !slot->ts) {
		__sync_fetch_and_add(&stats.uv_unpaired, 1);
		return 0;
	}
	emit_work(tid, event, slot->work, slot->kind, slot->ts, now);
	slot->ts = 0;
	return 0;
}

/* uv__fs_work(w), uv__queue_work(w), ...: a worker picked the item up */
SEC("uprobe")
int BPF_KPROBE(ls_uv_work_enter, void *w)
{
	return work_begin(ctx, w, false, LS_WORK_PICKUP);
}

SEC("uretprobe")
int BPF_KRETPROBE(ls_uv_work_exit)
{
	return work_end(false, LS_WORK_RUN);
}

/*
 * A stripped libuv (Debian's libuv.so.1) hides uv__queue_work and
 * uv__queue_done: the callbacks uv_queue_work was given are probed instead
 * (cli/uvcallbacks.c), work_cb(req) on a worker and after_work_cb(req,
 * status) on the loop; req's uv__work is the item. Their returns are
 * ls_uv_work_exit and ls_uv_done_exit.
 */
SEC("uprobe")
int BPF_KPROBE(ls_uv_req_work_enter, void *req)
{
	return req ? work_begin(ctx, (char *)req + LS_UV_WORK_REQ_OFFSET, false, LS_WORK_PICKUP) : 0;
}

SEC("uprobe")
int BPF_KPROBE(ls_uv_req_done_enter, void *req)
{
	return req ? work_begin(ctx, (char *)req + LS_UV_WORK_REQ_OFFSET, true, LS_WORK_DONE_BEGIN) : 0;
}

/* uv__fs_done(w, status), uv__queue_done(w, status), ...: back on the loop */
SEC("uprobe")
int BPF_KPROBE(ls_uv_done_enter, void *w)
{
	return work_begin(ctx, w, true, LS_WORK_DONE_BEGIN);
}

SEC("uretprobe")
int BPF_KRETPROBE(ls_uv_done_exit)
{
	return work_end(true, LS_WORK_DONE);
}
