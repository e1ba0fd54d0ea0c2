/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `loopscope agent`: traces processes in summary mode for as long as it
 * runs and serves what it measures as a Prometheus scrape (GET /metrics).
 * The live counters are collector/fleet.c's, fed by the correlator's sink;
 * viewer-export/prom.c writes the scrape; cli/http_serve.c answers it
 * between polls of the ring buffer, in this one thread. SIGINT and SIGTERM
 * end it cleanly (exit 0); so does the last traced process's exit.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "collector/correlator.h"
#include "collector/fleet.h"
#include "collector/record.h"
#include "viewer-export/prom.h"
#include "cli_util.h"
#include "commands.h"
#include "exitcodes.h"
#include "http_serve.h"
#include "procs.h"
#include "session.h"
#include "target.h"
#include "tracer.h"
#include "uvprobes.h"

struct agent_opts {
	struct target_spec targets;
	const char *listen;
	double stall_ms, grace_s;
	struct cli_common common;
};

struct agent {
	const struct agent_opts *o;
	struct session *s;
	struct http_server *http;
	struct ls_fleet fleet;
};

static const char agent_doc[] =
	"Trace processes in summary mode until stopped, and serve their loops' counters\n"
	"to Prometheus (GET /metrics; OpenMetrics when the Accept header asks for it).\n"
	"\n"
	"USAGE: loopscope agent (-p PID[,PID...] | --cgroup DIR) [--no-children]\n"
	"                       --listen ADDR:PORT [--stall-ms N] [--grace SECONDS]\n"
	"\n"
	"EXAMPLES:\n"
	"    loopscope agent --cgroup /sys/fs/cgroup/system.slice --listen 127.0.0.1:9464\n"
	"    loopscope agent -p 1234 --listen [::1]:9464\n"
	"\n"
	"Per loop thread (labels pid, tid, comm): loopscope_loop_iterations_total, the\n"
	"loopscope_loop_busy_seconds histogram (100 us to 10 s), loopscope_loop_stalls_total,\n"
	"loopscope_loop_stall_seconds_total; then loopscope_drops_total{reason}, and the\n"
	"agent's own cost. A thread that exited is scraped for --grace seconds more.\n"
	"\v" LS_EXIT_CODES_HELP;

enum { OPT_LISTEN = 1000, OPT_STALL_MS, OPT_GRACE };

static const struct argp_option agent_options[] = {
	{ "pid", 'p', "PID[,PID]", 0, "The processes to trace (repeatable), and those they fork", 0 },
	{ "cgroup", CLI_OPT_CGROUP, "DIR", 0, "Every process of this cgroup v2 directory and below it", 0 },
	{ "no-children", CLI_OPT_NO_CHILDREN, NULL, 0, "Not the processes they fork", 0 },
	{ "listen", OPT_LISTEN, "ADDR:PORT", 0, "Where to serve /metrics (required)", 0 },
	{ "stall-ms", OPT_STALL_MS, "MS", 0, "Busy time that makes a stall (default 50)", 0 },
	{ "grace", OPT_GRACE, "SECONDS", 0, "How long an exited loop thread is still scraped (default 60)", 0 },
	{},
};

static error_t parse_agent_opt(int key, char *arg, struct argp_state *state)
{
	struct agent_opts *o = state->input;

	if (cli_target_option(key, arg, state, &o->targets))
		return 0;
	switch (key) {
	case OPT_LISTEN:
		o->listen = arg;
		break;
	case OPT_STALL_MS:
		o->stall_ms = cli_number(state, "stall threshold", arg, 0.001, 3600e3);
		break;
	case OPT_GRACE:
		o->grace_s = cli_number(state, "grace period", arg, 0, 86400);
		break;
	case ARGP_KEY_ARG:
		cli_usage_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!o->targets.npids && !o->targets.cgroup)
			cli_usage_error(state, "nothing to trace: give -p PID or --cgroup DIR");
		if (!o->listen)
			cli_usage_error(state, "give --listen ADDR:PORT");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void on_iteration(void *ctx, const struct ls_thread *th, const struct ls_iteration *it)
{
	ls_fleet_iteration(&((struct agent *)ctx)->fleet, th, it);
}

static void on_thread_exit(void *ctx, const struct ls_thread *th)
{
	ls_fleet_thread_exit(&((struct agent *)ctx)->fleet, th, boottime_ns());
}

static void on_work(void *ctx, const struct ls_work_item *w, uint32_t event, uint64_t iter)
{
	(void)iter;
	ls_fleet_work(&((struct agent *)ctx)->fleet, w, event);
}

static void on_process(void *ctx, const struct ls_process *p)
{
	if (p->exited)
		ls_fleet_process_exit(&((struct agent *)ctx)->fleet, p->pid, boottime_ns());
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
	struct rusage ru;
	FILE *f;
	int err;

	tracer__stats(session__tracer(a->s), &st);
	m.drops_ring_buffer = st.rb_drops;
	m.drops_inflight_full = st.inflight_full;
	m.drops_missed_exit = st.missed_exit;
	m.targets = procs__live(session__procs(a->s));
	if (!getrusage(RUSAGE_SELF, &ru))
		m.agent_cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
				(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
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
	}
	return err;
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
		now = boottime_ns();
		if (now >= next_expiry) {
			ls_fleet_expire(&a->fleet, now);
			next_expiry = now + 1000000000ull;
		}
	}
	return 0;
}

/* Each process followed: libuv's probes, for its phases and its pool (missing libuv is fine). */
static void setup_process(void *ctx, pid_t pid)
{
	struct agent *a = ctx;
	const struct uvprobes *uv;

	if (!tracer__attach_libuv(session__tracer(a->s), pid, false, NULL, &uv) && uv->found)
		correlator__set_libuv(session__correlator(a->s), uv->version);
}

static int start(struct agent *a)
{
	const struct session_opts so = {
		.cmd = "agent", .prefix = "loopscope agent", .verb = "tracing", .targets = a->o->targets,
		.stall_threshold_ns = (uint64_t)(a->o->stall_ms * 1e6),
		.tracer = { .verbose = a->o->common.verbose, .summary_only = true },
		.ctx = a, .on_process = setup_process,
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
	struct agent_opts o = { .stall_ms = 50, .grace_s = 60 };
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
	rc = listen_on(a);
	if (!rc)
		rc = start(a);
	if (!rc && !o.common.quiet)
		fprintf(stderr, "loopscope agent: serving http://%s/metrics (port %d)\n", o.listen,
			http_server__port(a->http));
	if (!rc)
		rc = serve(a);
	if (a->s)
		session__stop(a->s);
	session__free(a->s);
	http_server__free(a->http);
	free(a);
	return rc;
}
