/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Summary JSON -> struct ls_summary. Every accessor names the member it
 * failed on as a path ("loops[0].syscalls.read.hist.buckets[3]"), so one
 * line of error tells the user what is wrong with which file.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "loop_summary.h"
#include "json.h"
#include "record.h"
#include "summary_read.h"
#include "summary_read_int.h"

#define MAX_FILE_BYTES	((size_t)64 << 20)
#define PATH_LEN	96

int sr_bad(struct rd *r, const char *where, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->rc)
		return r->rc;
	r->rc = -EINVAL;
	n = snprintf(r->err->msg, sizeof(r->err->msg), "%s: ", where);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(r->err->msg))
		vsnprintf(r->err->msg + n, sizeof(r->err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return r->rc;
}

const struct json_value *sr_member(struct rd *r, const struct json_value *o, const char *where,
				   const char *key, enum json_type t)
{
	const struct json_value *v = json_get(o, key);

	if (!v)
		sr_bad(r, where, "missing \"%s\"", key);
	else if (v->type != t)
		sr_bad(r, where, "\"%s\" is %s %s, expected %s", key, v->type == JSON_ARRAY ||
		       v->type == JSON_OBJECT ? "an" : "a", json_type_name(v->type), json_type_name(t));
	return r->rc ? NULL : v;
}

uint64_t sr_u64(struct rd *r, const struct json_value *o, const char *where, const char *key)
{
	const struct json_value *v = sr_member(r, o, where, key, JSON_NUMBER);

	if (v && !v->is_u64)
		sr_bad(r, where, "\"%s\" must be a non-negative integer", key);
	return r->rc ? 0 : v->u64;
}

uint32_t sr_u32(struct rd *r, const struct json_value *o, const char *where, const char *key)
{
	uint64_t v = sr_u64(r, o, where, key);

	if (v > UINT32_MAX)
		sr_bad(r, where, "\"%s\" is out of range (%llu)", key, (unsigned long long)v);
	return r->rc ? 0 : (uint32_t)v;
}

double sr_num(struct rd *r, const struct json_value *o, const char *where, const char *key)
{
	const struct json_value *v = sr_member(r, o, where, key, JSON_NUMBER);

	if (v && v->num < 0)
		sr_bad(r, where, "\"%s\" must not be negative", key);
	return r->rc ? 0 : v->num;
}

char *sr_str(struct rd *r, const struct json_value *o, const char *where, const char *key)
{
	const struct json_value *v = json_get(o, key);
	char *s;

	if (v && v->type == JSON_NULL)
		return NULL;
	v = sr_member(r, o, where, key, JSON_STRING);
	if (!v)
		return NULL;
	s = strdup(v->str);
	if (!s)
		r->rc = -ENOMEM;
	return s;
}

/* Milliseconds with 3 decimals back to ns, clamped so a wild value cannot overflow. */
static uint64_t ms_to_ns(double ms)
{
	return ms >= 9.2e12 ? (uint64_t)INT64_MAX : (uint64_t)(ms * 1e6 + 0.5);
}

uint64_t sr_ms_to_ns(double ms)
{
	return ms_to_ns(ms);
}

static int read_buckets(struct rd *r, const struct json_value *a, const char *where,
			struct ls_hist *h)
{
	const struct json_value *e, *idx, *cnt;
	char w[PATH_LEN + 32];
	uint64_t total = 0;
	long last = -1;
	size_t i = 0;

	for (e = a->child; e; e = e->next, i++) {
		snprintf(w, sizeof(w), "%s.buckets[%zu]", where, i);
		idx = e->type == JSON_ARRAY && e->len == 2 ? e->child : NULL;
		cnt = idx ? idx->next : NULL;
		if (!idx || !idx->is_u64 || !cnt->is_u64 || !cnt->u64)
			return sr_bad(r, w, "expected [index, count] with count > 0");
		if (idx->u64 >= LS_HIST_BUCKETS || (long)idx->u64 <= last)
			return sr_bad(r, w, "bucket index %llu out of order or >= %u",
				      (unsigned long long)idx->u64, LS_HIST_BUCKETS);
		last = (long)idx->u64;
		h->buckets[last] = cnt->u64;
		if (total + cnt->u64 < total)
			return sr_bad(r, w, "counts overflow");
		total += cnt->u64;
	}
	if (total != h->count)
		return sr_bad(r, where, "bucket counts add up to %llu, \"count\" says %llu",
			      (unsigned long long)total, (unsigned long long)h->count);
	return 0;
}

int sr_read_hist(struct rd *r, const struct json_value *parent, const char *where,
		 struct ls_hist *h)
{
	const struct json_value *o = sr_member(r, parent, where, "hist", JSON_OBJECT), *b;
	char w[PATH_LEN + 8];
	unsigned first = 0, last = 0, i;
	bool seen = false;

	snprintf(w, sizeof(w), "%s.hist", where);
	ls_hist_init(h);
	b = o ? sr_member(r, o, w, "buckets", JSON_ARRAY) : NULL;
	if (!b)
		return r->rc;
	h->count = sr_u64(r, o, w, "count");
	h->sum = sr_u64(r, o, w, "sum_ns");
	h->min = sr_u64(r, o, w, "min_ns");
	h->max = sr_u64(r, o, w, "max_ns");
	if (r->rc || read_buckets(r, b, w, h))
		return r->rc;
	if (!h->count) {
		h->min = UINT64_MAX;
		h->max = 0;
		return 0;
	}
	for (i = 0; i < LS_HIST_BUCKETS; i++)
		if (h->buckets[i]) {
			first = seen ? first : i;
			last = i;
			seen = true;
		}
	if (h->min > h->max || ls_hist_bucket_of(h->min) != first ||
	    ls_hist_bucket_of(h->max) != last)
		return sr_bad(r, w, "min_ns/max_ns do not fall in the first/last bucket");
	return 0;
}

static int read_syscall(struct rd *r, const struct json_value *v, const char *where,
			struct ls_sys_stats *ss)
{
	const struct json_value *kinds = sr_member(r, v, where, "fd_kinds", JSON_OBJECT), *k;
	unsigned i;

	ss->count = sr_u64(r, v, where, "count");
	ss->errors = sr_u64(r, v, where, "errors");
	if (!kinds || sr_read_hist(r, v, where, &ss->dur))
		return r->rc;
	ss->total_ns = ss->dur.sum;
	for (k = kinds->child; k; k = k->next) {
		for (i = 0; i < LS_FD_KIND_MAX && strcmp(ls_fd_kind_name(i), k->key); i++)
			;
		if (!k->is_u64)
			return sr_bad(r, where, "fd_kinds.%.32s must be a non-negative integer", k->key);
		if (i < LS_FD_KIND_MAX)		/* kinds of a newer build are ignored */
			ss->by_fd_kind[i] = k->u64;
	}
	return 0;
}

static int read_syscalls(struct rd *r, const struct json_value *loop, const char *where,
			 struct ls_loop_summary *l)
{
	const struct json_value *o = sr_member(r, loop, where, "syscalls", JSON_OBJECT), *v;
	char w[PATH_LEN + 48];
	unsigned i;

	for (v = o ? o->child : NULL; v && !r->rc; v = v->next) {
		snprintf(w, sizeof(w), "%s.syscalls.%.32s", where, v->key);
		for (i = 1; i < LS_SYS_MAX && strcmp(ls_syscall_name(i), v->key); i++)
			;
		if (v->type != JSON_OBJECT)
			return sr_bad(r, w, "expected an object");
		if (i >= LS_SYS_MAX)
			continue;	/* a syscall of a newer build */
		l->sys[i] = calloc(1, sizeof(*l->sys[i]));
		if (!l->sys[i])
			return r->rc = -ENOMEM;
		read_syscall(r, v, w, l->sys[i]);
	}
	return r->rc;
}

/* "stall_ns"; files before it have none: the kept stalls' sum, partial when some were not kept. */
static void read_stall_total(struct rd *r, const struct json_value *loop, const char *where,
			     struct ls_loop_summary *l)
{
	uint32_t i;

	if (json_get(loop, "stall_ns")) {
		l->stall_total_ns = sr_u64(r, loop, where, "stall_ns");
		return;
	}
	for (i = 0; i < l->nstalls_kept; i++)
		l->stall_total_ns += l->top_stalls[i].busy_ns;
	l->stall_total_partial = l->stalls > l->nstalls_kept;
}

static int read_stalls(struct rd *r, const struct json_value *loop, const char *where,
		       struct ls_loop_summary *l)
{
	const struct json_value *a = sr_member(r, loop, where, "stalls_top", JSON_ARRAY), *e;
	char w[PATH_LEN + 32];
	struct ls_stall *st;

	for (e = a ? a->child : NULL; e && !r->rc; e = e->next) {
		snprintf(w, sizeof(w), "%s.stalls_top[%u]", where, l->nstalls_kept);
		if (l->nstalls_kept >= LS_TOP_STALLS)
			return sr_bad(r, w, "more than %d stalls listed", LS_TOP_STALLS);
		st = &l->top_stalls[l->nstalls_kept++];
		st->seq = sr_u64(r, e, w, "seq");
		st->start = sr_u64(r, e, w, "start_ns");
		st->busy_ns = ms_to_ns(sr_num(r, e, w, "busy_ms"));
		st->ncalls = sr_u32(r, e, w, "calls");
		st->nfile_io = sr_u32(r, e, w, "file_io");
	}
	return r->rc;
}

uint32_t sr_sys_mask(const struct json_value *a)
{
	const struct json_value *e;
	uint32_t mask = 0;
	unsigned i;

	for (e = a ? a->child : NULL; e; e = e->next)
		for (i = 1; i < LS_SYS_MAX && i < 32; i++)
			if (e->type == JSON_STRING && !strcmp(e->str, ls_syscall_name(i)))
				mask |= 1u << i;
	return mask;
}

static int read_file_io(struct rd *r, const struct json_value *loop, const char *where,
			struct ls_loop_summary *l)
{
	const struct json_value *o = sr_member(r, loop, where, "sync_file_io", JSON_OBJECT), *a, *e;
	char w[PATH_LEN + 32];
	struct ls_file_io *io;

	snprintf(w, sizeof(w), "%s.sync_file_io", where);
	a = o ? sr_member(r, o, w, "fds", JSON_ARRAY) : NULL;
	if (!a)
		return r->rc;
	l->file_io_calls = sr_u64(r, o, w, "calls");
	l->file_io_ns = ms_to_ns(sr_num(r, o, w, "total_ms"));
	for (e = a->child; e && !r->rc; e = e->next) {
		snprintf(w, sizeof(w), "%s.sync_file_io.fds[%u]", where, l->nfile_fds);
		if (l->nfile_fds >= LS_TOP_FILE_FDS)
			return sr_bad(r, w, "more than %d fds listed", LS_TOP_FILE_FDS);
		io = &l->file_io[l->nfile_fds++];
		io->fd = (int32_t)sr_u64(r, e, w, "fd");
		io->count = sr_u64(r, e, w, "count");
		io->total_ns = ms_to_ns(sr_num(r, e, w, "total_ms"));
		io->max_ns = ms_to_ns(sr_num(r, e, w, "max_ms"));
		io->sys_mask = sr_sys_mask(json_get(e, "syscalls"));
		io->user_stack = -1;
	}
	return sr_read_file_paths(r, o, where, l);
}

static int read_loop(struct rd *r, const struct json_value *v, unsigned idx,
		     struct ls_loop_summary *l)
{
	const struct json_value *busy, *poll, *comm;
	char w[PATH_LEN], wb[PATH_LEN + 16];

	snprintf(w, sizeof(w), "loops[%u]", idx);
	if (v->type != JSON_OBJECT)
		return sr_bad(r, w, "expected an object");
	l->pid = sr_u32(r, v, w, "pid");
	l->tid = sr_u32(r, v, w, "tid");
	comm = sr_member(r, v, w, "comm", JSON_STRING);
	if (comm)
		snprintf(l->comm, sizeof(l->comm), "%s", comm->str);
	if (json_get(v, "merged_threads"))
		l->merged = sr_u32(r, v, w, "merged_threads");
	l->iterations = sr_u64(r, v, w, "iterations");
	l->stalls = sr_u64(r, v, w, "stalls");
	busy = sr_member(r, v, w, "busy", JSON_OBJECT);
	poll = sr_member(r, v, w, "poll_wait", JSON_OBJECT);
	if (r->rc)
		return r->rc;
	snprintf(wb, sizeof(wb), "%s.busy", w);
	sr_read_hist(r, busy, wb, &l->busy);
	snprintf(wb, sizeof(wb), "%s.poll_wait", w);
	sr_read_hist(r, poll, wb, &l->poll);
	l->busy_total_ns = l->busy.sum;
	l->poll_total_ns = l->poll.sum;
	if (!r->rc)
		read_syscalls(r, v, w, l);
	if (!r->rc)
		read_stalls(r, v, w, l);
	if (!r->rc)
		read_stall_total(r, v, w, l);
	if (!r->rc)
		read_file_io(r, v, w, l);
	if (!r->rc)
		sr_read_causes(r, v, w, l);
	if (!r->rc)
		sr_read_phases(r, v, w, l);
	return r->rc;
}

static int read_loops(struct rd *r, const struct json_value *root, struct ls_summary *s)
{
	const struct json_value *a = sr_member(r, root, "summary", "loops", JSON_ARRAY), *e;
	unsigned idx;

	if (!a)
		return r->rc;
	if (a->len > LS_SUMMARY_MAX_LOOPS)
		return sr_bad(r, "loops", "more than %d loops", LS_SUMMARY_MAX_LOOPS);
	s->loops = calloc(a->len ? a->len : 1, sizeof(*s->loops));
	if (!s->loops)
		return r->rc = -ENOMEM;
	for (e = a->child; e && !r->rc; e = e->next) {
		idx = s->nloops;
		s->loops[idx] = calloc(1, sizeof(**s->loops));
		if (!s->loops[idx])
			return r->rc = -ENOMEM;
		s->nloops++;
		read_loop(r, e, idx, s->loops[idx]);
	}
	return r->rc;
}

/* The histograms must use this build's bucket layout to be rebuilt as they are. */
static int check_scheme(struct rd *r, const struct json_value *root)
{
	const struct json_value *hs = sr_member(r, root, "summary", "hist_scheme", JSON_OBJECT);

	if (!hs)
		return r->rc;
	if (sr_u64(r, hs, "hist_scheme", "exact_below") != 2 * LS_HIST_SUB ||
	    sr_u64(r, hs, "hist_scheme", "sub_buckets") != LS_HIST_SUB ||
	    sr_u64(r, hs, "hist_scheme", "buckets") != LS_HIST_BUCKETS)
		return sr_bad(r, "hist_scheme", "not this build's layout (exact_below %u, "
			      "sub_buckets %u, buckets %u)", 2 * LS_HIST_SUB, LS_HIST_SUB,
			      LS_HIST_BUCKETS);
	return 0;
}

static int read_header(struct rd *r, const struct json_value *root, struct summary_file *f)
{
	const struct json_value *v = json_get(root, "schema_version"), *t, *d, *ver;

	if (root->type != JSON_OBJECT)
		return sr_bad(r, "summary", "expected an object, found %s", json_type_name(root->type));
	if (!v)
		return sr_bad(r, "schema_version", "missing: not a loopscope summary");
	if (!v->is_u64 || v->u64 != LS_SUMMARY_SCHEMA_VERSION)
		return sr_bad(r, "schema_version", "unsupported %s %.6g, this build reads version %d",
			      json_type_name(v->type), v->type == JSON_NUMBER ? v->num : 0.0,
			      LS_SUMMARY_SCHEMA_VERSION);
	f->schema_version = (unsigned)v->u64;
	ver = sr_member(r, root, "summary", "version", JSON_STRING);
	t = sr_member(r, root, "summary", "target", JSON_OBJECT);
	d = sr_member(r, root, "summary", "drops", JSON_OBJECT);
	if (r->rc || check_scheme(r, root))
		return r->rc;
	snprintf(f->version, sizeof(f->version), "%s", ver->str);
	f->pid = sr_u32(r, t, "target", "pid");
	f->command = sr_str(r, t, "target", "command");
	if (json_get(root, "label")) {	/* optional: record --label, at most 64 bytes */
		f->label = sr_str(r, root, "summary", "label");
		if (f->label && strlen(f->label) > SUMMARY_LABEL_MAX)
			sr_bad(r, "summary", "\"label\" is longer than %d bytes", SUMMARY_LABEL_MAX);
	}
	f->trace = sr_str(r, root, "summary", "trace");
	f->duration_s = sr_num(r, root, "summary", "duration_s");
	if (json_get(root, "start_ns"))	/* files before it have none: no offsets */
		f->s.first_ts = sr_u64(r, root, "summary", "start_ns");
	if (json_get(root, "unix_offset_ns"))	/* none in replayed and older files: no wall clock */
		f->s.unix_offset_ns = sr_u64(r, root, "summary", "unix_offset_ns");
	f->s.stall_threshold_ns = ms_to_ns(sr_num(r, root, "summary", "stall_threshold_ms"));
	f->drops_rb = sr_u64(r, d, "drops", "ring_buffer");
	f->drops_inflight = sr_u64(r, d, "drops", "inflight_full");
	f->drops_missed_exit = sr_u64(r, d, "drops", "missed_exit");
	f->bad_records = f->s.bad_records = sr_u64(r, d, "drops", "bad_records");
	f->s.records = sr_u64(r, root, "summary", "records");
	f->s.threads = sr_u64(r, root, "summary", "threads");
	f->s.other_calls = sr_u64(r, root, "summary", "other_threads_calls");
	return r->rc;
}

int summary_read_buf(const char *buf, size_t len, struct summary_file **out,
		     struct summary_error *err)
{
	struct json_limits lim = { .max_bytes = MAX_FILE_BYTES };
	struct rd r = { .err = err };
	struct json_error je;
	struct json_doc *doc;
	struct summary_file *f;
	int rc;

	*out = NULL;
	err->msg[0] = '\0';
	rc = json_parse(buf, len, &lim, &doc, &je);
	if (rc) {
		snprintf(err->msg, sizeof(err->msg), "byte %zu: %s", je.offset, je.msg);
		return rc;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		json_free(doc);
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	if (!read_header(&r, json_root(doc), f) && !read_loops(&r, json_root(doc), &f->s) &&
	    !sr_read_procs(&r, json_root(doc), &f->s))
		sr_read_pool(&r, json_root(doc), &f->s);
	json_free(doc);
	/* the document itself, for members the model does not hold (libuv, stacks) */
	if (!r.rc && !(f->raw = malloc(len)))
		r.rc = -ENOMEM;
	if (!r.rc) {
		memcpy(f->raw, buf, len);
		f->raw_len = len;
	}
	if (r.rc) {
		if (r.rc == -ENOMEM)
			snprintf(err->msg, sizeof(err->msg), "out of memory");
		summary_file_free(f);
		return r.rc;
	}
	*out = f;
	return 0;
}

/* Reads all of fd into a new buffer; -EFBIG past max bytes. */
static int slurp(int fd, char **out, size_t *outlen, size_t max)
{
	size_t cap = 65536, len = 0;
	char *buf = NULL, *nb;
	ssize_t n;
	int err;

	for (;;) {
		if (!buf || len == cap) {
			if (buf)
				cap *= 2;
			err = len > max ? -EFBIG : -ENOMEM;
			nb = len > max ? NULL : realloc(buf, cap);
			if (!nb)
				goto out_free;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		err = -errno;
		if (n < 0)
			goto out_free;
		if (!n)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		err = -EFBIG;
		goto out_free;
	}
	*out = buf;
	*outlen = len;
	return 0;
out_free:
	free(buf);
	return err;
}

int summary_read_file(const char *path, struct summary_file **out, struct summary_error *err)
{
	bool is_stdin = !strcmp(path, "-");
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t len = 0;
	char *buf = NULL;
	int rc;

	*out = NULL;
	if (fd < 0 || fstat(fd, &st)) {
		rc = -errno;
		snprintf(err->msg, sizeof(err->msg), "%s", strerror(-rc));
		goto out;
	}
	rc = S_ISDIR(st.st_mode) ? -EISDIR : S_ISREG(st.st_mode) &&
	     (size_t)st.st_size > MAX_FILE_BYTES ? -EFBIG : 0;
	if (!rc)
		rc = slurp(fd, &buf, &len, MAX_FILE_BYTES);
	if (rc) {
		snprintf(err->msg, sizeof(err->msg), "%s", rc == -EFBIG ?
			 "larger than 64 MiB: not a summary" : strerror(-rc));
		goto out;
	}
	rc = summary_read_buf(buf, len, out, err);
	free(buf);
out:
	if (fd >= 0 && !is_stdin)
		close(fd);
	return rc;
}

void summary_file_free(struct summary_file *f)
{
	uint32_t i;

	if (!f)
		return;
	free(f->raw);
	for (i = 0; i < f->s.nloops; i++)
		ls_loop_free(f->s.loops[i]);
	free(f->s.loops);
	ls_summary_free_procs(&f->s);
	sr_free_pool(&f->s);
	free(f->command);
	free(f->label);
	free(f->trace);
	free(f);
}

uint64_t summary_file_drops(const struct summary_file *f)
{
	return f->drops_rb + f->drops_inflight + f->drops_missed_exit + f->bad_records;
}
