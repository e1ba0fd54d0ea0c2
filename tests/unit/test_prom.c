/* SPDX-License-Identifier: BSD-2-Clause */
/* collector/fleet.c and viewer-export/prom.c: the agent's counters and their scrape. */
#include "../harness.h"
#include "collector/fleet.h"
#include "collector/record.h"
#include "viewer-export/prom.h"

static void iterate(struct ls_fleet *f, const struct ls_thread *th, uint64_t busy_ns, bool stall)
{
	struct ls_iteration it = { .pid = th->pid, .tid = th->tid, .start = 1000,
				   .poll_start = 1000 + busy_ns, .end = 2000 + busy_ns, .stall = stall };

	ls_fleet_iteration(f, th, &it);
}

static char *scrape(const struct ls_fleet *f, bool om)
{
	struct prom_meta m = { .openmetrics = om, .drops_ring_buffer = 3, .targets = 1 };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ASSERT(out);
	ASSERT_EQ(prom_write(out, f, &m), 0);
	fclose(out);
	return buf;
}

TEST(fleet_buckets_are_exact_at_their_bounds)
{
	static struct ls_fleet f;
	struct ls_thread th = { .pid = 7, .tid = 8, .comm = "srv" };

	ls_fleet_init(&f, 1000);
	iterate(&f, &th, 100000, false);	/* exactly 100 us: le 0.0001 */
	iterate(&f, &th, 100001, false);	/* just past: le 0.00025 */
	iterate(&f, &th, 80000000, true);	/* 80 ms stall: le 0.1 */
	iterate(&f, &th, 20000000000ull, true);	/* 20 s: only +Inf */
	ASSERT_EQ(f.nloops, 1u);
	ASSERT_U64_EQ(f.loops[0].le[0], 1);
	ASSERT_U64_EQ(f.loops[0].le[1], 1);
	ASSERT_U64_EQ(f.loops[0].le[9], 1);
	ASSERT_U64_EQ(f.loops[0].iterations, 4);
	ASSERT_U64_EQ(f.loops[0].stalls, 2);
	ASSERT_U64_EQ(f.loops[0].stall_ns, 20080000000ull);
}

TEST(prom_text_histogram_is_cumulative_and_labels_are_escaped)
{
	static struct ls_fleet f;
	struct ls_thread th = { .pid = 7, .tid = 8, .comm = "a\"b\\c\nd\x1b" };
	char *s;

	ls_fleet_init(&f, 1000);
	iterate(&f, &th, 50000, false);
	iterate(&f, &th, 80000000, true);
	s = scrape(&f, false);
	ASSERT(strstr(s, "# TYPE loopscope_loop_iterations_total counter\n"));
	ASSERT(strstr(s, "loopscope_loop_iterations_total{pid=\"7\",tid=\"8\",comm=\"a\\\"b\\\\c?d?\",cgroup=\"\"} 2\n"));
	ASSERT(strstr(s, "le=\"0.0001\"} 1\n"));
	ASSERT(strstr(s, "le=\"0.05\"} 1\n"));
	ASSERT(strstr(s, "le=\"0.1\"} 2\n"));
	ASSERT(strstr(s, "le=\"10\"} 2\n"));
	ASSERT(strstr(s, "le=\"+Inf\"} 2\n"));
	ASSERT(strstr(s, "loopscope_loop_busy_seconds_count{pid=\"7\""));
	ASSERT(strstr(s, "loopscope_loop_stalls_total{pid=\"7\",tid=\"8\",comm=\"a\\\"b\\\\c?d?\",cgroup=\"\"} 1\n"));
	ASSERT(strstr(s, "loopscope_drops_total{reason=\"ring_buffer\"} 3\n"));
	ASSERT(!strstr(s, "# EOF"));
	free(s);
}

TEST(prom_openmetrics_names_families_without_total_and_ends_with_eof)
{
	static struct ls_fleet f;
	struct ls_thread th = { .pid = 7, .tid = 8, .comm = "srv" };
	char *s;
	size_t n;

	ls_fleet_init(&f, 1000);
	iterate(&f, &th, 50000, false);
	s = scrape(&f, true);
	ASSERT(strstr(s, "# TYPE loopscope_loop_iterations counter\n"));
	ASSERT(strstr(s, "loopscope_loop_iterations_total{pid=\"7\""));
	ASSERT(strstr(s, "# UNIT loopscope_loop_busy_seconds seconds\n"));
	ASSERT(strstr(s, "# TYPE loopscope_loop_stall_seconds counter\n# UNIT loopscope_loop_stall_seconds seconds\n"));
	n = strlen(s);
	ASSERT(n > 6 && !strcmp(s + n - 6, "# EOF\n"));
	free(s);
}

TEST(fleet_exited_rows_stay_for_the_grace_period_then_go)
{
	static struct ls_fleet f;
	struct ls_thread a = { .pid = 1, .tid = 1 }, b = { .pid = 2, .tid = 2 };

	ls_fleet_init(&f, 5000);
	iterate(&f, &a, 10, false);
	iterate(&f, &b, 10, false);
	ls_fleet_thread_exit(&f, &a, 1000);
	ls_fleet_expire(&f, 5999);
	ASSERT_EQ(f.nloops, 2u);
	ls_fleet_expire(&f, 6000);
	ASSERT_EQ(f.nloops, 1u);
	ASSERT_EQ(f.loops[0].tid, 2u);
	/* a tid reused after its exit is a new row, counted from zero */
	ls_fleet_thread_exit(&f, &b, 7000);
	iterate(&f, &b, 10, false);
	ASSERT_EQ(f.nloops, 2u);
	ASSERT_U64_EQ(f.loops[1].iterations, 1);
}

TEST(fleet_past_the_cap_counts_what_it_left_out)
{
	static struct ls_fleet f;
	struct ls_thread th = { .pid = 1 };
	uint32_t i;

	ls_fleet_init(&f, 0);
	for (i = 0; i < LS_FLEET_MAX_LOOPS + 3; i++) {
		th.tid = i + 1;
		iterate(&f, &th, 10, false);
	}
	ASSERT_EQ(f.nloops, (uint32_t)LS_FLEET_MAX_LOOPS);
	ASSERT_U64_EQ(f.loops_full, 3);
}

TEST(fleet_pool_queue_counts_picked_up_items_of_known_start)
{
	static struct ls_fleet f;
	struct ls_work_item w = { .pid = 5, .kind = LS_WORK_WORK, .submit_ts = 1000, .pickup_ts = 1000 + 30000000 };
	char *s;

	ls_fleet_init(&f, 100);
	ls_fleet_work(&f, &w, LS_WORK_SUBMIT);		/* not yet picked up: nothing */
	ls_fleet_work(&f, &w, LS_WORK_PICKUP);		/* 30 ms in the queue */
	w.queue_unseen = true;				/* submitted before the probes: unknown */
	ls_fleet_work(&f, &w, LS_WORK_PICKUP);
	w.queue_unseen = false;
	w.sync = true;					/* a *Sync call never queued */
	ls_fleet_work(&f, &w, LS_WORK_PICKUP);
	ASSERT_EQ(f.npools, 1u);
	ASSERT_U64_EQ(f.pools[0].items, 1);
	ASSERT_U64_EQ(f.pools[0].le[8], 1);	/* le 0.05 */
	s = scrape(&f, false);
	ASSERT(strstr(s, "loopscope_threadpool_queue_seconds_bucket{pid=\"5\",kind=\"queue_work\",le=\"0.025\"} 0\n"));
	ASSERT(strstr(s, "loopscope_threadpool_queue_seconds_bucket{pid=\"5\",kind=\"queue_work\",le=\"0.05\"} 1\n"));
	ASSERT(strstr(s, "loopscope_threadpool_queue_seconds_count{pid=\"5\",kind=\"queue_work\"} 1\n"));
	free(s);
	ls_fleet_process_exit(&f, 5, 1000);
	ls_fleet_expire(&f, 1099);
	ASSERT_EQ(f.npools, 1u);
	ls_fleet_expire(&f, 1100);
	ASSERT_EQ(f.npools, 0u);
}

/* An iteration [start, start + busy) busy, then waiting until end. */
static void iterate_at(struct ls_fleet *f, const struct ls_thread *th, uint64_t start, uint64_t busy,
		       uint64_t end)
{
	struct ls_iteration it = { .pid = th->pid, .tid = th->tid, .start = start,
				   .poll_start = start + busy, .end = end, .stall = busy >= 50000000 };

	ls_fleet_iteration(f, th, &it);
}

TEST(prom_utilization_is_busy_share_since_the_last_scrape_and_absent_when_unknown)
{
	static struct ls_fleet f;
	struct ls_thread th = { .pid = 7, .tid = 8, .comm = "srv" };
	char *s;

	ls_fleet_init(&f, 1000);
	s = scrape(&f, false);
	ASSERT(!strstr(s, "loopscope_loop_utilization{"));	/* no loop yet */
	free(s);
	/* 1 s of timeline, 250 ms of it busy */
	iterate_at(&f, &th, 1000000000ull, 100000000, 1500000000ull);
	iterate_at(&f, &th, 1500000000ull, 150000000, 2000000000ull);
	s = scrape(&f, false);
	ASSERT(strstr(s, "loopscope_loop_utilization{pid=\"7\",tid=\"8\",comm=\"srv\",cgroup=\"\"} 0.250000\n"));
	ls_fleet_scraped(&f);
	free(s);
	s = scrape(&f, false);	/* nothing ended since: waiting or stalled, not 0 */
	ASSERT(!strstr(s, "loopscope_loop_utilization{"));
	free(s);
	/* a 3 s stall seen after two scrapes: all busy, never past 1 */
	iterate_at(&f, &th, 2000000000ull, 3000000000ull, 5000000000ull);
	s = scrape(&f, false);
	ASSERT(strstr(s, "loopscope_loop_utilization{pid=\"7\",tid=\"8\",comm=\"srv\",cgroup=\"\"} 1.000000\n"));
	free(s);
}

TEST(fleet_cgroup_label_is_the_v2_line_and_a_long_path_keeps_its_tail)
{
	static struct ls_fleet f;
	struct ls_thread th = { .pid = 7, .tid = 8, .comm = "srv" };
	char text[600], path[400];
	const char *label;
	char *s;

	ls_fleet_init(&f, 1000);
	ls_fleet_process_cgroup(&f, 7, "4:memory:/m\n1:cpu:/\n0::/system.slice/a\"b.service\n");
	iterate(&f, &th, 50000, false);
	s = scrape(&f, false);
	ASSERT(strstr(s, "comm=\"srv\",cgroup=\"/system.slice/a\\\"b.service\"} 1\n"));
	free(s);
	ASSERT_STR_EQ(ls_fleet_cgroup_of(&f, 9), "");
	ls_fleet_process_cgroup(&f, 9, "1:cpu:/x\n");	/* cgroup v1 only: no label */
	ASSERT_STR_EQ(ls_fleet_cgroup_of(&f, 9), "");
	memset(path, 'a', sizeof(path));
	memcpy(path + sizeof(path) - 9, "/tail.svc", 9);
	snprintf(text, sizeof(text), "0::/%.*s\n", (int)sizeof(path), path);
	ls_fleet_process_cgroup(&f, 10, text);
	label = ls_fleet_cgroup_of(&f, 10);
	ASSERT_U64_EQ(strlen(label), LS_FLEET_CGROUP_LEN - 1);
	ASSERT(!strncmp(label, "...", 3));
	ASSERT_STR_EQ(label + strlen(label) - 9, "/tail.svc");
	ls_fleet_process_exit(&f, 9, 100);
	ls_fleet_expire(&f, 1100);
	ASSERT_STR_EQ(ls_fleet_cgroup_of(&f, 9), "");
	ASSERT_U64_EQ(f.nprocs, 2);
}
