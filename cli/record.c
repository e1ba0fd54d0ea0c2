/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `loopscope record`: wires target -> tracer -> correlator -> exporters.
 * Only this layer maps errors to exit codes (cli/exitcodes.h).
 */
#include <argp.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "collector/correlator.h"
#include "collector/symbolize.h"
#include "viewer-export/folded.h"
#include "viewer-export/pftrace.h"
#include "viewer-export/summary_json.h"
#include "viewer-export/summary_text.h"
#include "viewer-export/text_escape.h"
#include "viewer-export/trace_export.h"
#include "cli_util.h"
#include "commands.h"
#include "exitcodes.h"
#include "output.h"
#include "rawfile.h"
#include "target.h"
#include "tracer.h"

#define DEFAULT_OUTPUT "loopscope.pftrace"

struct record_opts {
	pid_t pid;
	char **cmd;
	const char *output;
	const char *summary;
	double duration_s;
	double stall_ms;
	int verbose;
	bool quiet;
	bool no_compress;
	bool no_libuv;
	unsigned sample_hz;
	const char *folded;
	bool js_callbacks;
	const char *raw;
	bool output_set;
	bool summary_only;	/* --summary without -o: no trace, in-kernel aggregation */
};

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
	/* a second Ctrl-C kills us the usual way */
	signal(sig, SIG_DFL);
}

static const char record_doc[] =
	"Trace the event loops of a process into a Perfetto trace.\n"
	"\n"
	"USAGE: loopscope record (-p PID | -- CMD [ARGS...]) [-o FILE] [-d SECONDS]\n"
	"                        [--stall-ms N] [--summary FILE.json]\n"
	"\n"
	"EXAMPLES:\n"
	"    loopscope record -p 1234 -d 10          # trace PID 1234 for 10 s\n"
	"    loopscope record -o srv.pftrace -- ./server --port 8080\n"
	"                                            # start and trace a command\n"
	"    loopscope record -p 1234 --stall-ms 20 --summary s.json\n"
	"                                            # stalls are busy >= 20 ms\n"
	"\n"
	"Recording stops after -d, on Ctrl-C or SIGTERM, or when the target exits.\n"
	"The trace opens in https://ui.perfetto.dev.\n"
	"\v" LS_EXIT_CODES_HELP;

enum { OPT_STALL_MS = 1000, OPT_SUMMARY, OPT_NO_COMPRESS, OPT_NO_LIBUV, OPT_SAMPLE_HZ,
       OPT_FOLDED, OPT_JS_CALLBACKS, OPT_RAW };

static const struct argp_option record_options[] = {
	{ "pid", 'p', "PID", 0, "Trace this running process", 0 },
	{ "output", 'o', "FILE", 0, "Perfetto trace to write (default " DEFAULT_OUTPUT ")", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after this long (default: until Ctrl-C or exit)", 0 },
	{ "stall-ms", OPT_STALL_MS, "MS", 0, "Busy time that makes a stall (default 50)", 0 },
	{ "summary", OPT_SUMMARY, "FILE", 0, "Write the summary as JSON; without -o, only the summary "
	  "(summary mode: most syscalls counted in the kernel, no trace)", 0 },
	{ "no-compress", OPT_NO_COMPRESS, NULL, 0, "Write the trace without zlib packets", 0 },
	{ "no-libuv", OPT_NO_LIBUV, NULL, 0, "Do not probe libuv (phases, thread pool); "
	  "they cost ~3 us per loop iteration and work item", 0 },
	{ "js-callbacks", OPT_JS_CALLBACKS, NULL, 0, "node: a slice per JS callback entered from native "
	  "code (a uprobe per callback: ~3 us each, costly on busy servers)", 0 },
	{ "sample-hz", OPT_SAMPLE_HZ, "HZ", 0, "On-CPU stack samples per second per CPU (default 99, 0 = off)", 0 },
	{ "raw", OPT_RAW, "FILE", 0, "Also save the raw record stream, for `loopscope replay`", 0 },
	{ "folded", OPT_FOLDED, "FILE", 0, "Also write on-CPU stacks in folded (flamegraph) format", 0 },
	{ "verbose", 'v', NULL, 0, "More diagnostics (twice: libbpf debug)", 0 },
	{ "quiet", 'q', NULL, 0, "No status line or end summary", 0 },
	CLI_HELP_OPTION,
	{},
};

/*
 * Every file this run writes, and the command it starts when named by a
 * path: no output may replace another, or the program being traced.
 */
static void check_record_paths(const struct argp_state *state, const struct record_opts *o)
{
	const struct path_use u[] = {
		{ o->summary_only ? NULL : o->output, o->output_set ? "-o" : "the trace (default -o)", true },
		{ o->summary, "--summary", true },
		{ o->folded, "--folded", true },
		{ o->raw, "--raw", true },
		{ o->cmd && strchr(o->cmd[0], '/') ? o->cmd[0] : NULL, "the command", false },
	};

	cli_distinct_paths(state, u, sizeof(u) / sizeof(u[0]));
}

static error_t parse_record_opt(int key, char *arg, struct argp_state *state)
{
	struct record_opts *o = state->input;

	switch (key) {
	case 'p':
		o->pid = (pid_t)cli_integer(state, "PID", arg, 1, 4194304);
		break;
	case 'o':
		if (!*arg)
			cli_usage_error(state, "empty output file name");
		o->output = arg;
		o->output_set = true;
		break;
	case 'd':
		o->duration_s = cli_number(state, "duration", arg, 0.001, 365.0 * 86400);
		break;
	case OPT_STALL_MS:
		o->stall_ms = cli_number(state, "stall threshold", arg, 0.001, 3600.0 * 1000);
		break;
	case OPT_SUMMARY:
		o->summary = arg;
		break;
	case OPT_NO_COMPRESS:
		o->no_compress = true;
		break;
	case OPT_NO_LIBUV:
		o->no_libuv = true;
		break;
	case OPT_SAMPLE_HZ:
		o->sample_hz = (unsigned)cli_integer(state, "sample rate", arg, 0, 10000);
		break;
	case OPT_FOLDED:
		o->folded = arg;
		break;
	case OPT_JS_CALLBACKS:
		o->js_callbacks = true;
		break;
	case OPT_RAW:
		if (!*arg)
			cli_usage_error(state, "empty raw file name");
		o->raw = arg;
		break;
	case 'v':
		o->verbose++;
		break;
	case 'q':
		o->quiet = true;
		break;
	case ARGP_KEY_ARG:
		cli_usage_error(state, "unexpected argument '%s' (put the command after --)", arg);
		break;
	case ARGP_KEY_END:
		if (!o->pid && !o->cmd)
			cli_usage_error(state, "nothing to trace: give -p PID or -- CMD");
		if (o->js_callbacks && o->no_libuv)
			cli_usage_error(state, "--js-callbacks needs the libuv probes: drop --no-libuv");
		if (o->pid && o->cmd)
			cli_usage_error(state, "-p and -- CMD conflict: give one target");
		o->summary_only = o->summary && !o->output_set && !o->folded;
		check_record_paths(state, o);
		break;
	case 'h':
		cli_help(state);
	case ARGP_KEY_ERROR:
		cli_bad_option(state);
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

struct recording {
	const struct record_opts *o;
	struct target target;
	struct tracer *tracer;
	struct correlator *corr;
	struct output trace_out;
	struct pftrace *pf;
	struct trace_export *te;
	struct symbolizer *sym;
	struct folded *folded;
	struct output raw_out;
	FILE *raw;
	int raw_err;
	uint64_t events;
	struct timespec started;
};

static int on_record(void *ctx, void *data, size_t len)
{
	struct recording *r = ctx;

	r->events++;
	/* the overflowing thread may be gone soon: name its JIT frames while we can */
	if (*(__u32 *)data == LS_REC_OVERFLOW && r->sym)
		symbolizer__refresh(r->sym);
	if (r->raw && !r->raw_err)
		r->raw_err = rawfile__write(r->raw, data, len);
	correlator__push(r->corr, data, len);	/* rejects are counted in the summary */
	return 0;
}

static int open_raw(struct recording *r)
{
	int err = output__fopen(&r->raw_out, r->o->raw, &r->raw);

	if (!err) {
		setvbuf(r->raw, NULL, _IOFBF, 1 << 20);
		err = rawfile__write_header(r->raw);
	}
	if (!err)
		return 0;
	fprintf(stderr, "loopscope: cannot create %s: %s\n", r->o->raw, output__strerror(err));
	return cli_write_exit(err);
}

static int finish_raw(struct recording *r)
{
	int err = output__fclose(&r->raw_out, r->raw, r->raw_err);

	r->raw = NULL;
	if (!err)
		return 0;
	fprintf(stderr, "loopscope: writing %s: %s\n", r->o->raw, output__strerror(err));
	return LS_EXIT_OUTPUT;
}

static double elapsed_s(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

static void status_line(struct recording *r)
{
	const struct ls_summary *s = correlator__summary(r->corr);
	struct ls_stats st;
	uint64_t stalls = 0;
	uint32_t i, loops = 0;

	tracer__stats(r->tracer, &st);
	for (i = 0; i < s->nloops; i++) {
		loops += s->loops[i]->iterations > 0;
		stalls += s->loops[i]->stalls;
	}
	fprintf(stderr, "\r\033[Kloopscope: %.0f s, %" PRIu64 " events, %" PRIu64
		" drops, %u loops, %" PRIu64 " stalls", elapsed_s(&r->started), r->events,
		(uint64_t)(st.rb_drops + st.inflight_full), loops, stalls);
}

static int resolve_frame(void *ctx, uint64_t ip, bool kernel, struct ls_frame_info *out)
{
	struct recording *r = ctx;

	return r->sym ? symbolizer__resolve(r->sym, ip, kernel, out) : -ENOENT;
}

static int open_trace(struct recording *r)
{
	struct pftrace_opts po = { .compress = !r->o->no_compress };
	struct trace_export_opts teo = {
		.pid = (uint32_t)r->target.pid,
		.process_name = r->target.name,
		.cmdline = r->target.cmdline,
		.stall_threshold_ns = (uint64_t)(r->o->stall_ms * 1e6),
		.resolve = resolve_frame, .resolve_ctx = r,
	};
	int err = output__open(&r->trace_out, r->o->output);

	if (!err && r->o->folded) {
		r->folded = folded__new(&(struct folded_opts){ .annotate = true });
		teo.folded = r->folded;
		if (!r->folded)
			err = -ENOMEM;
	}

	if (err) {
		fprintf(stderr, "loopscope: cannot create %s: %s\n", r->o->output, output__strerror(err));
		return cli_write_exit(err);
	}
	r->pf = pftrace__new(r->trace_out.fd, &po);
	r->te = r->pf ? trace_export__new(r->pf, &teo) : NULL;
	if (!r->te) {
		fprintf(stderr, "loopscope: cannot set up the trace writer: %s\n", strerror(ENOMEM));
		return LS_EXIT_FAIL;
	}
	return 0;
}

static int start_target(struct recording *r)
{
	const struct record_opts *o = r->o;
	int err = o->pid ? target__attach(&r->target, o->pid) : target__spawn(&r->target, o->cmd);

	if (!err && r->target.thread)
		fprintf(stderr, "loopscope: %d is a thread of process %d: tracing the process\n",
			r->target.thread, r->target.pid);
	if (!err)
		return 0;
	if (err == -ESRCH)
		fprintf(stderr, "loopscope: no such process: %d\n", o->pid);
	else if (err == -EPERM)
		fprintf(stderr, "loopscope: PID %d is a kernel thread: it runs no event loop\n", o->pid);
	else if (err == -EDEADLK)
		fprintf(stderr, "loopscope: PID %d is loopscope itself\n", o->pid);
	else if (o->pid)
		fprintf(stderr, "loopscope: cannot inspect PID %d: %s\n", o->pid, strerror(-err));
	else
		fprintf(stderr, "loopscope: cannot start %s: %s\n", o->cmd[0], strerror(-err));
	return LS_EXIT_TARGET;
}

/* Names the threads that exist already, before their first event arrives. */
static void seed_thread(void *ctx, pid_t tid, const char *comm)
{
	struct recording *r = ctx;
	struct ls_rec_thread rec = {
		.type = LS_REC_THREAD, .pid = (__u32)r->target.pid, .tid = (__u32)tid,
	};

	snprintf(rec.comm, sizeof(rec.comm), "%s", comm);
	correlator__push(r->corr, &rec, sizeof(rec));
}

static int start_tracer(struct recording *r)
{
	struct tracer_opts to = {
		.pid = r->target.pid, .on_record = on_record, .ctx = r,
		.verbose = r->o->verbose, .btf_path = getenv("LOOPSCOPE_BTF"),
		.sample_hz = r->o->sample_hz, .offcpu_min_ns = 1000000,
		.summary_only = r->o->summary_only,
	};
	int err = tracer__start(&r->tracer, &to);

	return err ? tracer__start_error("loopscope", err) : 0;
}

static void wait_for_exec(struct recording *r)
{
	struct timespec tick = { 0, 2 * 1000 * 1000 };
	char self[4096], exe[4096], path[64];
	ssize_t n;
	int i;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/exe", r->target.pid);
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

/* libuv is optional: report what was found and go on with what works. */
static void attach_libuv(struct recording *r)
{
	char path[LS_ESC_SIZE(sizeof(((struct uvprobes *)0)->path))];
	const struct uvprobes *uv;
	int err;

	if (r->o->no_libuv)
		return;
	err = tracer__attach_libuv(r->tracer, r->o->js_callbacks, &uv);
	if (err == -ENOENT || err == -ESRCH)
		return;	/* the target is already gone */
	if (err)
		fprintf(stderr, "loopscope: libuv probes: %s; recording syscalls only\n", strerror(-err));
	correlator__set_libuv(r->corr, uv->version);
	if (r->o->quiet || err)
		return;
	if (!uv->found) {
		if (r->o->verbose)
			fprintf(stderr, "loopscope: no libuv in PID %d: generic epoll tier only\n",
				r->target.pid);
		return;
	}
	fprintf(stderr, "loopscope: libuv %u.%u.%u in %s: %u/5 phase probes, %u/12 thread-pool "
		"probes%s%s%s%s\n", uv->version >> 16, (uv->version >> 8) & 0xff, uv->version & 0xff,
		ls_esc_str(LS_ESC_TEXT, path, sizeof(path), uv->path, strlen(uv->path)),
		uv->nphases, uv->nwork, uv->js_callbacks ? ", JS callbacks" : "",
		uv->nphases ? "" : " (phases unavailable)",
		uv->missing[0] ? "; missing: " : "", uv->missing);
}

static bool should_stop(struct recording *r)
{
	if (exiting)
		return true;
	if (r->o->duration_s && elapsed_s(&r->started) >= r->o->duration_s)
		return true;
	return target__exited(&r->target);
}

static int run_loop(struct recording *r)
{
	bool tty = isatty(STDERR_FILENO) && !r->o->quiet;
	double next_status = 1.0;
	int err;

	while (!should_stop(r)) {
		err = tracer__poll(r->tracer, 100);
		if (err < 0) {
			fprintf(stderr, "loopscope: reading the ring buffer: %s\n", strerror(-err));
			return LS_EXIT_FAIL;
		}
		if (r->pf && pftrace__err(r->pf))
			break;
		if (elapsed_s(&r->started) >= next_status) {
			/* new JIT code and libraries: keep names current while the target lives */
			if (r->sym)
				symbolizer__refresh(r->sym);
			if (tty)
				status_line(r);
			next_status += 1.0;
		}
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
	return 0;
}

struct summary_job {
	const struct ls_summary *s;
	const struct summary_json_meta *m;
};

static int summary_writer(FILE *f, void *ctx)
{
	const struct summary_job *j = ctx;

	return summary_json__write(f, j->s, j->m);
}

static int write_summary_json(struct recording *r, const struct ls_export_stats *drops)
{
	struct summary_json_meta m = {
		.pid = (uint32_t)r->target.pid, .command = r->target.cmdline,
		.duration_ns = (uint64_t)(elapsed_s(&r->started) * 1e9),
		.drops = *drops, .trace_path = r->o->output, .version = LS_VERSION,
		.corr = r->corr, .resolve = resolve_frame, .resolve_ctx = r,
	};
	struct summary_job j = { correlator__summary(r->corr), &m };

	return cli_write_output("loopscope", r->o->summary, summary_writer, &j);
}

/* folded__write carries the failed write's errno itself */
static int folded_writer(FILE *f, void *ctx)
{
	return folded__write(ctx, f);
}

static int finish_trace(struct recording *r, const struct ls_export_stats *es)
{
	int err = cli_finish_trace(r->te, r->pf, es);
	int cerr = output__commit(&r->trace_out);

	if (err) {
		fprintf(stderr, "loopscope: writing %s: %s; the trace is cut short there\n",
			r->o->output, output__strerror(err));
		return cli_write_exit(err);
	}
	if (cerr) {
		fprintf(stderr, "loopscope: cannot finish %s: %s\n", r->o->output, output__strerror(cerr));
		return LS_EXIT_OUTPUT;
	}
	return 0;
}

/* A target file the trust rules refused, always; with -v, how to get missing names. */
static void print_symbol_note(const struct recording *r)
{
	struct symbolizer_stats st;
	const char *note;

	if (!r->sym)
		return;
	symbolizer__stats(r->sym, &st);
	note = r->o->verbose ? symbolizer__hint(&st) : symbolizer__refusal(&st);
	if (note)
		fprintf(stderr, "loopscope: symbols: %s\n", note);
}

static int finish(struct recording *r)
{
	struct ls_export_stats es = {};
	struct summary_text_meta tm = {};
	struct ls_stats st;
	int err, rc = 0;

	err = tracer__stop(r->tracer);
	if (err)
		fprintf(stderr, "loopscope: draining the ring buffer: %s\n", strerror(-err));
	correlator__finish(r->corr);
	if (r->sym)
		symbolizer__refresh(r->sym);	/* the last JIT code, for the names below */
	tracer__stats(r->tracer, &st);
	es.rb_drops = st.rb_drops;
	es.inflight_full = st.inflight_full;
	es.missed_exit = st.missed_exit;
	es.bad_records = correlator__summary(r->corr)->bad_records;
	if (r->te)
		rc = finish_trace(r, &es);
	if (r->o->summary && (err = write_summary_json(r, &es)) && !rc)
		rc = err;
	if (r->o->folded && (err = cli_write_output("loopscope", r->o->folded, folded_writer,
						     r->folded)) && !rc)
		rc = err;
	if (r->raw && finish_raw(r) && !rc)
		rc = LS_EXIT_OUTPUT;
	if (!r->o->quiet) {
		tm.rb_drops = st.rb_drops;
		tm.other_drops = st.inflight_full + st.missed_exit;
		tm.events = r->events;
		tm.duration_s = elapsed_s(&r->started);
		tm.trace_path = r->te ? r->o->output : NULL;
		tm.summary_path = r->o->summary;
		tm.corr = r->corr;
		tm.resolve = resolve_frame;
		tm.resolve_ctx = r;
		summary_text__write(stderr, correlator__summary(r->corr), &tm);
		print_symbol_note(r);
	}
	return rc;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int record(const struct record_opts *o)
{
	struct correlator_opts co = { .stall_threshold_ns = (uint64_t)(o->stall_ms * 1e6) };
	struct recording r = { .o = o };
	char name[LS_ESC_SIZE(sizeof(r.target.name))];
	int rc, err;

	r.trace_out.fd = -1;
	r.raw_out.fd = -1;
	rc = cli_check_privileges("record");
	if (!rc)
		rc = cli_check_btf("record");
	if (!rc)
		rc = start_target(&r);
	if (rc)
		return rc;
	if (o->raw && (rc = open_raw(&r)))
		goto out;
	if (!o->summary_only) {
		rc = open_trace(&r);
		if (rc)
			goto out;
		co.sink = trace_export__sink(r.te);
	}
	r.corr = correlator__new(&co);
	if (!r.corr) {
		fprintf(stderr, "loopscope: cannot set up the correlator: %s\n", strerror(ENOMEM));
		rc = LS_EXIT_FAIL;
		goto out;
	}
	install_signals();
	if (!r.target.spawned)
		target__threads(&r.target, seed_thread, &r);
	rc = start_tracer(&r);
	if (rc)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &r.started);
	if (r.target.spawned && (err = target__release(&r.target))) {
		fprintf(stderr, "loopscope: cannot run %s: %s\n", o->cmd[0], strerror(-err));
		rc = LS_EXIT_TARGET;
		goto out;
	}
	if (!o->quiet)
		fprintf(stderr, "loopscope: tracing PID %d (%s)%s... Ctrl-C to stop\n",
			r.target.pid, ls_esc_str(LS_ESC_TEXT, name, sizeof(name), r.target.name,
						 strlen(r.target.name)),
			o->duration_s ? " for the duration" : "");
	if (r.target.spawned)
		wait_for_exec(&r);
	/* now, while the code is mapped: a target may die (of an overflow) at once */
	r.sym = symbolizer__new(r.target.pid, NULL);	/* NULL: frames stay addresses */
	attach_libuv(&r);
	rc = run_loop(&r);
	if (!rc)
		rc = finish(&r);
out:
	if (r.trace_out.fd >= 0)
		output__abort(&r.trace_out);
	if (r.raw)
		fclose(r.raw);
	if (r.raw_out.fd >= 0)
		output__abort(&r.raw_out);
	tracer__free(r.tracer);
	target__stop(&r.target, 2000);
	target__close(&r.target);
	correlator__free(r.corr);
	trace_export__free(r.te);
	symbolizer__free(r.sym);
	folded__free(r.folded);
	pftrace__free(r.pf);
	return rc;
}

int cmd_record(int argc, char **argv)
{
	struct record_opts o = { .output = DEFAULT_OUTPUT, .stall_ms = 50, .sample_hz = 99 };
	struct argp argp = { record_options, parse_record_opt, NULL, record_doc };
	int i;

	/* everything after "--" is the command, argp must not see its options */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "loopscope record: -- needs a command after it\n");
				return LS_EXIT_USAGE;
			}
			o.cmd = &argv[i + 1];
			argc = i;
			break;
		}
	}
	argp_err_exit_status = LS_EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, ARGP_NO_ERRS | ARGP_NO_HELP, NULL, &o))
		return LS_EXIT_USAGE;
	return record(&o);
}
