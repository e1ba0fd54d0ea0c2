/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A loop's sync_file_io "paths" and "perf_map" (docs/summary-schema.md).
 * When "paths" is there it is the list (files by path, most time first);
 * a file without it lists "fds" only, read by summary_read.c.
 */
#include <stdio.h>
#include <string.h>
#include "json.h"
#include "record.h"
#include "summary_read_int.h"

#define PATH_LEN 96

static void read_path(struct rd *r, const struct json_value *e, const char *w, struct ls_file_io *io)
{
	const struct json_value *p = json_get(e, "path"), *cut = json_get(e, "cut");

	if (!p || p->type == JSON_NULL)
		return;
	if (p->type != JSON_STRING || !p->len || p->len > LS_FD_PATH_MAX) {
		sr_bad(r, w, "path must be null or a string of 1 to %d bytes", LS_FD_PATH_MAX);
		return;
	}
	memcpy(io->path, p->str, p->len);
	io->path_len = (uint32_t)p->len;
	if (cut && cut->type == JSON_BOOL && cut->boolean)
		io->path_flags |= LS_FDP_CUT;
}

/*
 * A file's "stack" (null or absent: none): the innermost LS_FILE_STACK_FRAMES
 * names are kept, each cut at LS_FRAME_LABEL as a cause's frames are.
 */
static void read_stack(struct rd *r, const struct json_value *e, const char *w, struct ls_file_io *io)
{
	const struct json_value *st = json_get(e, "stack"), *a, *fr;
	char where[PATH_LEN + 64];
	uint64_t depth;

	io->user_stack = -1;
	if (!st || st->type == JSON_NULL)
		return;
	snprintf(where, sizeof(where), "%s.stack", w);
	if (st->type != JSON_OBJECT) {
		sr_bad(r, where, "must be null or an object");
		return;
	}
	io->stack_call_ns = sr_ms_to_ns(sr_num(r, st, where, "call_ms"));
	depth = sr_u32(r, st, where, "depth");
	a = sr_member(r, st, where, "frames", JSON_ARRAY);
	if (!a)
		return;
	for (fr = a->child; fr; fr = fr->next) {
		if (fr->type != JSON_STRING) {
			sr_bad(r, where, "\"frames\" must hold strings");
			return;
		}
		if (io->nframes < LS_FILE_STACK_FRAMES)
			snprintf(io->frames[io->nframes++], LS_FRAME_LABEL, "%s", fr->str);
	}
	if (depth < io->nframes) {
		sr_bad(r, where, "depth %llu is less than the frames listed", (unsigned long long)depth);
		return;
	}
	io->stack_nframes = (uint32_t)depth;
}

static void read_perf_map(struct rd *r, const struct json_value *o, const char *w,
			  struct ls_loop_summary *l)
{
	const struct json_value *pm = json_get(o, "perf_map");
	char where[PATH_LEN + 64];

	if (!pm)
		return;
	snprintf(where, sizeof(where), "%s.perf_map", w);
	if (pm->type != JSON_OBJECT) {
		sr_bad(r, where, "must be an object");
		return;
	}
	l->perf_map.count = sr_u64(r, pm, where, "calls");
	l->perf_map.total_ns = sr_ms_to_ns(sr_num(r, pm, where, "total_ms"));
	l->perf_map.max_ns = sr_ms_to_ns(sr_num(r, pm, where, "max_ms"));
}

int sr_read_file_paths(struct rd *r, const struct json_value *o, const char *where,
		       struct ls_loop_summary *l)
{
	const struct json_value *a = json_get(o, "paths"), *e;
	char w[PATH_LEN + 40];
	struct ls_file_io *io;

	snprintf(w, sizeof(w), "%s.sync_file_io", where);
	read_perf_map(r, o, w, l);
	if (!a || r->rc)
		return r->rc;
	if (a->type != JSON_ARRAY)
		return sr_bad(r, w, "paths must be an array");
	l->nfile_fds = 0;
	for (e = a->child; e && !r->rc; e = e->next) {
		snprintf(w, sizeof(w), "%s.sync_file_io.paths[%u]", where, l->nfile_fds);
		if (l->nfile_fds >= LS_TOP_FILE_FDS)
			return sr_bad(r, w, "more than %d paths listed", LS_TOP_FILE_FDS);
		io = &l->file_io[l->nfile_fds++];
		memset(io, 0, sizeof(*io));
		io->fd = (int32_t)sr_u64(r, e, w, "fd");
		io->count = sr_u64(r, e, w, "count");
		io->total_ns = sr_ms_to_ns(sr_num(r, e, w, "total_ms"));
		io->max_ns = sr_ms_to_ns(sr_num(r, e, w, "max_ms"));
		io->sys_mask = sr_sys_mask(json_get(e, "syscalls"));
		read_path(r, e, w, io);
		read_stack(r, e, w, io);
	}
	return r->rc;
}
