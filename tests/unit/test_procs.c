/* SPDX-License-Identifier: BSD-2-Clause */
/* The process model (collector/procs_model.c) on synthetic record streams. */
#include <errno.h>
#include "../harness.h"
#include "collector/correlator.h"
#include "collector/record.h"
#include "procs_stream.h"

struct seen_procs {
	int reports, exits;
	struct ls_process last;
};

static void on_process(void *ctx, const struct ls_process *p)
{
	struct seen_procs *s = ctx;

	s->reports++;
	s->exits += p->exited;
	s->last = *p;
}

static struct correlator *new_corr(struct seen_procs *s)
{
	struct correlator_opts o = { .stall_threshold_ns = 50 * PS_MS,
				     .sink = { .ctx = s, .on_process = on_process } };
	struct correlator *c;

	memset(s, 0, sizeof(*s));
	c = correlator__new(&o);
	ASSERT(c);
	return c;
}

TEST(procs_two_processes_with_loops)
{
	struct seen_procs s;
	struct correlator *c = new_corr(&s);
	const struct ls_summary *sum;
	const struct ls_process *p;

	ps_two_processes(c);
	sum = correlator__summary(c);
	ASSERT_EQ(sum->nloops, 3);
	ASSERT_EQ(sum->nprocs, 2);
	ASSERT_EQ(ls_summary_loop_pids(sum), 2);
	p = ls_summary_proc(sum, PS_PID_A);
	ASSERT(p);
	ASSERT_STR_EQ(p->comm, "nginx");
	ASSERT_EQ(p->ppid, 1);
	ASSERT_EQ(p->loops, 1);
	ASSERT_EQ(p->cmdline_len, strlen("nginx: master process"));
	ASSERT(!memcmp(p->cmdline, "nginx: master process", p->cmdline_len));
	p = ls_summary_proc(sum, PS_PID_B);
	ASSERT(p);
	ASSERT_EQ(p->ppid, PS_PID_A);
	ASSERT_EQ(p->loops, 2);
	ASSERT(!memcmp(p->cmdline, "nginx: worker process", p->cmdline_len));
	ASSERT_STR_EQ(ls_loop_proc_comm(sum, sum->loops[1]), "nginx");
	ASSERT_EQ(sum->procs_seen, 2);
	ASSERT_EQ(sum->bad_records, 0);
	correlator__free(c);
}

TEST(procs_fork_exec_exit)
{
	struct seen_procs s;
	struct correlator *c = new_corr(&s);
	const struct ls_summary *sum = correlator__summary(c);

	ps_push_proc(c, LS_PROC_INFO, 500, 1, "sh", "sh -c ./run", 10);
	ps_push_proc(c, LS_PROC_FORK, 501, 500, "sh", NULL, 20);
	ASSERT_EQ(s.last.pid, 501);
	ASSERT_EQ(s.last.ppid, 500);
	ASSERT_STR_EQ(s.last.comm, "sh");
	ps_push_proc(c, LS_PROC_INFO, 501, 500, "sh", "sh -c ./run", 25);
	ps_push_proc(c, LS_PROC_EXEC, 501, 0, "server", NULL, 30);
	ASSERT_STR_EQ(s.last.comm, "server");
	ASSERT_EQ(s.last.execs, 1);
	ASSERT_EQ(s.last.cmdline_len, 0);	/* the shell's line no longer describes it */
	ASSERT_EQ(s.last.ppid, 500);		/* exec keeps the parent */
	ASSERT_EQ(sum->nprocs, 2);
	ASSERT_EQ(correlator__live_procs(c), 2);
	ps_push_proc(c, LS_PROC_EXIT, 501, 0, "server", NULL, 40);
	ASSERT_EQ(s.exits, 1);
	ASSERT(s.last.exited);
	ASSERT_U64_EQ(s.last.last_ts, 40);
	/* no loop thread: forgotten at its exit, listed no more */
	ASSERT_EQ(sum->nprocs, 1);
	ASSERT_EQ(correlator__live_procs(c), 1);
	ASSERT(!ls_summary_proc(sum, 501));
	/* read from /proc before the exit, arrived after it: describes nothing */
	ps_push_proc(c, LS_PROC_INFO, 501, 500, "server", "./server", 41);
	ASSERT_EQ(sum->nprocs, 1);
	/* an exit of a process never seen, bad events */
	ps_push_proc(c, LS_PROC_EXIT, 777, 0, "x", NULL, 50);
	ASSERT_EQ(sum->nprocs, 1);
	ASSERT_EQ(ps_push_proc_raw(c, LS_PROC_INFO + 1, 600, 0, LS_PROC_CMDLINE_MAX), -EINVAL);
	ASSERT_EQ(ps_push_proc_raw(c, LS_PROC_INFO, 0, 0, 0), -EINVAL);
	ASSERT_EQ(ps_push_proc_raw(c, LS_PROC_INFO, 600, 0, LS_PROC_CMDLINE_MAX + 1), -EINVAL);
	correlator__free(c);
}

TEST(procs_info_overwrites)
{
	struct seen_procs s;
	struct correlator *c = new_corr(&s);
	const struct ls_process *p;

	ps_push_proc(c, LS_PROC_JOIN, 300, 0, "node", NULL, 5);
	p = ls_summary_proc(correlator__summary(c), 300);
	ASSERT(p);
	ASSERT_EQ(p->ppid, 0);
	ASSERT_EQ(p->cmdline_len, 0);
	ps_push_proc(c, LS_PROC_INFO, 300, 12, "node", "node a.js", 6);
	ASSERT_EQ(p->ppid, 12);
	ASSERT_EQ(p->cmdline_len, 9);
	ps_push_proc(c, LS_PROC_INFO, 300, 13, "node-main", "node --inspect b.js", 7);
	ASSERT_EQ(p->ppid, 13);
	ASSERT_STR_EQ(p->comm, "node-main");
	ASSERT_EQ(p->cmdline_len, strlen("node --inspect b.js"));
	ASSERT(!memcmp(p->cmdline, "node --inspect b.js", p->cmdline_len));
	/* an INFO that knows no parent keeps the one known */
	ps_push_proc(c, LS_PROC_INFO, 300, 0, "node-main", "x", 8);
	ASSERT_EQ(p->ppid, 13);
	ASSERT_EQ(p->cmdline_len, 1);
	/* the main thread renames the process; another thread does not */
	ps_push_thread(c, 300, 301, "worker", LS_REC_THREAD);
	ASSERT_STR_EQ(p->comm, "node-main");
	ps_push_thread(c, 300, 300, "renamed", LS_REC_THREAD);
	ASSERT_STR_EQ(p->comm, "renamed");
	ASSERT_STR_EQ(s.last.comm, "renamed");
	ASSERT_EQ(s.reports, 5);	/* join, three INFOs, the rename */
	correlator__free(c);
}

/* 10000 children that fork, run and exit without a loop: nothing stays. */
TEST(procs_fork_storm_stays_bounded)
{
	struct seen_procs s;
	struct correlator *c = new_corr(&s);
	const struct ls_summary *sum = correlator__summary(c);
	uint32_t i, pid;

	ps_two_processes(c);
	for (i = 0; i < 10000; i++) {
		pid = 10000 + i;
		ps_push_proc(c, LS_PROC_FORK, pid, PS_PID_A, "nginx", NULL, PS_T0 + i);
		ps_push_proc(c, LS_PROC_INFO, pid, PS_PID_A, "nginx", "nginx: helper", PS_T0 + i);
		ps_push_thread(c, pid, pid, "nginx", LS_REC_THREAD);
		ps_push_thread(c, pid, pid, "nginx", LS_REC_THREAD_EXIT);
		ps_push_proc(c, LS_PROC_EXIT, pid, 0, "nginx", NULL, PS_T0 + i);
		ASSERT(sum->nprocs <= LS_KEEP_PROCS);
	}
	ASSERT_EQ(sum->nprocs, 2);
	ASSERT_EQ(correlator__live_procs(c), 2);
	ASSERT_EQ(sum->procs_seen, 10002);
	ASSERT_EQ(sum->procs_merged, 0);
	ASSERT_EQ(s.exits, 10000);
	ASSERT_EQ(sum->bad_records, 0);
	correlator__free(c);
}

/* A full list: loops' processes take the places of the newest without loops, then count. */
TEST(procs_list_full_prefers_loops)
{
	struct seen_procs s;
	struct correlator *c = new_corr(&s);
	const struct ls_summary *sum = correlator__summary(c);
	uint32_t i;

	for (i = 0; i < LS_KEEP_PROCS + 10; i++)
		ps_push_proc(c, LS_PROC_FORK, 2000 + i, 1, "idle", NULL, 10 + i);
	ASSERT_EQ(sum->nprocs, LS_KEEP_PROCS);
	ASSERT_EQ(sum->procs_seen, LS_KEEP_PROCS + 10);
	for (i = 0; i < LS_KEEP_PROCS + 2; i++)
		ps_loop(c, 5000 + i, 5000 + i, PS_T0 + i * PS_MS, 2);
	ASSERT_EQ(sum->nprocs, LS_KEEP_PROCS);
	ASSERT_EQ(sum->procs_merged, 2);
	ASSERT_EQ(sum->procs[0]->pid, 5000);	/* the no-loop ones made way, newest first */
	for (i = 0; i < sum->nprocs; i++)
		ASSERT(sum->procs[i]->loops);
	/* a loop's process that exits stays listed, exited */
	ps_push_proc(c, LS_PROC_EXIT, 5000, 0, "", NULL, PS_T0 + 100 * PS_MS);
	ASSERT(ls_summary_proc(sum, 5000)->exited);
	ASSERT_EQ(sum->nprocs, LS_KEEP_PROCS);
	correlator__free(c);
}

/* No process record at all (a raw file of format 1): the loop makes its process. */
TEST(procs_from_loops_alone)
{
	struct seen_procs s;
	struct correlator *c = new_corr(&s);
	const struct ls_summary *sum = correlator__summary(c);

	ps_push_thread(c, 42, 42, "redis-server", LS_REC_THREAD);
	ps_loop(c, 42, 42, PS_T0, 3);
	ASSERT_EQ(sum->nprocs, 1);
	ASSERT_STR_EQ(sum->procs[0]->comm, "redis-server");
	ASSERT_EQ(sum->procs[0]->loops, 1);
	ASSERT_EQ(s.reports, 1);
	correlator__free(c);
}
