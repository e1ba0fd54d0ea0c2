/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include "file_io.h"

/*
 * Where V8 (--perf-basic-prof), JVM agents and LuaJIT write JIT symbols
 * for perf. The pid in the name is the target's as its pid namespace sees
 * it, not always ours: any digits will do.
 */
bool ls_path_is_perf_map(const char *path, size_t len)
{
	static const char pre[] = "/tmp/perf-", suf[] = ".map";
	size_t i, np = sizeof(pre) - 1, ns = sizeof(suf) - 1;

	if (len <= np + ns || memcmp(path, pre, np) || memcmp(path + len - ns, suf, ns))
		return false;
	for (i = np; i < len - ns; i++)
		if (path[i] < '0' || path[i] > '9')
			return false;
	return true;
}

static bool same_file(const struct ls_file_io *f, int32_t fd, const char *path, uint32_t len)
{
	if (f->path_len != len)
		return false;
	return len ? !memcmp(f->path, path, len) : f->fd == fd;
}

static struct ls_file_io *find_file(struct ls_loop_summary *l, int32_t fd, const char *path,
				    uint32_t len)
{
	uint32_t i;

	for (i = 0; i < l->nfile_fds; i++)
		if (same_file(&l->file_io[i], fd, path, len))
			return &l->file_io[i];
	return NULL;
}

void ls_file_io_add(struct ls_loop_summary *l, const struct ls_call *call, const char *path,
		    uint32_t len, uint32_t flags)
{
	struct ls_file_io *f;

	l->file_io_calls++;
	l->file_io_ns += call->dur;
	len = len < LS_FD_PATH_MAX ? len : LS_FD_PATH_MAX;
	f = find_file(l, call->fd, path, len);
	if (!f) {
		if (l->nfile_fds == LS_TOP_FILE_FDS)
			return;	/* the totals above still count it */
		f = &l->file_io[l->nfile_fds++];
		memset(f, 0, sizeof(*f));
		f->fd = call->fd;
		f->first_ts = call->ts;
		f->path_len = len;
		f->path_flags = flags;
		f->user_stack = -1;
		if (len)
			memcpy(f->path, path, len);
	}
	if (call->user_stack >= 0 && (f->user_stack < 0 || call->dur > f->stack_call_ns)) {
		f->user_stack = call->user_stack;
		f->stack_call_ns = call->dur;
	}
	f->sys_mask |= 1u << call->sys;
	f->count++;
	f->total_ns += call->dur;
	if (call->dur > f->max_ns)
		f->max_ns = call->dur;
}

void ls_perf_map_add(struct ls_loop_summary *l, const struct ls_call *call)
{
	l->perf_map.count++;
	l->perf_map.total_ns += call->dur;
	if (call->dur > l->perf_map.max_ns)
		l->perf_map.max_ns = call->dur;
}

void ls_file_io_take_stack(struct ls_file_io *dst, const struct ls_file_io *src)
{
	dst->user_stack = src->user_stack;
	dst->stack_call_ns = src->stack_call_ns;
	dst->stack_nframes = src->stack_nframes;
	dst->nframes = src->nframes;
	memcpy(dst->frames, src->frames, sizeof(dst->frames));
}

/* One process, one fd table: the same file in two threads is one entry. */
void ls_file_io_merge(struct ls_loop_summary *dst, const struct ls_loop_summary *src)
{
	struct ls_file_io *d;
	const struct ls_file_io *f;
	uint32_t k;

	dst->file_io_calls += src->file_io_calls;
	dst->file_io_ns += src->file_io_ns;
	dst->perf_map.count += src->perf_map.count;
	dst->perf_map.total_ns += src->perf_map.total_ns;
	if (src->perf_map.max_ns > dst->perf_map.max_ns)
		dst->perf_map.max_ns = src->perf_map.max_ns;
	for (k = 0; k < src->nfile_fds; k++) {
		f = &src->file_io[k];
		d = find_file(dst, f->fd, f->path, f->path_len);
		if (!d) {
			if (dst->nfile_fds < LS_TOP_FILE_FDS)
				dst->file_io[dst->nfile_fds++] = *f;
			continue;
		}
		d->sys_mask |= f->sys_mask;
		d->count += f->count;
		d->total_ns += f->total_ns;
		d->max_ns = f->max_ns > d->max_ns ? f->max_ns : d->max_ns;
		d->first_ts = f->first_ts < d->first_ts ? f->first_ts : d->first_ts;
		if (f->stack_call_ns > d->stack_call_ns)	/* the longer call's stack, in either form */
			ls_file_io_take_stack(d, f);
	}
}

unsigned ls_file_io_by_time(const struct ls_loop_summary *l, unsigned idx[LS_TOP_FILE_FDS])
{
	unsigned i, k, n = l->nfile_fds < LS_TOP_FILE_FDS ? l->nfile_fds : LS_TOP_FILE_FDS;

	/* insertion sort, stable: equal totals keep their first-seen order */
	for (i = 0; i < n; i++) {
		for (k = i; k > 0 && l->file_io[idx[k - 1]].total_ns < l->file_io[i].total_ns; k--)
			idx[k] = idx[k - 1];
		idx[k] = i;
	}
	return n;
}
