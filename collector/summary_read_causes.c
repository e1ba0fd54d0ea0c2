/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A loop's "stall_causes" back into struct ls_cause_group, for `report`.
 * Optional: a file written before causes has none. Frames are names; a
 * name longer than LS_CAUSE_LABEL is cut, as the writer cut it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cause.h"
#include "record.h"
#include "summary_read_int.h"

#define PATH_LEN 96

static int read_frames(struct rd *r, const struct json_value *g, const char *w,
		       struct ls_cause *c)
{
	const struct json_value *a = sr_member(r, g, w, "frames", JSON_ARRAY), *e;
	const struct json_value *off = sr_member(r, g, w, "offcpu", JSON_BOOL);

	if (r->rc)
		return r->rc;
	c->offcpu = off->boolean;
	for (e = a->child; e; e = e->next) {
		if (e->type != JSON_STRING)
			return sr_bad(r, w, "\"frames\" must hold strings");
		if (c->nframes < LS_CAUSE_FRAMES)
			snprintf(c->frames[c->nframes++], LS_CAUSE_LABEL, "%s", e->str);
	}
	return 0;
}

/* An id by its name in names[0..n), -1 when none. */
static int id_of(const char *const *names, unsigned n, const char *name)
{
	unsigned i;

	for (i = 1; i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return (int)i;
	return -1;
}

/* Off CPU (optional, a file before them has neither): "waited_in" and "waited_on". */
static int read_wait(struct rd *r, const struct json_value *g, const char *w, struct ls_cause *c)
{
	const struct json_value *in = json_get(g, "waited_in"), *on = json_get(g, "waited_on");
	const struct json_value *sys, *kind, *fd, *path;
	int s, k;

	if (in && in->type == JSON_STRING)
		snprintf(c->waited, sizeof(c->waited), "%s", in->str);
	if (!on || on->type == JSON_NULL)
		return 0;
	sys = json_get(on, "syscall"), kind = json_get(on, "fd_kind"), fd = json_get(on, "fd");
	path = json_get(on, "path");
	if (on->type != JSON_OBJECT || !sys || sys->type != JSON_STRING || !kind ||
	    kind->type != JSON_STRING || !fd || fd->type != JSON_NUMBER)
		return sr_bad(r, w, "\"waited_on\" must hold \"syscall\", \"fd_kind\" and \"fd\"");
	s = id_of(ls_syscall_names, LS_SYS_MAX, sys->str);
	k = id_of(ls_fd_kind_names, LS_FD_KIND_MAX, kind->str);
	if (s < 0 || (k < 0 && strcmp(kind->str, "none")) || fd->num < -1 || fd->num > INT32_MAX || fd->num != (double)(int32_t)fd->num)
		return sr_bad(r, w, "\"waited_on\": an unknown syscall or fd kind, or a bad fd");
	c->wait_on.sys = (uint32_t)s;
	c->wait_on.fd_kind = k < 0 ? LS_FD_NONE : (uint32_t)k;
	c->wait_on.fd = (int32_t)fd->num;
	if (path && path->type == JSON_STRING) {
		c->wait_on.path_len = (uint32_t)strnlen(path->str, LS_WAIT_PATH_MAX);
		memcpy(c->wait_on.path, path->str, c->wait_on.path_len);
	}
	return 0;
}

static int read_group(struct rd *r, const struct json_value *g, const char *w,
		      struct ls_cause_group *out)
{
	double cause_share;

	if (g->type != JSON_OBJECT)
		return sr_bad(r, w, "expected an object");
	if (read_frames(r, g, w, &out->cause) || read_wait(r, g, w, &out->cause))
		return r->rc;
	out->count = sr_u32(r, g, w, "count");
	out->min_ns = (uint64_t)(sr_num(r, g, w, "min_ms") * 1e6 + 0.5);
	out->max_ns = (uint64_t)(sr_num(r, g, w, "max_ms") * 1e6 + 0.5);
	out->total_ns = (uint64_t)(sr_num(r, g, w, "total_ms") * 1e6 + 0.5);
	out->share = sr_num(r, g, w, "share");
	cause_share = sr_num(r, g, w, "cause_share");
	out->samples = sr_u64(r, g, w, "samples");
	out->nsamples = sr_u64(r, g, w, "stall_samples");
	if (r->rc)
		return r->rc;
	if (out->share < 0 || out->share > 1 || cause_share < 0 || cause_share > 1)
		return sr_bad(r, w, "a share out of 0..1");
	if (out->samples > out->nsamples)
		return sr_bad(r, w, "\"samples\" above \"stall_samples\"");
	/* the writer's weights in ns are not written, only their ratio */
	out->weight = cause_share;
	out->total_weight = 1;
	return 0;
}

int sr_read_causes(struct rd *r, const struct json_value *loop, const char *where,
		   struct ls_loop_summary *l)
{
	const struct json_value *a = json_get(loop, "stall_causes"), *e;
	char w[PATH_LEN];

	if (!a)
		return 0;
	snprintf(w, sizeof(w), "%s.stall_causes", where);
	if (a->type != JSON_ARRAY)
		return sr_bad(r, w, "expected an array");
	if (a->len > LS_CAUSE_GROUPS)
		return sr_bad(r, w, "more than %d causes", LS_CAUSE_GROUPS);
	if (!a->len)
		return 0;
	l->causes = calloc(a->len, sizeof(*l->causes));
	if (!l->causes)
		return r->rc = -ENOMEM;
	for (e = a->child; e && !r->rc; e = e->next) {
		snprintf(w, sizeof(w), "%s.stall_causes[%u]", where, l->ncauses);
		read_group(r, e, w, &l->causes[l->ncauses++]);
	}
	return r->rc;
}
