/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `loopscope agent`: traces processes in summary mode for as long as it
 * runs and serves what it measures as a Prometheus scrape (GET /metrics).
 * The live counters are collector/fleet.c's, fed by the correlator's sink;
 * viewer-export/prom.c writes the scrape; cli/http_serve.c answers it
 * between polls of the ring buffer, in this one thread. SIGINT and SIGTERM
 * end it cleanly (exit 0); so does the last traced process's exit, unless
 * it discovers (--all, --comm) or watches a cgroup. SIGHUP reopens the
 * stall log's file.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "collector/cause.h"
#include "collector/correlator.h"
#include "collector/cpu_budget.h"
#include "collector/debuginfo.h"
#include "collector/fleet.h"
#include "collector/record.h"
#include "viewer-export/prom.h"
#include "viewer-export/stall_cause.h"
#include "viewer-export/stall_log.h"
#include "agent_log.h"
#include "cli_util.h"
#include "commands.h"
#include "exitcodes.h"
#include "http_serve.h"
#include "live.h"
#include "proc_syms.h"
#include "procs.h"
#include "session.h"
#include "target.h"
#include "tracer.h"
#include "user_stacks.h"
#include "uvprobes.h"

struct agent_opts {
	struct target_spec targets;
	const char *listen;
	double stall_ms, grace_s;
	unsigned sample_hz;		/* 0: no stacks, no causes */
	const char *stall_log;		/* each stall a JSON line there ("-": stdout); NULL: none */
	double cpu_budget;		/* share of one CPU; 0: none */
	unsigned stall_log_rate;	/* lines per second at most */
	struct cli_common common;
};

struct agent {
	const struct agent_opts *o;
	struct session *s;
	struct http_server *http;
	struct ls_fleet fleet;
	struct debuginfo *dbg;		/* local debug files only: nothing waits on a network */
	struct proc_syms *syms;		/* NULL: no sampling, no causes */
	struct agent_log log;
	struct ls_cpu_budget budget;
	/*
	 * Of our CPU, what went to setting up each new process (its cgroup,
	 * libuv's probes, symbol tables) and to naming stall causes: work
	 * fewer samples would not lessen, so left out of the budget.
	 */
	double setup_cpu_s;
};

static const char agent_doc[] =
	"Trace processes in summary mode until stopped, and serve their loops' counters\n"
	"to Prometheus (GET /metrics; OpenMetrics when the Accept header asks for it).\n"
	"\n"
	"USAGE: loopscope agent (--all | --comm NAME... [--cgroup DIR] | --cgroup DIR |\n"
	"                        -p PID[,PID...]) [--no-children] [--max-targets N]\n"
	"                       --listen ADDR:PORT [--stall-ms N] [--grace SECONDS]\n"
	"                       [--sample-hz HZ] [--stall-log[=FILE] [--stall-log-rate N]]\n"
	"\n"
	"EXAMPLES:\n"
	"    loopscope agent --all --listen 127.0.0.1:9464\n"
	"    loopscope agent --comm node --comm nginx --listen 127.0.0.1:9464\n"
	"    loopscope agent --cgroup /sys/fs/cgroup/system.slice --listen 127.0.0.1:9464\n"
	"    loopscope agent -p 1234 --listen [::1]:9464\n"
	"\n"
	"--all and --comm discover: a process joins at its first loop wait (epoll_wait\n"
	"and its kin) from any thread, so one that never waits is never traced; --comm\n"
	"matches the name of a process's main thread (/proc/PID/comm).\n"
	"\n"
	"Per loop thread (labels pid, tid, comm): loopscope_loop_iterations_total, the\n"
	"loopscope_loop_busy_seconds histogram (100 us to 10 s), loopscope_loop_stalls_total,\n"
	"loopscope_loop_stall_seconds_total; then loopscope_drops_total{reason}, and the\n"
	"agent's own cost. A thread that exited is scraped for --grace seconds more.\n"
	"--stall-log writes each stall as a JSON line on stdout or appends it to FILE\n"
	"(reopened on SIGHUP, for log rotation), with its cause when\n"
	"stacks are sampled (--sample-hz, default 0: none).\n"
	"\v" LS_EXIT_CODES_HELP;

enum {
	OPT_LISTEN = 1000, OPT_STALL_MS, OPT_GRACE, OPT_SAMPLE_HZ, OPT_STALL_LOG, OPT_STALL_LOG_RATE,
	OPT_ALL, OPT_COMM, OPT_MAX_TARGETS, OPT_CPU_BUDGET,
};

static const struct argp_option agent_options[] = {
	{ "pid", 'p', "PID[,PID]", 0, "The processes to trace (repeatable), and those they fork", 0 },
	{ "cgroup", CLI_OPT_CGROUP, "DIR", 0, "Every process of this cgroup v2 directory and below it", 0 },
	{ "all", OPT_ALL, NULL, 0, "Every process of the host that runs a loop, as it first waits", 0 },
	{ "comm", OPT_COMM, "NAME", 0, "Processes of this name (repeatable, up to 8), as they first wait", 0 },
	{ "no-children", CLI_OPT_NO_CHILDREN, NULL, 0, "Not the processes they fork", 0 },
	{ "max-targets", OPT_MAX_TARGETS, "N", 0, "Processes traced at once at most (default 256; the rest "
	  "counted as drops)", 0 },
	{ "listen", OPT_LISTEN, "ADDR:PORT", 0, "Where to serve /metrics (required)", 0 },
	{ "cpu-budget", OPT_CPU_BUDGET, "PCT", 0, "The agent's own CPU, % of one CPU, kept by thinning "
	  "stack samples (default 1; 0: no budget)", 0 },
	{ "stall-ms", OPT_STALL_MS, "MS", 0, "Busy time that makes a stall (default 50)", 0 },
	{ "grace", OPT_GRACE, "SECONDS", 0, "How long an exited loop thread is still scraped (default 60)", 0 },
	{ "sample-hz", OPT_SAMPLE_HZ, "HZ", 0, "On-CPU stack samples per second per CPU, for the stall "
	  "log's causes (default 0 = off)", 0 },
	{ "stall-log", OPT_STALL_LOG, "FILE", OPTION_ARG_OPTIONAL, "Each stall as a JSON line on stdout, or "
	  "appended to FILE (reopened on SIGHUP)", 0 },
	{ "stall-log-rate", OPT_STALL_LOG_RATE, "N", 0, "Stall lines per second at most (default 20; "
	  "the rest counted as drops)", 0 },
	{},
};

static void add_comm(const struct argp_state *state, struct target_spec *ts, const char *name)
{
	size_t len = strlen(name);

	if (!len || len >= LS_COMM_LEN)
		cli_usage_error(state, "invalid --comm '%s': a process name is 1 to %d bytes", name,
				LS_COMM_LEN - 1);
	if (ts->ncomms == LS_JOIN_COMMS)
		cli_usage_error(state, "at most %d --comm names", LS_JOIN_COMMS);
	memset(ts->comms[ts->ncomms], 0, LS_COMM_LEN);
	memcpy(ts->comms[ts->ncomms++], name, len);
}

static void check_targets(const struct argp_state *state, const struct target_spec *ts)
{
	if (!ts->npids && !ts->cgroup && !target_spec_discovers(ts))
		cli_usage_error(state, "nothing to trace: give --all, --comm NAME, --cgroup DIR or -p PID");
	if (ts->all && (ts->ncomms || ts->cgroup))
		cli_usage_error(state, "--all is every process: not with --comm or --cgroup");
	if (ts->npids && target_spec_discovers(ts))
		cli_usage_error(state, "-p names the processes: not with --all or --comm");
}

static error_t parse_agent_opt(int key, char *arg, struct argp_state *state)
{
	struct agent_opts *o = state->input;

	if (cli_target_option(key, arg, state, &o->targets))
		return 0;
	switch (key) {
	case OPT_ALL:
		o->targets.all = true;
		break;
	case OPT_COMM:
		add_comm(state, &o->targets, arg);
		break;
	case OPT_MAX_TARGETS:
		o->targets.max_procs = (unsigned)cli_integer(state, "target cap", arg, 1, LS_MAX_PROCS);
		break;
	case OPT_LISTEN:
		o->listen = arg;
		break;
	case OPT_CPU_BUDGET:
		o->cpu_budget = cli_number(state, "CPU budget", arg, 0, 400) / 100;
		break;
	case OPT_STALL_MS:
		o->stall_ms = cli_number(state, "stall threshold", arg, 0.001, 3600e3);
		break;
	case OPT_GRACE:
		o->grace_s = cli_number(state, "grace period", arg, 0, 86400);
		break;
	case OPT_SAMPLE_HZ:
		o->sample_hz = (unsigned)cli_integer(state, "sample rate", arg, 0, 10000);
		break;
	case OPT_STALL_LOG:
		o->stall_log = arg ? arg : "-";
		break;
	case OPT_STALL_LOG_RATE:
		o->stall_log_rate = (unsigned)cli_integer(state, "stall log rate", arg, 1, 100000);
		break;
	case ARGP_KEY_ARG:
		cli_usage_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		check_targets(state, &o->targets);
		if (!o->listen)
			cli_usage_error(state, "give --listen ADDR:PORT");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/*
 * Setup CPU: what a stretch of work used, but proc_syms' own share of it
 * (proc_syms counts that itself, also when a record makes a symbolizer).
 */
struct setup_mark {
	double cpu_s, syms_s;
};

static struct setup_mark setup_begin(const struct agent *a)
{
	return (struct setup_mark){ cli_own_cpu_seconds(), proc_syms__setup_cpu(a->syms) };
}

static void setup_end(struct agent *a, struct setup_mark m)
{
	a->setup_cpu_s += (cli_own_cpu_seconds() - m.cpu_s) - (proc_syms__setup_cpu(a->syms) - m.syms_s);
}

/* Ours, proc_syms', and the stack unwinder's (module files, V8's layout: once each). */
static double setup_cpu_seconds(const struct agent *a)
{
	struct user_stacks_stats us;
	double s = a->setup_cpu_s + proc_syms__setup_cpu(a->syms);

	if (a->s && tracer__user_stacks(session__tracer(a->s), &us))
		s += (double)(us.unwind.load_cpu_ns + us.js.layout_cpu_ns) / 1e9;
	return s;
}

/* A stall's line, within the rate; its cause when its stacks were sampled. */
static void log_stall(struct agent *a, const struct ls_thread *th, const struct ls_iteration *it)
{
	const struct ls_cause_ctx cx = { .resolve = proc_syms__resolve_cb, .resolve_ctx = a->syms,
					 .pid = it->pid };
	struct stall_log_event e = {
		.unix_offset_ns = correlator__summary(session__correlator(a->s))->unix_offset_ns,
		.thread = th, .it = it,
	};
	struct ls_cause *c = NULL;

	if (!agent_log_admit(&a->log, cli_boottime_ns() / 1000000000ull))
		return;
	if (a->syms) {
		struct setup_mark m = setup_begin(a);

		c = ls_iteration_cause(&cx, it);
		if (c && c->nframes)
			e.cause = c;
		setup_end(a, m);
	}
	agent_log_done(&a->log, stall_log_write(agent_log_stream(&a->log), &e));
	free(c);
}

static void on_iteration(void *ctx, const struct ls_thread *th, const struct ls_iteration *it)
{
	struct agent *a = ctx;

	ls_fleet_iteration(&a->fleet, th, it);
	if (it->stall && a->o->stall_log)
		log_stall(a, th, it);
}

static void on_thread_exit(void *ctx, const struct ls_thread *th)
{
	ls_fleet_thread_exit(&((struct agent *)ctx)->fleet, th, cli_boottime_ns());
}

static void on_work(void *ctx, const struct ls_work_item *w, uint32_t event, uint64_t iter)
{
	(void)iter;
	ls_fleet_work(&((struct agent *)ctx)->fleet, w, event);
}

static void on_process(void *ctx, const struct ls_process *p)
{
	if (p->exited)
		ls_fleet_process_exit(&((struct agent *)ctx)->fleet, p->pid, cli_boottime_ns());
}

/* Our own resident set, from our own /proc (not a target's file). */
static uint64_t own_rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static int render(void *ctx, bool openmetrics, char **body, size_t *len)
{
	struct agent *a = ctx;
	struct prom_meta m = { .openmetrics = openmetrics };
	struct ls_stats st;
	FILE *f;
	int err;

	tracer__stats(session__tracer(a->s), &st);
	m.drops_ring_buffer = st.rb_drops;
	m.drops_inflight_full = st.inflight_full;
	m.drops_missed_exit = st.missed_exit;
	m.drops_targets_full = st.procs_full;
	m.drops_stall_log = a->log.dropped + a->log.failed;
	m.targets = procs__live(session__procs(a->s));
	m.agent_cpu_s = cli_own_cpu_seconds();
	m.setup_cpu_s = setup_cpu_seconds(a);
	m.cpu_budget = a->o->cpu_budget;
	m.sample_keep = a->o->sample_hz ? 1.0 / (double)(1u << a->budget.shift) : 0;
	m.over_budget_s = a->budget.over_s;
	m.drops_samples_shed = st.samples_shed;
	m.agent_rss_bytes = own_rss_bytes();
	*body = NULL;
	*len = 0;
	f = open_memstream(body, len);
	if (!f)
		return -ENOMEM;
	err = prom_write(f, &a->fleet, &m);
	if (fclose(f) && !err)
		err = -EIO;
	if (err) {
		free(*body);
		*body = NULL;
	} else {
		ls_fleet_scraped(&a->fleet);
	}
	return err;
}

/*
 * Over the budget: stack samples thinned (said once per step); back when
 * well under it. What the budget weighs is our CPU but the setup's.
 */
static void keep_budget(struct agent *a, uint64_t now_ns)
{
	if (!a->o->cpu_budget || !a->o->sample_hz ||
	    !ls_cpu_budget_tick(&a->budget, cli_own_cpu_seconds() - setup_cpu_seconds(a), (double)now_ns / 1e9))
		return;
	tracer__thin_samples(session__tracer(a->s), a->budget.shift);
	if (!a->o->common.quiet)
		fprintf(stderr, "loopscope agent: CPU %.2f%% against a budget of %.2f%%: 1 stack sample in %u "
			"taken\n", 100 * a->budget.last_share, 100 * a->o->cpu_budget, 1u << a->budget.shift);
}

static int serve(struct agent *a)
{
	uint64_t next_expiry = 0, now;
	int err;

	while (!session__stopping(a->s)) {
		err = session__poll(a->s, 50);
		if (err)
			return session__poll_error(a->s, err);
		http_server__serve(a->http, render, a);
		if (session__take_hup(a->s))
			agent_log_reopen(&a->log);
		now = cli_boottime_ns();
		keep_budget(a, now);
		if (now >= next_expiry) {
			ls_fleet_expire(&a->fleet, now);
			next_expiry = now + 1000000000ull;
		}
	}
	return 0;
}

/*
 * Each process followed: its cgroup for the labels, as it is now; libuv's
 * probes, for its phases and its pool (missing libuv is fine).
 */
static void setup_process(void *ctx, pid_t pid)
{
	struct agent *a = ctx;
	char text[4096];	/* cgroup v1's lines come first on a hybrid host */
	struct setup_mark m = setup_begin(a);

	if (target__read_proc(pid, "cgroup", text, sizeof(text)) >= 0)
		ls_fleet_process_cgroup(&a->fleet, (uint32_t)pid, text);
	live_setup_process(a->s, a->syms, pid);
	setup_end(a, m);
}

/* Names that may not last (a process's maps, JS frames), read as the records go by. */
static int on_record(void *ctx, void *data, size_t len)
{
	proc_syms__on_record(((struct agent *)ctx)->syms, data, len);
	return 0;
}

/* The stall log's causes: a symbolizer per process, local debug files only. */
static void open_causes(struct agent *a)
{
	if (!a->o->sample_hz || !a->o->stall_log)
		return;
	a->syms = live_syms_open(&a->dbg);
}

static int start(struct agent *a)
{
	const struct session_opts so = {
		.cmd = "agent", .prefix = "loopscope agent", .verb = "tracing", .targets = a->o->targets,
		.stall_threshold_ns = (uint64_t)(a->o->stall_ms * 1e6),
		.tracer = { .verbose = a->o->common.verbose, .summary_only = true,
			    .sample_hz = a->o->sample_hz,
			    .offcpu_min_ns = a->o->sample_hz ? LS_OFFCPU_MIN_NS : 0,
			    .unwind_user = a->o->sample_hz > 0 },
		.on_record = a->syms ? on_record : NULL, .ctx = a, .on_process = setup_process,
		.hup_reopens = true,
	};
	const struct ls_sink sink = {
		.ctx = a, .on_iteration = on_iteration, .on_thread_exit = on_thread_exit,
		.on_work = on_work, .on_process = on_process,
	};
	int rc = session__open(&a->s, &so);

	if (!rc)
		rc = session__start(a->s, &sink);
	if (!rc)
		session__setup_processes(a->s);
	return rc;
}

static int listen_on(struct agent *a)
{
	const char *why = NULL;
	int err = http_server__listen(&a->http, a->o->listen, &why);

	if (!err)
		return 0;
	if (why)
		fprintf(stderr, "loopscope agent: --listen '%s': %s\n", a->o->listen, why);
	else
		fprintf(stderr, "loopscope agent: cannot listen on %s: %s\n", a->o->listen, strerror(-err));
	return err == -EINVAL ? LS_EXIT_USAGE : LS_EXIT_OUTPUT;
}

int cmd_agent(int argc, char **argv)
{
	struct agent_opts o = {
		.stall_ms = 50, .grace_s = 60, .stall_log_rate = 20, .targets.max_procs = 256,
		.cpu_budget = 0.01,
	};
	const struct cli_command cmd = {
		agent_options, parse_agent_opt, NULL, agent_doc,
		"libbpf warnings (twice: debug)", "No start-up message",
	};
	struct agent *a;
	int rc;

	if (cli_parse(&cmd, argc, argv, &o, &o.common))
		return LS_EXIT_USAGE;
	a = calloc(1, sizeof(*a));
	if (!a)
		return LS_EXIT_FAIL;
	a->o = &o;
	ls_fleet_init(&a->fleet, (uint64_t)(o.grace_s * 1e9));
	open_causes(a);
	rc = o.stall_log ? agent_log_open(&a->log, o.stall_log, o.stall_log_rate) : 0;
	if (!rc)
		rc = listen_on(a);
	if (!rc)
		rc = start(a);
	ls_cpu_budget_init(&a->budget, o.cpu_budget, cli_own_cpu_seconds() - setup_cpu_seconds(a),
			   (double)cli_boottime_ns() / 1e9);
	if (!rc && !o.common.quiet)
		fprintf(stderr, "loopscope agent: serving http://%s/metrics (port %d)\n", o.listen,
			http_server__port(a->http));
	if (!rc)
		rc = serve(a);
	if (a->s)
		session__stop(a->s);
	session__free(a->s);
	http_server__free(a->http);
	live_syms_close(a->syms, a->dbg);
	agent_log_close(&a->log);
	free(a);
	return rc;
}
