/* SPDX-License-Identifier: BSD-2-Clause */
/* Loops of a baseline and a run paired (compare_match.c), for `check`. */
#include "../harness.h"
#include "collector/compare.h"
#include "procs_stream.h"

static struct correlator *corr(void)
{
	struct correlator_opts o = { .stall_threshold_ns = 50 * PS_MS };
	struct correlator *c = correlator__new(&o);

	ASSERT(c);
	return c;
}

static void proc(struct correlator *c, uint32_t pid, uint32_t ppid, const char *comm)
{
	ps_push_proc(c, LS_PROC_INFO, pid, ppid, comm, comm, 1);
}

/* tid of the run's loop paired with the baseline's loop of tid; 0: none, -1: not listed */
static int64_t partner(const struct correlator *b, const struct correlator *c, uint32_t tid)
{
	const struct ls_summary *sb = correlator__summary(b), *sc = correlator__summary(c);
	struct cmp_loop_pair p[16];
	unsigned n = cmp_match_loops(sb, sc, p, 16), i;

	for (i = 0; i < n; i++)
		if (p[i].base >= 0 && sb->loops[p[i].base]->tid == tid)
			return p[i].cur < 0 ? 0 : sc->loops[p[i].cur]->tid;
	return -1;
}

static unsigned unpaired_cur(const struct correlator *b, const struct correlator *c)
{
	struct cmp_loop_pair p[16];
	unsigned n = cmp_match_loops(correlator__summary(b), correlator__summary(c), p, 16), i, k = 0;

	for (i = 0; i < n; i++)
		k += p[i].base < 0;
	return k;
}

TEST(compare_match_same_pids_by_tid)
{
	struct correlator *b = corr(), *c = corr();

	ps_loop(b, 100, 100, PS_T0, 2);
	ps_loop(b, 100, 107, PS_T0, 2);
	ps_loop(c, 100, 107, PS_T0, 2);		/* other order of first iterations */
	ps_loop(c, 100, 100, PS_T0, 2);
	ASSERT_EQ(partner(b, c, 100), 100);
	ASSERT_EQ(partner(b, c, 107), 107);
	correlator__free(b);
	correlator__free(c);
}

/* One process, another pid: its loops by their order of tids. */
TEST(compare_match_one_process_other_pid)
{
	struct correlator *b = corr(), *c = corr();

	ps_push_thread(b, 100, 100, "node", LS_REC_THREAD);
	ps_loop(b, 100, 100, PS_T0, 2);
	ps_loop(b, 100, 105, PS_T0, 2);
	ps_push_thread(c, 300, 300, "node", LS_REC_THREAD);
	ps_loop(c, 300, 309, PS_T0, 2);
	ps_loop(c, 300, 300, PS_T0, 2);
	ASSERT_EQ(partner(b, c, 100), 300);
	ASSERT_EQ(partner(b, c, 105), 309);
	ASSERT_EQ(unpaired_cur(b, c), 0);
	correlator__free(b);
	correlator__free(c);
}

/* A master and two workers in each run, under other pids. */
TEST(compare_match_processes_by_comm_and_rank)
{
	struct correlator *b = corr(), *c = corr();

	proc(b, 101, 1, "nginx-master");
	proc(b, 102, 101, "nginx-worker");
	proc(b, 103, 101, "nginx-worker");
	ps_loop(b, 101, 101, PS_T0, 2);
	ps_loop(b, 102, 102, PS_T0, 2);
	ps_loop(b, 102, 104, PS_T0, 2);
	ps_loop(b, 103, 103, PS_T0, 2);
	proc(c, 201, 1, "nginx-master");
	proc(c, 205, 201, "nginx-worker");
	proc(c, 203, 201, "nginx-worker");
	ps_loop(c, 205, 205, PS_T0, 2);		/* the second worker's loops come first */
	ps_loop(c, 205, 207, PS_T0, 2);
	ps_loop(c, 203, 203, PS_T0, 2);
	ps_loop(c, 201, 201, PS_T0, 2);
	ASSERT_EQ(partner(b, c, 101), 201);
	ASSERT_EQ(partner(b, c, 102), 203);	/* first worker by pid, its first loop */
	ASSERT_EQ(partner(b, c, 104), 0);	/* the first worker of the run has one loop */
	ASSERT_EQ(partner(b, c, 103), 205);
	ASSERT_EQ(unpaired_cur(b, c), 1);	/* 207 */
	correlator__free(b);
	correlator__free(c);
}
