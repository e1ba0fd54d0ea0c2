/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The correlator on arbitrary record streams. The input is a byte 0 of
 * options (stall threshold, libuv version) and then records, each a
 * header byte and a body:
 *
 *   header & 0x0f  record type 0..9 as in bpf/loopscope.h (0 is invalid);
 *                  10..15 take the type from the body (any u32)
 *   header & 0x10  raw: the body is the record as is; otherwise fields are
 *                  folded into a small world (8 threads, 8 work items, 16
 *                  stack ids, an advancing clock) so that streams reach
 *                  iterations, phases and pool items instead of rejects
 *   header & 0x60  length: 0x40 one byte short, 0x60 eight bytes long
 *
 * The body is sizeof(the record) bytes, except for a non-raw LS_REC_STACK:
 * id, kernel, nframes and then 2 bytes per frame. Each record is copied to
 * a buffer of exactly its length so ASan sees any overread. The sink reads
 * everything it is given, stacks frame by frame, and asks the correlator
 * about the thread, so a dangling pointer or a stack with a bad nframes is
 * caught where an exporter would trip on it. It also traps on model
 * invariants the exporters rely on: an iteration's start <= poll start <=
 * end (else busy time underflows), a phase that ends before it starts.
 *
 * With bit 7 of byte 0 set, the sink is the real Perfetto exporter instead
 * (with folded stacks and a resolver naming every third frame), writing
 * uncompressed to a memfd; the file it leaves must then parse as a Trace.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "collector/correlator.h"
#include "collector/record.h"
#include "viewer-export/folded.h"
#include "viewer-export/pftrace.h"
#include "viewer-export/trace_export.h"
#include "perfetto_trace.pb-c.h"
#include "fuzz.h"

struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

struct fuzz_world {
	struct correlator *c;
	uint64_t clock;
	volatile uint64_t sink;
};

static int fuzz_take(struct fuzz_in *in, void *dst, size_t n)
{
	if (in->left < n)
		return -1;
	memcpy(dst, in->p, n);
	in->p += n;
	in->left -= n;
	return 0;
}

static void fuzz_read_stack(struct fuzz_world *w, const struct ls_stack *st)
{
	uint32_t i;

	if (!st)
		return;
	/* a stack the correlator hands out must fit its own array */
	if (st->nframes > LS_MAX_STACK_DEPTH)
		__builtin_trap();
	for (i = 0; i < st->nframes; i++)
		w->sink += st->ips[i];
	w->sink += (uint64_t)st->id + st->kernel;
}

static void fuzz_read_thread(struct fuzz_world *w, const struct ls_thread *t)
{
	const struct ls_thread *known;

	w->sink += t->pid + t->tid + strnlen(t->comm, sizeof(t->comm)) + t->is_loop;
	known = correlator__thread(w->c, t->tid);
	if (known)
		w->sink += known->tid;
}

static void on_thread(void *ctx, const struct ls_thread *t)
{
	fuzz_read_thread(ctx, t);
}

/* the last look at the thread: its state is freed right after */
static void on_thread_exit(void *ctx, const struct ls_thread *t)
{
	fuzz_read_thread(ctx, t);
}

static void on_call(void *ctx, const struct ls_thread *t, const struct ls_call *c)
{
	struct fuzz_world *w = ctx;

	fuzz_read_thread(w, t);
	w->sink += c->ts + c->dur + (uint64_t)c->ret + (uint64_t)c->arg + (uint64_t)c->fd +
		   c->flags + c->iter + strlen(ls_syscall_name(c->sys)) +
		   strlen(ls_fd_kind_name(c->fd_kind));
}

static void on_iteration(void *ctx, const struct ls_thread *t, const struct ls_iteration *it)
{
	struct fuzz_world *w = ctx;

	fuzz_read_thread(w, t);
	if (it->poll_start < it->start || it->end < it->poll_start)
		__builtin_trap();
	w->sink += it->seq + ls_iteration_busy(it) + ls_iteration_poll(it) + it->ncalls +
		   it->nfile_io + it->stall + it->nsamples + it->top_count + it->offcpu_ns +
		   it->waker_tid + strnlen(it->waker_comm, sizeof(it->waker_comm)) +
		   (uint64_t)it->poll_timeout + (uint64_t)it->poll_ret +
		   strlen(ls_syscall_name(it->poll_sys));
	fuzz_read_stack(w, it->top_user);
	fuzz_read_stack(w, it->top_kern);
	fuzz_read_stack(w, it->off_user);
	fuzz_read_stack(w, it->off_kern);
}

static void on_phase(void *ctx, const struct ls_thread *t, const struct ls_phase_span *p)
{
	struct fuzz_world *w = ctx;

	fuzz_read_thread(w, t);
	if (p->end < p->start)
		__builtin_trap();
	w->sink += p->phase + p->inferred + p->iter + p->start + p->end;
}

static void on_work(void *ctx, const struct ls_work_item *wi, uint32_t event, uint64_t iter)
{
	struct fuzz_world *w = ctx;

	w->sink += wi->id + wi->work + wi->kind + wi->submit_tid + wi->worker_tid + wi->done_tid +
		   (uint64_t)wi->queued_at_submit + wi->done_entered + wi->sync + wi->submit_ts +
		   wi->pickup_ts + wi->run_end + wi->done_start + wi->done_end + event + iter;
}

static void on_pool(void *ctx, uint32_t pid, uint64_t ts, int32_t queued, int32_t running)
{
	struct fuzz_world *w = ctx;

	w->sink += pid + ts + (uint64_t)queued + (uint64_t)running;
}

static void on_sample(void *ctx, const struct ls_thread *t, const struct ls_sample *s)
{
	struct fuzz_world *w = ctx;

	fuzz_read_thread(w, t);
	w->sink += s->cpu + s->ts + s->stack_used + s->stack_size;
	fuzz_read_stack(w, s->user);
	fuzz_read_stack(w, s->kern);
}

static void on_overflow(void *ctx, const struct ls_thread *t, const struct ls_overflow *o)
{
	struct fuzz_world *w = ctx;

	fuzz_read_thread(w, t);
	w->sink += o->kind + o->ts + o->fault_addr + o->sp + o->stack_start + o->stack_end +
		   o->frames + o->at_stack_end + strnlen(o->comm, sizeof(o->comm));
	fuzz_read_stack(w, o->user);
}

static uint64_t fuzz_ts(struct fuzz_world *w, uint64_t raw)
{
	w->clock += raw & 0xfffff;
	return w->clock;
}

static uint64_t fuzz_dur(uint64_t raw)
{
	/* mostly short, sometimes past a 1 ms stall threshold */
	return raw & 0x100000 ? (raw & 0x3ffffff) : (raw & 0xffff);
}

static uint32_t fuzz_tid(uint32_t raw)
{
	return 100 + (raw & 7);
}

static int32_t fuzz_stack_id(int32_t raw)
{
	return raw & 0x10 ? -1 : (raw & 15);
}

/* Folds a record of type t, read raw into rec, into the small world. */
static void fuzz_fold(struct fuzz_world *w, uint32_t t, void *rec)
{
	switch (t) {
	case LS_REC_SYSCALL: {
		struct ls_rec_syscall *r = rec;

		r->pid = 100;
		r->tid = fuzz_tid(r->tid);
		r->ts = fuzz_ts(w, r->ts);
		r->dur = fuzz_dur(r->dur);
		w->clock += r->dur;
		r->sys %= LS_SYS_MAX + 1;
		r->fd_kind %= LS_FD_KIND_MAX + 1;
		r->flags &= 0x3;
		r->fd = (r->fd & 0x100) ? -1 : (r->fd & 15);
		r->arg = (r->arg & 0x100) ? -1 : (r->arg & 0xff);
		r->ret = (int64_t)(int8_t)r->ret;
		break;
	}
	case LS_REC_THREAD:
	case LS_REC_THREAD_EXIT: {
		struct ls_rec_thread *r = rec;

		r->pid = 100;
		r->tid = fuzz_tid(r->tid);
		r->ts = fuzz_ts(w, r->ts);
		break;
	}
	case LS_REC_UV_PHASE: {
		struct ls_rec_uv_phase *r = rec;

		r->pid = 100;
		r->tid = fuzz_tid(r->tid);
		r->phase %= LS_PHASE_MAX + 1;
		r->ts = fuzz_ts(w, r->ts);
		r->end = (r->end & 0x200000) ? 0 : r->ts + fuzz_dur(r->end);
		w->clock = r->end > w->clock ? r->end : w->clock;
		break;
	}
	case LS_REC_UV_WORK: {
		struct ls_rec_uv_work *r = rec;

		r->pid = 100;
		r->tid = fuzz_tid(r->tid);
		r->event %= LS_WORK_DONE_BEGIN + 2;
		r->ts = fuzz_ts(w, r->ts);
		r->end = (r->end & 0x200000) ? 0 : r->ts + fuzz_dur(r->end);
		w->clock = r->end > w->clock ? r->end : w->clock;
		r->work = 0x1000 + 0x100 * (r->work & 7);
		r->kind %= LS_WORK_KIND_MAX + 1;
		break;
	}
	case LS_REC_SAMPLE: {
		struct ls_rec_sample *r = rec;

		r->pid = 100;
		r->tid = fuzz_tid(r->tid);
		r->ts = fuzz_ts(w, r->ts);
		r->user_stack = fuzz_stack_id(r->user_stack);
		r->kern_stack = fuzz_stack_id(r->kern_stack);
		break;
	}
	case LS_REC_OFFCPU: {
		struct ls_rec_offcpu *r = rec;

		r->pid = 100;
		r->tid = fuzz_tid(r->tid);
		r->waker_tid = r->waker_tid & 8 ? 0 : fuzz_tid(r->waker_tid);
		r->ts = fuzz_ts(w, r->ts);
		r->end = r->ts + fuzz_dur(r->end);
		w->clock = r->end;
		r->user_stack = fuzz_stack_id(r->user_stack);
		r->kern_stack = fuzz_stack_id(r->kern_stack);
		break;
	}
	case LS_REC_OVERFLOW: {
		struct ls_rec_overflow *r = rec;

		r->pid = 100;
		r->tid = fuzz_tid(r->tid);
		r->kind %= LS_OVERFLOW_V8 + 2;
		r->ts = fuzz_ts(w, r->ts);
		r->user_stack = fuzz_stack_id(r->user_stack);
		break;
	}
	}
}

static size_t fuzz_rec_size(uint32_t t)
{
	switch (t) {
	case LS_REC_SYSCALL: return sizeof(struct ls_rec_syscall);
	case LS_REC_THREAD:
	case LS_REC_THREAD_EXIT: return sizeof(struct ls_rec_thread);
	case LS_REC_UV_PHASE: return sizeof(struct ls_rec_uv_phase);
	case LS_REC_UV_WORK: return sizeof(struct ls_rec_uv_work);
	case LS_REC_SAMPLE: return sizeof(struct ls_rec_sample);
	case LS_REC_OFFCPU: return sizeof(struct ls_rec_offcpu);
	case LS_REC_OVERFLOW: return sizeof(struct ls_rec_overflow);
	case LS_REC_STACK: return sizeof(struct ls_rec_stack);
	case LS_REC_WORK_NAME: return sizeof(struct ls_rec_work_name);
	default: return 16;
	}
}

/* A non-raw stack: id, kernel, nframes, then 2 bytes per frame. */
static int fuzz_compact_stack(struct fuzz_in *in, struct ls_rec_stack *r)
{
	uint8_t h[3];
	uint16_t ip;
	uint32_t i;

	if (fuzz_take(in, h, sizeof(h)))
		return -1;
	r->id = h[0] & 15;
	r->kernel = h[1] & 1;
	r->nframes = h[2] % (LS_MAX_STACK_DEPTH + 2);
	for (i = 0; i < r->nframes && i < LS_MAX_STACK_DEPTH; i++) {
		if (fuzz_take(in, &ip, sizeof(ip)))
			return -1;
		r->ips[i] = (r->kernel ? 0xffffffff81000000ull : 0x400000ull) + ip * 16u;
	}
	return 0;
}

/* Reads one record into a buffer of exactly its length and pushes it; -1 at the end. */
static int fuzz_one_record(struct fuzz_world *w, struct fuzz_in *in)
{
	struct ls_rec_stack big;	/* the largest record */
	uint8_t h, *buf;
	uint32_t type;
	size_t size, len;
	int raw;

	if (fuzz_take(in, &h, 1))
		return -1;
	raw = h & 0x10;
	type = h & 0x0f;
	memset(&big, 0, sizeof(big));
	if (type >= 10) {
		if (fuzz_take(in, &type, sizeof(type)))
			return -1;
		raw = 1;
	}
	size = fuzz_rec_size(type);
	if (type == LS_REC_STACK && !raw) {
		if (fuzz_compact_stack(in, &big))
			return -1;
	} else if (fuzz_take(in, &big, size)) {
		return -1;
	}
	big.type = type;
	if (!raw)
		fuzz_fold(w, type, &big);
	len = size;
	if ((h & 0x60) == 0x40)
		len = size - 1;
	else if ((h & 0x60) == 0x60)
		len = size + 8;
	buf = malloc(len);
	if (!buf)
		return -1;
	memset(buf, 0, len);
	memcpy(buf, &big, len < size ? len : size);
	correlator__push(w->c, buf, len);
	free(buf);
	return 0;
}

static int fuzz_resolve(void *ctx, uint32_t pid, uint64_t ip, bool kernel,
			struct ls_frame_info *out)
{
	(void)ctx;
	(void)pid;
	out->ip = ip;
	out->kind = kernel ? LS_FRAME_KERNEL : LS_FRAME_NATIVE;
	out->mapping = kernel ? "[kernel.kallsyms]" : "/fuzz/bin";
	out->rel_pc = ip;
	if (ip % 3)
		return -ENOENT;
	out->function = (ip / 3) & 1 ? "fuzz_fn" : "_ZN4fuzz2fnEv";
	out->offset = ip & 0xf;
	return 0;
}

/* The exporter's output must be a Trace, however odd the records were. */
static void fuzz_check_trace(int fd)
{
	Perfetto__Protos__Trace *t;
	off_t len = lseek(fd, 0, SEEK_END);
	uint8_t *buf;

	if (len <= 0)
		return;
	buf = malloc((size_t)len);
	if (!buf)
		return;
	if (pread(fd, buf, (size_t)len, 0) == (ssize_t)len) {
		t = perfetto__protos__trace__unpack(NULL, (size_t)len, buf);
		if (!t)
			__builtin_trap();
		perfetto__protos__trace__free_unpacked(t, NULL);
	}
	free(buf);
}

struct fuzz_export {
	int fd;
	struct pftrace *pf;
	struct folded *folded;
	struct trace_export *te;
};

static int fuzz_export_new(struct fuzz_export *x, struct correlator_opts *o)
{
	struct pftrace_opts po = { .compress = false, .buf_size = 4096 };
	struct trace_export_opts teo = {
		.pid = 100, .process_name = "fuzz", .cmdline = "fuzz --x",
		.stall_threshold_ns = o->stall_threshold_ns, .resolve = fuzz_resolve,
	};

	memset(x, 0, sizeof(*x));
	x->fd = memfd_create("trace", MFD_CLOEXEC);
	if (x->fd < 0)
		return -1;
	x->pf = pftrace__new(x->fd, &po);
	x->folded = folded__new(&(struct folded_opts){ .annotate = true });
	teo.folded = x->folded;
	x->te = x->pf && x->folded ? trace_export__new(x->pf, &teo) : NULL;
	if (!x->te)
		return -1;
	o->sink = trace_export__sink(x->te);
	return 0;
}

static void fuzz_export_free(struct fuzz_export *x, const struct ls_summary *s)
{
	struct ls_export_stats es = { .rb_drops = 1, .bad_records = s ? s->bad_records : 0 };
	FILE *null;

	if (x->te && s) {
		trace_export__finish(x->te, &es);
		if (!pftrace__finish(x->pf))
			fuzz_check_trace(x->fd);
		null = fopen("/dev/null", "we");
		if (null) {
			folded__write(x->folded, null);
			fclose(null);
		}
	}
	trace_export__free(x->te);
	folded__free(x->folded);
	pftrace__free(x->pf);
	if (x->fd >= 0)
		close(x->fd);
}

static void fuzz_correlator(const uint8_t *data, size_t size)
{
	static const unsigned uv_versions[] = { 0, 0x012c00, 0x012e00, 0x013000 };
	struct fuzz_world w = {};
	struct correlator_opts o = {
		.sink = {
			.ctx = &w, .on_thread = on_thread, .on_thread_exit = on_thread_exit,
			.on_call = on_call,
			.on_iteration = on_iteration, .on_phase = on_phase, .on_work = on_work,
			.on_pool = on_pool, .on_sample = on_sample, .on_js_callback = on_phase,
			.on_overflow = on_overflow,
		},
	};
	struct fuzz_in in = { data, size };
	struct fuzz_export x = { .fd = -1 };
	const struct ls_summary *s;
	uint8_t opt;
	uint32_t i;
	int32_t id;

	if (fuzz_take(&in, &opt, 1))
		return;
	o.stall_threshold_ns = (opt & 0x0f) ? (uint64_t)(opt & 0x0f) * 100000 : 1;
	w.clock = 1000000000ull;
	if ((opt & 0x80) && fuzz_export_new(&x, &o)) {
		fuzz_export_free(&x, NULL);
		return;
	}
	w.c = correlator__new(&o);
	if (!w.c) {
		fuzz_export_free(&x, NULL);
		return;
	}
	correlator__set_libuv(w.c, uv_versions[(opt >> 4) & 3]);
	while (!fuzz_one_record(&w, &in))
		;
	correlator__finish(w.c);
	s = correlator__summary(w.c);
	for (i = 0; i < s->nloops; i++)
		w.sink += s->loops[i]->iterations + s->loops[i]->stalls;
	for (id = -2; id < 20; id++)
		fuzz_read_stack(&w, correlator__stack(w.c, id));
	if (opt & 0x80)
		fuzz_export_free(&x, s);
	correlator__free(w.c);
}

LS_FUZZ_ENTRY(fuzz_correlator)
