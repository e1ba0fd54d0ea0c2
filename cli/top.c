/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `loopscope top -p PID`: a live view of the loops of a running process.
 * Its own correlator feeds a sink that keeps per-window counters only;
 * every interval they are drawn and reset. On a terminal the screen is
 * redrawn in the alternate buffer, keys are read unbuffered ('q' quits),
 * and every way out restores the terminal; otherwise one plain line per
 * interval goes to stdout, for logs and pipes. Thread and process names
 * come from the target: they are escaped (text_escape.h) before they are
 * drawn, so a name cannot move the cursor, retitle the terminal or forge a
 * line.
 *
 * Busy % is accounted on each loop thread's own timeline
 * (collector/busy_window.h): a stall longer than the interval is not
 * counted as 300% of a 1 s interval.
 */
#include <argp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "collector/busy_window.h"
#include "collector/correlator.h"
#include "collector/debuginfo.h"
#include "collector/record.h"
#include "viewer-export/summary_text.h"
#include "viewer-export/text_escape.h"
#include "cli_util.h"
#include "commands.h"
#include "exitcodes.h"
#include "live.h"
#include "proc_syms.h"
#include "procs.h"
#include "session.h"
#include "target.h"
#include "top_causes.h"
#include "top_term.h"
#include "tracer.h"

#define TOP_MAX_LOOPS	64
#define TOP_CAUSE_ROWS	3	/* causes since the start on the screen */

struct top_opts {
	struct target_spec targets;
	double interval_s, stall_ms;
	unsigned sample_hz;	/* 0: no stacks, no causes */
	long count;		/* intervals to show, 0: until quit */
	struct cli_common common;	/* -v, -q */
};

struct win_loop {		/* one loop thread, this window */
	uint32_t pid, tid;
	char comm[LS_COMM_LEN];
	uint64_t iterations, stalls, worst_ns;
	uint64_t stalls_total;	/* since top started, not reset per window */
	struct ls_busy_window win;
	struct ls_hist busy;
	bool exited;		/* its row goes after this window */
};

struct top {
	const struct top_opts *o;
	struct session *s;
	const struct target *target;	/* the session's */
	struct win_loop loops[TOP_MAX_LOOPS];
	unsigned nloops;
	uint64_t calls[LS_SYS_MAX];
	int32_t pool_queued, pool_running;	/* the thread pool's last gauges (any process) */
	int32_t pool_max_queued;		/* this window's deepest queue */
	bool pool_seen;
	struct debuginfo *dbg;		/* local debug files only: no debuginfod on the live path */
	struct proc_syms *syms;		/* NULL: no sampling (or out of memory), no causes */
	struct top_causes *causes;
	bool tty, color;
	struct top_term term;
};

static const char top_doc[] =
	"Live view of the event loops of a running process, refreshed every second.\n"
	"\n"
	"USAGE: loopscope top (-p PID[,PID...] | --cgroup DIR) [--no-children]\n"
	"                     [-i SECONDS] [-n COUNT] [--stall-ms N] [--sample-hz HZ]\n"
	"\n"
	"EXAMPLES:\n"
	"    loopscope top -p 1234              # q or Ctrl-C quits\n"
	"    loopscope top -p 1234 -n 10 > log  # 10 plain lines, one per second\n"
	"\n"
	"Per loop thread and interval: iterations/s, busy %, p99 busy, the worst\n"
	"iteration and stalls; the worst stall's cause, the causes since the start;\n"
	"then syscall rates. Not a terminal: one line per interval.\n"
	"\v" LS_EXIT_CODES_HELP;

enum { OPT_STALL_MS = 1000, OPT_SAMPLE_HZ };

static const struct argp_option top_options[] = {
	{ "pid", 'p', "PID[,PID]", 0, "The processes to watch (repeatable), and those they fork", 0 },
	{ "cgroup", CLI_OPT_CGROUP, "DIR", 0, "Every process of this cgroup v2 directory and below it", 0 },
	{ "no-children", CLI_OPT_NO_CHILDREN, NULL, 0, "Not the processes they fork", 0 },
	{ "interval", 'i', "SECONDS", 0, "Refresh period (default 1)", 0 },
	{ "count", 'n', "N", 0, "Stop after N intervals", 0 },
	{ "stall-ms", OPT_STALL_MS, "MS", 0, "Busy time that makes a stall (default 50)", 0 },
	{ "sample-hz", OPT_SAMPLE_HZ, "HZ", 0, "On-CPU stack samples per second per CPU, for the "
	  "stall causes (default 99, 0 = off)", 0 },
	{},
};

static error_t parse_top_opt(int key, char *arg, struct argp_state *state)
{
	struct top_opts *o = state->input;

	if (cli_target_option(key, arg, state, &o->targets))
		return 0;
	switch (key) {
	case 'i':
		o->interval_s = cli_number(state, "interval", arg, 0.1, 3600);
		break;
	case 'n':
		o->count = (long)cli_number(state, "count", arg, 1, 1e9);
		break;
	case OPT_STALL_MS:
		o->stall_ms = cli_number(state, "stall threshold", arg, 0.001, 3600e3);
		break;
	case OPT_SAMPLE_HZ:
		o->sample_hz = (unsigned)cli_integer(state, "sample rate", arg, 0, 10000);
		break;
	case ARGP_KEY_ARG:
		cli_usage_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!o->targets.npids && !o->targets.cgroup)
			cli_usage_error(state, "nothing to watch: give -p PID or --cgroup DIR");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static struct win_loop *loop_of(struct top *t, const struct ls_thread *th)
{
	unsigned i;

	for (i = 0; i < t->nloops; i++)
		if (t->loops[i].tid == th->tid)
			return &t->loops[i];
	if (t->nloops == TOP_MAX_LOOPS)
		return NULL;
	memset(&t->loops[i], 0, sizeof(t->loops[i]));	/* may hold a row that went */
	t->loops[i].tid = th->tid;
	t->loops[i].pid = th->pid;
	ls_hist_init(&t->loops[i].busy);
	t->nloops++;
	return &t->loops[i];
}

static void on_iteration(void *ctx, const struct ls_thread *th, const struct ls_iteration *it)
{
	struct win_loop *l = loop_of(ctx, th);
	uint64_t busy = ls_iteration_busy(it);

	if (!l)
		return;
	ls_busy_window_add(&l->win, it);
	memcpy(l->comm, th->comm, sizeof(l->comm));
	l->iterations++;
	l->stalls += it->stall;
	l->stalls_total += it->stall;
	l->worst_ns = busy > l->worst_ns ? busy : l->worst_ns;
	ls_hist_add(&l->busy, busy);
	if (it->stall && ((struct top *)ctx)->causes)
		top_causes__add(((struct top *)ctx)->causes, th, it);
}

static void on_thread_exit(void *ctx, const struct ls_thread *th)
{
	struct top *t = ctx;
	unsigned i;

	for (i = 0; i < t->nloops; i++)
		if (t->loops[i].tid == th->tid)
			t->loops[i].exited = true;
}

/* libuv's pool: the queue as it was at the last event, and this window's deepest. */
static void on_pool(void *ctx, uint32_t pid, uint64_t ts, int32_t queued, int32_t running)
{
	struct top *t = ctx;

	(void)pid, (void)ts;
	t->pool_seen = true;
	t->pool_queued = queued;
	t->pool_running = running;
	if (queued > t->pool_max_queued)
		t->pool_max_queued = queued;
}

static void on_call(void *ctx, const struct ls_thread *th, const struct ls_call *c)
{
	struct top *t = ctx;

	(void)th;
	if (c->sys < LS_SYS_MAX)
		t->calls[c->sys]++;
}

/* Rows of loop threads that exited go, so threads that come and go never fill the table. */
static void reset_window(struct top *t)
{
	unsigned i, n = 0;

	for (i = 0; i < t->nloops; i++)
		if (!t->loops[i].exited)
			t->loops[n++] = t->loops[i];
	t->nloops = n;
	for (i = 0; i < t->nloops; i++) {
		struct win_loop *l = &t->loops[i];

		l->iterations = 0;
		l->stalls = l->worst_ns = 0;
		ls_busy_window_next(&l->win);
		ls_hist_init(&l->busy);
	}
	memset(t->calls, 0, sizeof(t->calls));
	t->pool_max_queued = t->pool_queued;
	if (t->causes)
		top_causes__reset_window(t->causes);
}

/*
 * Busy % of the loop's timeline this window (busy_window.h), or
 * -1 when no iteration of it ended in the window: then it is waiting or
 * stalled, and which one is known only when its wait returns.
 */
static double busy_pct(const struct win_loop *l)
{
	double share = ls_busy_window_share(&l->win);

	return share < 0 ? -1 : 100.0 * share;
}

/* "  42.0%", or "      -" when unknown (busy_pct() < 0): 7 columns either way. */
static const char *fmt_pct(char *buf, size_t sz, double pct)
{
	if (pct < 0)
		snprintf(buf, sz, "%6s", "-");
	else
		snprintf(buf, sz, "%5.1f%%", pct);
	return buf;
}

/* "PID 12 (nginx)", or "cgroup /sys/..." with --cgroup alone: 64 bytes of the name, escaped. */
#define TOP_NAME_MAX	(LS_ESC_SIZE(64) + 32)
static const char *target_name(const struct top *t, char *buf, size_t sz)
{
	const char *n = t->target->pid ? t->target->name : t->target->cmdline;
	char esc[LS_ESC_SIZE(64)];

	ls_esc_str(LS_ESC_TEXT, esc, sizeof(esc), n, strnlen(n, 64));
	if (t->target->pid)
		snprintf(buf, sz, "PID %d (%s)", t->target->pid, esc);
	else
		snprintf(buf, sz, "cgroup %s", esc);
	return buf;
}

/* One plain line per interval, for logs and pipes. */
static void draw_line(struct top *t, double secs)
{
	uint64_t iters = 0, stalls = 0, worst = 0, calls = 0;
	struct ls_hist all;
	char p99[16], w[16], ts[16], pct[16], cause[LS_ESC_SIZE(1100) + 16];
	unsigned i, active = 0;
	time_t now = time(NULL);
	double busy = -1;	/* of the busiest loop */

	ls_hist_init(&all);
	for (i = 0; i < t->nloops; i++) {
		const struct win_loop *l = &t->loops[i];

		active += l->iterations > 0;
		iters += l->iterations;
		busy = busy_pct(l) > busy ? busy_pct(l) : busy;
		stalls += l->stalls;
		worst = l->worst_ns > worst ? l->worst_ns : worst;
		ls_hist_merge(&all, &l->busy);
	}
	for (i = 0; i < LS_SYS_MAX; i++)
		calls += t->calls[i];
	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&now));
	if (busy < 0)
		snprintf(pct, sizeof(pct), "-");
	else
		snprintf(pct, sizeof(pct), "%.1f", busy);
	printf("%s loops=%u iter/s=%.0f busy%%=%s p99=%s worst=%s stalls=%" PRIu64
	       " calls/s=%.0f", ts, active, (double)iters / secs,
	       pct, ls_fmt_duration(p99, 16, ls_hist_quantile(&all, 0.99)),
	       ls_fmt_duration(w, 16, worst), stalls, (double)calls / secs);
	if (t->pool_seen)
		printf(" pool_queued_max=%d", t->pool_max_queued);
	if (t->causes)
		fputs(top_causes__line(t->causes, cause, sizeof(cause)), stdout);
	putchar('\n');
	fflush(stdout);
}

static void draw_screen(struct top *t, double secs)
{
	char p99[16], w[16], pct[16], name[TOP_NAME_MAX], comm[LS_ESC_SIZE(LS_COMM_LEN)];
	struct ls_stats st;
	unsigned i, n = 0;

	tracer__stats(session__tracer(t->s), &st);
	printf("\033[H\033[2J%sloopscope top - %s%s  %u processes  every %.1f s  drops %llu\n\n",
	       t->color ? "\033[1m" : "", target_name(t, name, sizeof(name)),
	       t->color ? "\033[0m" : "", procs__live(session__procs(t->s)), secs,
	       (unsigned long long)(st.rb_drops + st.inflight_full));
	/* STALLS: this interval; TOTAL: since top started */
	printf("%-8s %-8s %-16s %9s %6s %10s %10s %6s %6s\n", "PID", "TID", "COMM", "ITER/S", "BUSY%",
	       "P99 BUSY", "WORST", "STALLS", "TOTAL");
	for (i = 0; i < t->nloops; i++) {
		const struct win_loop *l = &t->loops[i];
		bool hot = l->stalls && t->color;

		printf("%s%-8u %-8u %-16s %9.0f %s %10s %10s %6" PRIu64 " %6" PRIu64 "%s\n",
		       hot ? "\033[31m" : "", l->pid, l->tid,
		       ls_esc_str(LS_ESC_TEXT, comm, sizeof(comm), l->comm[0] ? l->comm : "?",
				  sizeof(l->comm)),
		       (double)l->iterations / secs, fmt_pct(pct, sizeof(pct), busy_pct(l)),
		       ls_fmt_duration(p99, 16, ls_hist_quantile(&l->busy, 0.99)),
		       ls_fmt_duration(w, 16, l->worst_ns), l->stalls, l->stalls_total,
		       hot ? "\033[0m" : "");
	}
	if (!t->nloops)
		printf("(no loop thread yet: none has returned from an epoll wait twice)\n");
	if (t->pool_seen)
		printf("\nPOOL queued %d (deepest this interval %d), running %d\n", t->pool_queued,
		       t->pool_max_queued, t->pool_running);
	if (t->causes)
		top_causes__draw(t->causes, stdout, TOP_CAUSE_ROWS);
	printf("\nSYSCALLS/S ");
	for (i = 0; i < LS_SYS_MAX; i++)
		if (t->calls[i])
			printf("%s%s %.0f", n++ ? ", " : "", ls_syscall_name(i),
			       (double)t->calls[i] / secs);
	printf("%s\n\nq: quit\n", n ? "" : "none");
	fflush(stdout);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int watch(struct top *t)
{
	double start = now_s(), next = start + t->o->interval_s, now;
	long shown = 0;
	int err;

	while (!session__stopping(t->s) && !top_term_quit_key(&t->term)) {
		err = session__poll(t->s, 100);
		if (err) {
			top_term_restore(&t->term);	/* first, or the line goes with the alternate screen */
			return session__poll_error(t->s, err);
		}
		now = now_s();
		if (now < next)
			continue;
		if (t->syms)	/* new JIT code and libraries: names stay current */
			proc_syms__refresh(t->syms);
		if (t->tty)
			draw_screen(t, now - next + t->o->interval_s);
		else
			draw_line(t, now - next + t->o->interval_s);
		reset_window(t);
		next += t->o->interval_s;
		if (next < now)		/* we fell behind (suspended?): do not burst */
			next = now + t->o->interval_s;
		if (t->o->count && ++shown >= t->o->count)
			break;
	}
	top_term_restore(&t->term);
	return 0;
}

/* Each process followed: libuv's probes, for the pool line (missing libuv is fine). */
static void setup_process(void *ctx, pid_t pid)
{
	struct top *t = ctx;

	live_setup_process(t->s, t->syms, pid);
}

/* Names that may not last (a process's maps, JS frames), read as the records go by. */
static int on_record(void *ctx, void *data, size_t len)
{
	proc_syms__on_record(((struct top *)ctx)->syms, data, len);
	return 0;
}

/* The stall causes: a symbolizer per process, local debug files only (no waiting on a network). */
static void open_causes(struct top *t)
{
	if (!t->o->sample_hz)
		return;
	t->syms = live_syms_open(&t->dbg);
	t->causes = t->syms ? top_causes__new(t->syms) : NULL;
}

static int start(struct top *t)
{
	const struct session_opts so = {
		.cmd = "top", .prefix = "loopscope top", .verb = "watching", .targets = t->o->targets,
		.stall_threshold_ns = (uint64_t)(t->o->stall_ms * 1e6),
		.tracer = { .verbose = t->o->common.verbose, .sample_hz = t->o->sample_hz,
			    .offcpu_min_ns = t->o->sample_hz ? LS_OFFCPU_MIN_NS : 0,
			    .unwind_user = true },
		.on_record = t->syms ? on_record : NULL, .ctx = t, .on_process = setup_process,
	};
	const struct ls_sink sink = {
		.ctx = t, .on_iteration = on_iteration, .on_call = on_call,
		.on_thread_exit = on_thread_exit, .on_pool = on_pool,
	};
	int rc = session__open(&t->s, &so);

	if (rc)
		return rc;
	t->target = session__target(t->s);
	rc = session__start(t->s, &sink);
	if (!rc)
		session__setup_processes(t->s);
	return rc;
}

int cmd_top(int argc, char **argv)
{
	struct top_opts o = { .interval_s = 1, .stall_ms = 50, .sample_hz = 99 };
	const struct cli_command cmd = {
		top_options, parse_top_opt, NULL, top_doc,
		"libbpf warnings (twice: debug)", "No start-up message",
	};
	char name[TOP_NAME_MAX];
	struct top *t;
	int rc;

	if (cli_parse(&cmd, argc, argv, &o, &o.common))
		return LS_EXIT_USAGE;
	t = calloc(1, sizeof(*t));
	if (!t)
		return LS_EXIT_FAIL;
	t->o = &o;
	t->tty = isatty(STDOUT_FILENO);
	t->color = cli_color(STDOUT_FILENO);
	open_causes(t);
	rc = start(t);
	if (!rc && !o.common.quiet && !t->tty)
		fprintf(stderr, "loopscope top: watching %s\n", target_name(t, name, sizeof(name)));
	if (!rc && t->tty)
		top_term_setup(&t->term);
	if (!rc)
		rc = watch(t);
	session__free(t->s);
	top_causes__free(t->causes);
	live_syms_close(t->syms, t->dbg);
	free(t);
	return rc;
}
