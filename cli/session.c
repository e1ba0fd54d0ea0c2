/* SPDX-License-Identifier: BSD-2-Clause */
/* One tracing session (session.h): checks, target, correlator, tracer, signals. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "collector/correlator.h"
#include "collector/record.h"
#include "cli_util.h"
#include "exitcodes.h"
#include "session_int.h"

/* Set by the first SIGINT, SIGTERM or SIGHUP; SA_RESETHAND lets a second one kill. */
static volatile sig_atomic_t stop_requested;
/* hup_reopens: set by each SIGHUP, taken by session__take_hup(). */
static volatile sig_atomic_t hup_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	hup_requested = 1;
}

static void install_signals(bool hup_reopens)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESETHAND };
	struct sigaction hup = { .sa_handler = on_hup, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigemptyset(&hup.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, hup_reopens ? &hup : &sa, NULL);
}

bool session__take_hup(struct session *s)
{
	(void)s;
	if (!hup_requested)
		return false;
	hup_requested = 0;
	return true;
}

static int start_target(struct session *s)
{
	const struct session_opts *o = &s->o;
	struct target *t = &s->target;
	pid_t pid = o->targets.npids ? o->targets.pids[0] : 0;
	int err;

	if (!pid && !o->cmd_argv) {	/* --cgroup or discovery alone: no first target */
		snprintf(t->name, sizeof(t->name), o->targets.cgroup ? "cgroup" : "host");
		snprintf(t->cmdline, sizeof(t->cmdline), "%s", o->targets.cgroup ? o->targets.cgroup : "");
		return 0;
	}
	err = pid ? target__attach(t, pid) : target__spawn(t, o->cmd_argv);

	if (!err && t->thread)
		fprintf(stderr, "%s: %d is a thread of process %d: %s the process\n", o->prefix,
			t->thread, t->pid, o->verb);
	if (!err)
		return 0;
	if (pid)
		session__say_attach_error(o->prefix, pid, err);
	else
		fprintf(stderr, "%s: cannot start %s: %s\n", o->prefix, o->cmd_argv[0], strerror(-err));
	return LS_EXIT_TARGET;
}

int session__open(struct session **out, const struct session_opts *o)
{
	struct session *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s) {
		fprintf(stderr, "%s: cannot set up the session: %s\n", o->prefix, strerror(ENOMEM));
		return LS_EXIT_FAIL;
	}
	s->o = *o;
	s->target.pidfd = s->target.gate_fd = -1;	/* closable before it is set */
	s->cgroup_fd = -1;
	procs__init(&s->procs);
	/* before the target: a command is not started when it cannot be traced */
	rc = cli_check_privileges(o->cmd);
	if (!rc)
		rc = cli_check_btf(o->cmd);
	if (!rc)
		rc = session__check_targets(s);
	if (!rc)
		rc = start_target(s);
	if (rc) {
		session__free(s);
		return rc;
	}
	*out = s;
	return 0;
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct session *s = ctx;

	s->events++;
	session__emit(s, data, len);
	session__track(s, data, len);
	return 0;
}

/* Names the threads that exist already, before their first event arrives. */
static void seed_thread(void *ctx, pid_t tid, const char *comm)
{
	struct session *s = ctx;
	struct ls_rec_thread rec = {
		.type = LS_REC_THREAD, .pid = (__u32)s->target.pid, .tid = (__u32)tid,
	};

	if (!s->target.pid)
		return;

	snprintf(rec.comm, sizeof(rec.comm), "%s", comm);
	correlator__push(s->corr, &rec, sizeof(rec));
}

/* CLOCK_REALTIME - CLOCK_BOOTTIME now (the records' clock); 0 if either is unreadable. */
static uint64_t unix_offset_ns(void)
{
	struct timespec real, boot;

	if (clock_gettime(CLOCK_BOOTTIME, &boot) || clock_gettime(CLOCK_REALTIME, &real))
		return 0;
	return ((uint64_t)real.tv_sec * 1000000000ull + (uint64_t)real.tv_nsec) -
	       ((uint64_t)boot.tv_sec * 1000000000ull + (uint64_t)boot.tv_nsec);
}

int session__start(struct session *s, const struct ls_sink *sink)
{
	struct correlator_opts co = { .stall_threshold_ns = s->o.stall_threshold_ns };
	struct tracer_opts to = s->o.tracer;
	int err;

	if (sink)
		co.sink = *sink;
	s->corr = correlator__new(&co);
	if (!s->corr) {
		fprintf(stderr, "%s: cannot set up the correlator: %s\n", s->o.prefix, strerror(ENOMEM));
		return LS_EXIT_FAIL;
	}
	correlator__set_clock(s->corr, unix_offset_ns());
	install_signals(s->o.hup_reopens);
	if (s->o.seed_threads && !s->target.spawned)
		target__threads(&s->target, seed_thread, s);
	to.pid = s->target.pid ? s->target.pid : LS_NO_TGID;	/* -p of a thread: its process */
	to.follow_children = !s->o.targets.no_children;
	to.follow_procs = to.follow_children || s->o.targets.npids > 1 || s->cgroup_fd >= 0 ||
			  target_spec_discovers(&s->o.targets);
	to.cgroup_id = s->cgroup_id;
	to.cgroup_level = s->cgroup_level;
	to.join_at_wait = target_spec_discovers(&s->o.targets);
	to.join_any = to.join_at_wait && s->cgroup_fd < 0;
	to.join_comms = s->o.targets.comms;
	to.join_ncomms = s->o.targets.ncomms;
	to.max_procs = s->o.targets.max_procs;
	to.on_record = on_record;
	to.ctx = s;
	to.btf_path = getenv("LOOPSCOPE_BTF");
	err = tracer__start(&s->tracer, &to);
	if (err)
		return tracer__start_error(s->o.prefix, err);
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	correlator__set_start(s->corr, cli_boottime_ns());
	session__add_found(s);
	if (s->target.spawned && (err = target__release(&s->target))) {
		fprintf(stderr, "%s: cannot run %s: %s\n", s->o.prefix, s->o.cmd_argv[0], strerror(-err));
		return LS_EXIT_TARGET;
	}
	return 0;
}

/*
 * Every process followed has exited (as strace -f waits): the first target
 * and the rest. A cgroup's session goes on until -d or a signal: its next
 * process may start at any time; so does a discovering one's.
 */
bool session__stopping(struct session *s)
{
	struct proc_entry *root;

	if (stop_requested)
		return true;
	if (s->cgroup_fd >= 0 || target_spec_discovers(&s->o.targets) ||
	    (s->target.pid && !target__exited(&s->target)))
		return false;
	if (s->target.pid && (root = procs__find(&s->procs, s->target.pid)))
		root->exited = true;	/* reaped: its exit record may still be in the ring */
	if (session__elapsed(s) >= s->next_reap) {	/* an exit record lost to a full ring */
		procs__reap(&s->procs);
		s->next_reap = session__elapsed(s) + 1.0;
	}
	return procs__live(&s->procs) == 0;
}

int session__poll(struct session *s, int timeout_ms)
{
	int err = tracer__poll(s->tracer, timeout_ms);

	return err < 0 ? err : 0;
}

int session__poll_error(const struct session *s, int err)
{
	fprintf(stderr, "%s: reading the ring buffer: %s\n", s->o.prefix, strerror(-err));
	return LS_EXIT_FAIL;
}

void session__wait_exec(const struct session *s)
{
	struct timespec tick = { 0, 2 * 1000 * 1000 };
	char self[4096], exe[4096], path[64];
	ssize_t n;
	int i;

	if (!s->target.spawned)
		return;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/exe", s->target.pid);
	/* until the child is no longer a copy of us: its exec is done */
	for (i = 0; i < 500; i++) {
		n = readlink(path, exe, sizeof(exe) - 1);
		if (n <= 0 || (exe[n] = '\0', strcmp(exe, self)))
			break;
		nanosleep(&tick, NULL);
	}
	/* let the dynamic loader map the libraries before we look for libuv */
	tick.tv_nsec = 10 * 1000 * 1000;
	nanosleep(&tick, NULL);
}

void session__stop(struct session *s)
{
	int err = tracer__stop(s->tracer);

	if (err)
		fprintf(stderr, "%s: draining the ring buffer: %s\n", s->o.prefix, strerror(-err));
	correlator__finish(s->corr);
}

void session__free(struct session *s)
{
	if (!s)
		return;
	tracer__free(s->tracer);
	target__stop(&s->target, 2000);
	target__close(&s->target);
	correlator__free(s->corr);
	procs__free(&s->procs);
	if (s->cgroup_fd >= 0)
		close(s->cgroup_fd);
	free(s);
}

const struct target *session__target(const struct session *s)
{
	return &s->target;
}

const struct procs *session__procs(const struct session *s)
{
	return &s->procs;
}

struct correlator *session__correlator(const struct session *s)
{
	return s->corr;
}

struct tracer *session__tracer(const struct session *s)
{
	return s->tracer;
}

uint64_t session__events(const struct session *s)
{
	return s->events;
}

double session__elapsed(const struct session *s)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - s->started.tv_sec) +
	       (double)(now.tv_nsec - s->started.tv_nsec) / 1e9;
}
