/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What correlator.c (threads, loops, iterations, calls) shares with its two
 * sub-correlators, uv_correlate.c and uv_pool.c (libuv phases, thread pool: uvc_) and
 * stack_correlate.c (samples, off-CPU, overflows: stc_). correlator.c owns
 * the threads and calls the sub-correlators' hooks; each sub-correlator
 * owns its per-run state (struct correlator's uv, stc) and its per-thread
 * state (struct thread_state's uv, stc), allocated for the runs and the
 * threads that need it, freed by its own *_free hooks.
 */
#ifndef LS_CORRELATOR_INT_H
#define LS_CORRELATOR_INT_H

#include "correlator.h"
#include "table.h"

struct uvc_run;
struct uvc_thread;
struct stc_run;
struct stc_thread;
struct prc_run;
struct fdp_run;
struct uvn_run;

struct thread_state {
	struct ls_thread info;
	uint64_t last_end;		/* end of the previous call: order check */
	uint64_t last_poll_exit;	/* 0 until the first epoll return */
	uint64_t seq;			/* iterations completed */
	uint32_t ncalls;		/* in the current iteration's busy part */
	uint32_t nfile_io;
	struct ls_loop_summary *loop;	/* allocated at the first epoll return */
	bool loop_listed;		/* one of the first LS_KEEP_LOOPS loops: never folded */
	bool is_worker;			/* ran thread-pool work (uv_pool.c sets it) */
	struct uvc_thread *uv;		/* phases: a thread that reported one */
	struct stc_thread *stc;		/* samples, off-CPU: a thread that had one */
};

struct correlator {
	struct correlator_opts opts;
	struct ls_summary summary;
	struct ls_table threads;	/* struct thread_state *, by tid */
	size_t loops_cap;
	struct ls_loop_summary *exited_loops;	/* the folded entry, once there is one */
	uint32_t loops_seen;		/* loop threads ever, the folded ones included */
	struct uvc_run *uv;
	struct stc_run *stc;
	struct prc_run *procs;		/* procs_model.c */
	struct fdp_run *fdp;		/* fd_paths_model.c */
	struct uvn_run *uvn;		/* uv_work_names.c */
};

/* The thread of tid, created (and reported to the sink) when first seen. NULL: ENOMEM. */
struct thread_state *corr_get_thread(struct correlator *c, uint32_t pid, uint32_t tid);
/* The iteration in progress on t (1-based), 0 before its first epoll return. */
static inline uint64_t corr_iter_of(const struct thread_state *t)
{
	return t->last_poll_exit ? t->seq + 1 : 0;
}

/* Record handlers: rec is the record, copied to be aligned, its length checked. */
int uvc_phase_rec(struct correlator *c, const void *rec);
int uvc_work_rec(struct correlator *c, const void *rec);
/* Completes the phases of it (adds the inferred ones) and reports them. */
void uvc_end_iteration(struct correlator *c, struct thread_state *t, const struct ls_iteration *it);
/* End of input: reports thread-pool items that never completed. */
void uvc_finish(struct correlator *c);
void uvc_free_thread(struct thread_state *t);
void uvc_free(struct correlator *c);

/* LS_REC_WORK_NAME (uv_work_names.c). */
int uvn_name_rec(struct correlator *c, const void *rec);
/* The named entry of a submitted or picked-up item (an fs operation, its owner's class, else its function); -1: none. */
int32_t uvn_named_of(struct correlator *c, const struct ls_rec_uv_work *r, uint32_t kind);
void uvn_free(struct correlator *c);

int stc_stack_rec(struct correlator *c, const void *rec);
int stc_sample_rec(struct correlator *c, const void *rec);
int stc_offcpu_rec(struct correlator *c, const void *rec);
/* A call of t's busy part ended: the off-CPU periods inside it blocked in it. */
void stc_call_rec(const struct correlator *c, struct thread_state *t, const struct ls_rec_syscall *r);
int stc_overflow_rec(struct correlator *c, const void *rec);
/* The frames of a stack id, or NULL. */
const struct ls_stack *stc_stack(const struct correlator *c, int32_t id);
/* Fills it's sample and off-CPU fields from what the thread gathered. */
void stc_end_iteration(const struct correlator *c, struct thread_state *t, struct ls_iteration *it);
/* The commonest stacks of the iteration just ended, into a stall. */
void stc_fill_stall(const struct thread_state *t, struct ls_stall *s);
void stc_reset_iteration(struct thread_state *t);
void stc_free_thread(struct thread_state *t);
void stc_free(struct correlator *c);

/* procs_model.c: the traced processes */
int prc_proc_rec(struct correlator *c, const void *rec);
/* A thread of pid became a loop; comm: its main thread's name, if known. */
void prc_add_loop(struct correlator *c, uint32_t pid, uint64_t ts, const char *comm);
/* The main thread of pid (tid == pid) has a new name, and so has the process. */
void prc_leader_named(struct correlator *c, uint32_t pid, const char *comm);
/* Processes held: seen and not exited. */
size_t prc_live(const struct correlator *c);
void prc_free(struct correlator *c);

int fdp_path_rec(struct correlator *c, const void *rec);
/* The path of the call's file (pid, fd, ino, dev all match), or NULL; *perf_map: it is one. */
const struct ls_rec_fd_path *fdp_find(const struct correlator *c, const struct ls_rec_syscall *r,
				      bool *perf_map);
void fdp_free(struct correlator *c);

#endif
