/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `loopscope record`: a session (session.c: target -> tracer -> correlator)
 * feeding the exporters, then the outputs. Its options are record_opts.c.
 * Only cli/ maps errors to exit codes (cli/exitcodes.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "collector/correlator.h"
#include "collector/debuginfo.h"
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
#include "fd_paths.h"
#include "work_names.h"
#include "output.h"
#include "proc_syms.h"
#include "procs.h"
#include "rawfile.h"
#include "record_notes.h"
#include "record_opts.h"
#include "session.h"
#include "target.h"
#include "tracer.h"
#include "user_stacks.h"

struct recording {
	const struct record_opts *o;
	struct session *s;
	const struct target *target;	/* the session's */
	struct correlator *corr;	/* the session's */
	struct output trace_out;
	struct pftrace *pf;
	struct trace_export *te;
	struct proc_syms *syms;		/* a symbolizer per process */
	unsigned uv_full;		/* processes past LS_MAX_UV_PROCS, not probed */
	struct debuginfo *dbg;		/* debug files of stripped modules, for the symbolizer */
	struct folded *folded;
	struct output raw_out;
	FILE *raw;
	int raw_err;
	struct fd_paths *paths;		/* names of the stored files used */
	struct work_names *work_names;	/* kinds of pool items, from the symbols */
};

/* A record of our own, into the stream: the raw capture and the correlator, as on_record does. */
static void push_own(struct recording *r, const void *rec, size_t len)
{
	if (r->raw && !r->raw_err)
		r->raw_err = rawfile__write(r->raw, rec, len);
	correlator__push(session__correlator(r->s), rec, len);
}

/* Each record, before the correlator: the raw capture, and names that may not last. */
static int on_record(void *ctx, void *data, size_t len)
{
	struct recording *r = ctx;

	__u32 type = *(__u32 *)data;
	struct ls_rec_work_name names[WORK_NAMES_PER_SUBMIT];
	struct ls_rec_fd_path path;
	unsigned i, n;

	/* a file's path goes first, so its calls find it: read now, while its fd may be open */
	if (type == LS_REC_SYSCALL && len == sizeof(struct ls_rec_syscall) &&
	    fd_paths__name(r->paths, data, &path))
		push_own(r, &path, sizeof(path));
	/* symbols first: a child's are re-read at its first stack or pool item after exec */
	if (r->syms)
		proc_syms__on_record(r->syms, data, len);
	/* so do the names of a pool item's kind (the process may exit before the end) */
	n = work_names__name(r->work_names, r->syms, data, len, names);
	for (i = 0; i < n; i++)
		push_own(r, &names[i], sizeof(names[i]));
	if (r->raw && !r->raw_err)
		r->raw_err = rawfile__write(r->raw, data, len);
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

static void status_line(struct recording *r)
{
	const struct ls_summary *s = correlator__summary(r->corr);
	struct ls_stats st;
	uint64_t stalls = 0;
	uint32_t i, loops = 0;

	tracer__stats(session__tracer(r->s), &st);
	for (i = 0; i < s->nloops; i++) {
		loops += s->loops[i]->iterations > 0;
		stalls += s->loops[i]->stalls;
	}
	fprintf(stderr, "\r\033[Kloopscope: %.0f s, %" PRIu64 " events, %" PRIu64
		" drops, %u loops, %" PRIu64 " stalls", session__elapsed(r->s), session__events(r->s),
		(uint64_t)(st.rb_drops + st.inflight_full), loops, stalls);
}

/* A frame of process pid, by that process's symbolizer. */
static int resolve_frame(void *ctx, uint32_t pid, uint64_t ip, bool kernel, struct ls_frame_info *out)
{
	struct recording *r = ctx;

	return r->syms ? proc_syms__resolve(r->syms, pid, ip, kernel, out) : -ENOENT;
}

static int open_trace(struct recording *r)
{
	struct pftrace_opts po = { .compress = !r->o->no_compress };
	struct trace_export_opts teo = {
		.pid = (uint32_t)r->target->pid,
		.process_name = r->target->name,
		.cmdline = r->target->cmdline,
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
		fprintf(stderr, "loopscope: cannot set up the trace writer: %s (out of memory: a memory "
			"limit? ulimit -v, the memory cgroup)\n", strerror(ENOMEM));
		return LS_EXIT_FAIL;
	}
	return 0;
}

/* The end of the libuv line: where a stripped libuv's hidden names came from. */
static void print_libuv_symbols(const struct uvprobes *uv)
{
	char from[LS_ESC_SIZE(sizeof(uv->symbols))];

	if (uv->symbols[0])
		fprintf(stderr, "; symbols: %s", ls_esc_str(LS_ESC_TEXT, from, sizeof(from),
							    uv->symbols, strlen(uv->symbols)));
	fputc('\n', stderr);
}

/*
 * libuv is optional: report what was found and go on with what works.
 * Said for the first target, and for a later process only when it has
 * libuv (a fork storm of shells says nothing).
 */
static void attach_libuv(struct recording *r, pid_t pid)
{
	char path[LS_ESC_SIZE(sizeof(((struct uvprobes *)0)->path))];
	const struct uvprobes *uv;
	int err;

	err = tracer__attach_libuv(session__tracer(r->s), pid, r->o->js_callbacks, r->dbg, &uv);
	if (err == -ENOENT || err == -ESRCH)
		return;	/* the process is already gone */
	if (err == -ENOSPC) {
		if (!r->uv_full++)
			fprintf(stderr, "loopscope: libuv probes: %d processes probed already; PID %d and "
				"later ones get syscalls and stacks only\n", LS_MAX_UV_PROCS, pid);
		return;
	}
	if (err)
		fprintf(stderr, "loopscope: libuv probes in PID %d: %s; recording syscalls only\n",
			pid, strerror(-err));
	if (uv->found)
		correlator__set_libuv(r->corr, uv->version);
	if (r->o->common.quiet || err)
		return;
	if (!uv->found) {
		if (r->o->common.verbose)
			fprintf(stderr, "loopscope: no libuv in PID %d: generic epoll tier only\n", pid);
		return;
	}
	fprintf(stderr, "loopscope: libuv %u.%u.%u in ", uv->version >> 16, (uv->version >> 8) & 0xff,
		uv->version & 0xff);
	if (pid != r->target->pid)
		fprintf(stderr, "PID %d ", pid);
	fprintf(stderr, "%s: %u/5 phase probes, %u/12 thread-pool "
		"probes%s%s%s%s",
		ls_esc_str(LS_ESC_TEXT, path, sizeof(path), uv->path, strlen(uv->path)),
		uv->nphases, uv->nwork, uv->js_callbacks ? ", JS callbacks" : "",
		uv->nphases ? "" : " (phases unavailable)",
		uv->missing[0] ? "; missing: " : "", uv->missing);
	print_libuv_symbols(uv);
}

static bool should_stop(struct recording *r)
{
	if (session__stopping(r->s))
		return true;
	return r->o->duration_s && session__elapsed(r->s) >= r->o->duration_s;
}

static int run_loop(struct recording *r)
{
	bool tty = isatty(STDERR_FILENO) && !r->o->common.quiet;
	double next_status = 1.0;
	int err;

	while (!should_stop(r)) {
		err = session__poll(r->s, 100);
		if (err)
			return session__poll_error(r->s, err);
		if (r->pf && pftrace__err(r->pf))
			break;
		if (session__elapsed(r->s) >= next_status) {
			/* new JIT code and libraries: keep names current while the target lives */
			if (r->syms)
				proc_syms__refresh(r->syms);
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
		.pid = (uint32_t)r->target->pid, .command = r->target->cmdline,
		.duration_ns = (uint64_t)(session__elapsed(r->s) * 1e9),
		.drops = *drops, .trace_path = r->o->output, .version = LS_VERSION,
		.label = r->o->label, .corr = r->corr, .resolve = resolve_frame, .resolve_ctx = r,
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

/* Every output in turn, even after one failed; the exit code is the first failure's. */
static int write_outputs(struct recording *r, const struct ls_export_stats *es)
{
	int err, rc = 0;

	if (r->te)
		rc = finish_trace(r, es);
	if (r->o->summary && (err = write_summary_json(r, es)) && !rc)
		rc = err;
	if (r->o->folded && (err = cli_write_output("loopscope", r->o->folded, folded_writer,
						     r->folded)) && !rc)
		rc = err;
	if (r->raw && (err = finish_raw(r)) && !rc)
		rc = err;
	return rc;
}

static void print_summary(struct recording *r, const struct ls_stats *st)
{
	struct summary_text_meta tm = {
		.rb_drops = st->rb_drops,
		.other_drops = st->inflight_full + st->missed_exit,
		.events = session__events(r->s),
		.duration_s = session__elapsed(r->s),
		.trace_path = r->te ? r->o->output : NULL,
		.summary_path = r->o->summary,
		.corr = r->corr, .resolve = resolve_frame, .resolve_ctx = r,
	};

	const struct record_notes notes = {
		.syms = r->syms, .dbg = r->dbg, .tracer = session__tracer(r->s),
		.procs = session__procs(r->s), .st = st, .verbose = r->o->common.verbose,
	};

	summary_text__write(stderr, correlator__summary(r->corr), &tm);
	record_notes__print(&notes);
}

static int finish(struct recording *r)
{
	struct ls_export_stats es = {};
	struct ls_stats st;
	int rc;

	session__stop(r->s);
	if (r->syms)
		proc_syms__refresh(r->syms);	/* the last JIT code, for the names below */
	tracer__stats(session__tracer(r->s), &st);
	es.rb_drops = st.rb_drops;
	es.inflight_full = st.inflight_full;
	es.missed_exit = st.missed_exit;
	es.bad_records = correlator__summary(r->corr)->bad_records;
	rc = write_outputs(r, &es);
	if (!r->o->common.quiet)
		print_summary(r, &st);
	return rc;
}

/* The target is known (the trace names it) and held: the outputs, then the tracing. */
static int start(struct recording *r)
{
	struct ls_sink sink;
	int rc = 0;

	if (r->o->raw)
		rc = open_raw(r);
	if (!rc && !r->o->summary_only) {
		rc = open_trace(r);
		if (!rc)
			sink = trace_export__sink(r->te);
	}
	return rc ? rc : session__start(r->s, r->o->summary_only ? NULL : &sink);
}

/* "101 nginx, 102 nginx", the first few processes after the first target. */
#define SAY_MAX_PROCS	8

static void say_others(const struct recording *r, const struct procs *ps, unsigned n)
{
	char comm[LS_ESC_SIZE(LS_COMM_LEN)];
	unsigned said = 0;
	size_t i;

	fprintf(stderr, "%s%u %s process%s (", r->target->pid ? " and " : "", n,
		r->target->pid ? "more" : "", n == 1 ? "" : "es");
	for (i = 0; i < ls_table_cap(&ps->t) && said < SAY_MAX_PROCS; i++) {
		const struct proc_entry *e = ls_table_slot(&ps->t, i);

		if (!e || e->pid == r->target->pid || e->exited)
			continue;
		fprintf(stderr, "%s%d %s", said++ ? ", " : "", e->pid,
			ls_esc_str(LS_ESC_TEXT, comm, sizeof(comm), e->comm, strnlen(e->comm, LS_COMM_LEN)));
	}
	fprintf(stderr, "%s)", n > said ? ", ..." : "");
}

static void say_tracing(const struct recording *r)
{
	char name[LS_ESC_SIZE(sizeof(r->target->name))];
	const struct procs *ps = session__procs(r->s);
	unsigned others = procs__live(ps) - (r->target->pid && procs__find(ps, r->target->pid));

	fprintf(stderr, "loopscope: tracing ");
	if (r->target->pid)
		fprintf(stderr, "PID %d (%s)", r->target->pid, ls_esc_str(LS_ESC_TEXT, name, sizeof(name),
			r->target->name, strlen(r->target->name)));
	else
		fprintf(stderr, "cgroup %s", ls_esc_str(LS_ESC_TEXT, name, sizeof(name),
			r->target->cmdline, strlen(r->target->cmdline)));
	if (others)
		say_others(r, ps, others);
	else if (!r->target->pid)
		fprintf(stderr, " (no process yet)");
	fprintf(stderr, "%s%s... Ctrl-C to stop\n",
		r->o->targets.no_children ? "" : ", and the processes they fork",
		r->o->duration_s ? ", for the duration" : "");
}

static void count_child(void *ctx, pid_t pid)
{
	(void)pid;
	++*(unsigned *)ctx;
}

/* --no-children: a tree whose loops are in the children is said to be so, not shown empty. */
static void say_untraced_children(const struct recording *r)
{
	unsigned n = 0, i;

	if (!r->o->targets.no_children)
		return;
	for (i = 0; i < r->o->targets.npids; i++)
		procs__walk_children(r->o->targets.pids[i], LS_MAX_PROCS, count_child, &n);
	if (n)
		fprintf(stderr, "loopscope: %u descendant process%s not traced (--no-children)\n", n,
			n == 1 ? "" : "es");
}

/* A process of the set to set up: its symbols while it lives, its libuv. */
static void setup_process(void *ctx, pid_t pid)
{
	struct recording *r = ctx;

	if (r->syms)
		proc_syms__get(r->syms, pid);
	if (!r->o->no_libuv)
		attach_libuv(r, pid);
}

/*
 * Debug files by build-id and debuglink always, debuginfod when
 * DEBUGINFOD_URLS names a server and --no-debuginfod is not given (as gdb
 * and perf decide). One context for the run, so each module is looked up
 * once. NULL when out of memory: frames then keep the names of the files.
 */
static struct debuginfo *new_debuginfo(const struct record_opts *o)
{
	struct debuginfo_opts dopts = o->debuginfo;
	const char *urls = getenv("DEBUGINFOD_URLS");

	dopts.debuginfod = !o->no_debuginfod && urls && *urls;
	return debuginfo__new(&dopts);
}

static int record(const struct record_opts *o)
{
	struct recording r = { .o = o, .trace_out.fd = -1, .raw_out.fd = -1,
			       .dbg = new_debuginfo(o),
			       .paths = fd_paths__new(),	/* NULL (ENOMEM): files go by fd */
			       .work_names = work_names__new() };	/* NULL: pool kinds unnamed */
	const struct session_opts so = {
		.cmd = "record", .prefix = "loopscope", .verb = "tracing",
		.targets = o->targets, .cmd_argv = o->cmd, .seed_threads = true,
		.stall_threshold_ns = (uint64_t)(o->stall_ms * 1e6),
		.tracer = { .verbose = o->common.verbose, .sample_hz = o->sample_hz,
			    .offcpu_min_ns = LS_OFFCPU_MIN_NS, .summary_only = o->summary_only,
			    .unwind_user = !o->fp_stacks, .no_js_names = o->no_js_names },
		.on_record = on_record, .ctx = &r, .on_process = setup_process,
	};
	struct symbolizer_opts so_sym = { .sz = sizeof(so_sym), .debuginfo = r.dbg };
	int rc = session__open(&r.s, &so);

	if (rc)
		goto out;
	r.target = session__target(r.s);
	rc = start(&r);
	if (rc)
		goto out;
	r.corr = session__correlator(r.s);
	if (!o->common.quiet) {
		say_tracing(&r);
		say_untraced_children(&r);
	}
	session__wait_exec(r.s);
	/* now, while the code is mapped: a target may die (of an overflow) at once */
	r.syms = proc_syms__new(&so_sym);
	session__setup_processes(r.s);
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
	session__free(r.s);
	trace_export__free(r.te);
	proc_syms__free(r.syms);
	fd_paths__free(r.paths);
	work_names__free(r.work_names);
	debuginfo__free(r.dbg);
	folded__free(r.folded);
	pftrace__free(r.pf);
	return rc;
}

int cmd_record(int argc, char **argv)
{
	struct record_opts o = { 0 };
	int rc = record_opts__parse(&o, argc, argv);

	return rc ? rc : record(&o);
}
