/* SPDX-License-Identifier: BSD-2-Clause */
/* Internals shared by correlator.c (threads, loops) and uv_correlate.c (libuv). */
#ifndef LS_CORRELATOR_INT_H
#define LS_CORRELATOR_INT_H

#include "correlator.h"

#define LS_MAX_PHASES_PER_ITER	32

struct thread_state {
	struct ls_thread info;
	uint64_t last_end;		/* end of the previous call: order check */
	uint64_t last_poll_exit;	/* 0 until the first epoll return */
	uint64_t seq;			/* iterations completed */
	uint32_t ncalls;		/* in the current iteration's busy part */
	uint32_t nfile_io;
	struct ls_loop_summary *loop;	/* allocated at the first epoll return */
	bool is_worker;			/* ran thread-pool work */
	uint64_t poll_entry;		/* uv__io_poll entered, not yet returned */
	uint32_t nphases;		/* phases of the current iteration so far */
	struct ls_phase_span phases[LS_MAX_PHASES_PER_ITER];
};

struct work_slot;

struct correlator {
	struct correlator_opts opts;
	struct ls_summary summary;
	struct thread_state **slots;	/* open addressing, keyed by tid */
	size_t nslots;
	size_t nthreads;
	size_t loops_cap;
	struct work_slot *work;		/* open addressing, keyed by uv__work pointer */
	size_t work_slots;
	size_t nwork;
	uint64_t next_work_id;
	int32_t queued;			/* items submitted, not yet picked up */
	int32_t running;		/* items picked up, not yet run to the end */
};

struct thread_state *find_thread(const struct correlator *c, uint32_t tid);
struct thread_state *new_thread(struct correlator *c, uint32_t pid, uint32_t tid);
void notify_thread(struct correlator *c, const struct thread_state *t);

int uvc_phase_rec(struct correlator *c, const struct ls_rec_uv_phase *r);
int uvc_work_rec(struct correlator *c, const struct ls_rec_uv_work *r);
/* Completes the phases of it (adds the inferred ones) and reports them. */
void uvc_end_iteration(struct correlator *c, struct thread_state *t, const struct ls_iteration *it);
void uvc_free(struct correlator *c);

#endif
