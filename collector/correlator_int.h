/* SPDX-License-Identifier: BSD-2-Clause */
/* Internals shared by correlator.c (threads, loops) and uv_correlate.c (libuv). */
#ifndef LS_CORRELATOR_INT_H
#define LS_CORRELATOR_INT_H

#include "correlator.h"
#include "linear_probe.h"

#define LS_MAX_PHASES_PER_ITER	32
#define LS_MAX_ITER_STACKS	64	/* distinct stacks counted per iteration */
#define LS_MAX_ITER_OFFCPU	16	/* off-CPU periods kept per iteration */
#define LS_STACK_IDS		16384	/* the BPF stack map's size */

struct offcpu_period {
	uint64_t ts;
	uint64_t end;
	int32_t user;
	int32_t kern;
	uint32_t waker_tid;
	char waker_comm[LS_COMM_LEN];
};

struct thread_state {
	struct ls_thread info;
	uint64_t last_end;		/* end of the previous call: order check */
	uint64_t last_poll_exit;	/* 0 until the first epoll return */
	uint64_t seq;			/* iterations completed */
	uint32_t ncalls;		/* in the current iteration's busy part */
	uint32_t nfile_io;
	struct ls_loop_summary *loop;	/* allocated at the first epoll return */
	bool loop_listed;		/* one of the first LS_KEEP_LOOPS loops: never folded */
	bool is_worker;			/* ran thread-pool work */
	uint64_t poll_entry;		/* uv__io_poll entered, not yet returned */
	uint32_t nphases;		/* phases of the current iteration so far */
	struct ls_phase_span phases[LS_MAX_PHASES_PER_ITER];
	uint32_t nsamples;		/* on-CPU samples of the current iteration */
	uint32_t nagg;
	struct ls_stall_stack agg[LS_MAX_ITER_STACKS];
	uint32_t noff;
	struct offcpu_period off[LS_MAX_ITER_OFFCPU];
	int32_t hwm;			/* index in summary.hwm, -1 = none yet */
};

struct work_slot;

struct correlator {
	struct correlator_opts opts;
	struct ls_summary summary;
	struct thread_state **slots;	/* open addressing, keyed by tid */
	size_t nslots;
	size_t nthreads;
	size_t loops_cap;
	struct ls_loop_summary *exited_loops;	/* the folded entry, once there is one */
	uint32_t loops_seen;		/* loop threads ever, the folded ones included */
	struct work_slot *work;		/* open addressing, keyed by uv__work pointer */
	size_t work_slots;
	size_t nwork;
	uint64_t next_work_id;
	int32_t queued;			/* items submitted, not yet picked up */
	int32_t running;		/* items picked up, not yet run to the end */
	struct ls_stack **stacks;	/* by stack id, LS_STACK_IDS entries */
};

struct thread_state *find_thread(const struct correlator *c, uint32_t tid);
struct thread_state *new_thread(struct correlator *c, uint32_t pid, uint32_t tid);
void notify_thread(struct correlator *c, const struct thread_state *t);

int uvc_phase_rec(struct correlator *c, const struct ls_rec_uv_phase *r);
int uvc_work_rec(struct correlator *c, const struct ls_rec_uv_work *r);
/* Completes the phases of it (adds the inferred ones) and reports them. */
void uvc_end_iteration(struct correlator *c, struct thread_state *t, const struct ls_iteration *it);
void uvc_free(struct correlator *c);

int stc_stack_rec(struct correlator *c, const struct ls_rec_stack *r);
int stc_sample_rec(struct correlator *c, const struct ls_rec_sample *r);
int stc_offcpu_rec(struct correlator *c, const struct ls_rec_offcpu *r);
int stc_overflow_rec(struct correlator *c, const struct ls_rec_overflow *r);
/* Fills it's sample and off-CPU fields from what the thread gathered. */
void stc_end_iteration(struct correlator *c, struct thread_state *t, struct ls_iteration *it);
/* The commonest stacks of the iteration just ended, into a stall. */
void stc_fill_stall(const struct thread_state *t, struct ls_stall *s);
void stc_reset_iteration(struct thread_state *t);
void stc_free(struct correlator *c);

#endif
