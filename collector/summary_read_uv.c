/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libuv's members back into the model, for `report`: a loop's "phases"
 * and the top-level "threadpool". Both optional (a loop without libuv has
 * an empty "phases"; files before them have neither). A name this build
 * does not know (a phase or pool kind added later) is skipped, as the
 * reader skips members it does not know.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loop_summary.h"
#include "record.h"
#include "summary_read_int.h"

#define PATH_LEN 128

static int phase_of(const char *name)
{
	unsigned p;

	for (p = 0; p < LS_PHASE_MAX; p++)
		if (!strcmp(ls_phase_name(p), name))
			return (int)p;
	return -1;
}

static int kind_of(const char *name)
{
	unsigned k;

	for (k = 0; k < LS_WORK_KIND_MAX; k++)
		if (!strcmp(ls_work_kind_name(k), name))
			return (int)k;
	return -1;
}

int sr_read_phases(struct rd *r, const struct json_value *loop, const char *where,
		   struct ls_loop_summary *l)
{
	const struct json_value *o = json_get(loop, "phases"), *e;
	struct ls_phase_stats *ps;
	char w[PATH_LEN];
	int p;

	if (!o)
		return 0;
	if (o->type != JSON_OBJECT)
		return sr_bad(r, where, "\"phases\" must be an object");
	for (e = o->child; e && !r->rc; e = e->next) {
		snprintf(w, sizeof(w), "%s.phases.%s", where, e->key);
		if (e->type != JSON_OBJECT)
			return sr_bad(r, w, "expected an object");
		if ((p = phase_of(e->key)) < 0)
			continue;
		if (!(ps = ls_loop_phase(l, (uint32_t)p)))
			return r->rc = -ENOMEM;
		ps->total_ns = sr_ms_to_ns(sr_num(r, e, w, "total_ms"));
		sr_read_hist(r, e, w, &ps->dur);
	}
	return r->rc;
}

static int read_kind(struct rd *r, const struct json_value *e, const char *w,
		     struct ls_work_stats *st)
{
	static const char *const dists[] = { "queue", "run", "done_latency" };
	struct ls_hist *h[] = { &st->queue, &st->run, &st->done };
	const struct json_value *d;
	char wd[PATH_LEN + 16];
	unsigned i;

	st->count = sr_u64(r, e, w, "count");
	st->incomplete = sr_u64(r, e, w, "incomplete");
	st->sync = sr_u64(r, e, w, "sync_on_loop");
	st->sync_ns = sr_ms_to_ns(sr_num(r, e, w, "sync_ms"));
	for (i = 0; i < 3 && !r->rc; i++) {
		snprintf(wd, sizeof(wd), "%s.%s", w, dists[i]);
		if ((d = sr_member(r, e, w, dists[i], JSON_OBJECT)))
			sr_read_hist(r, d, wd, h[i]);
	}
	return r->rc;
}

/* "by_name" (optional: files before it have none). */
static int read_named(struct rd *r, const struct json_value *o, struct ls_pool_summary *p)
{
	const struct json_value *a = json_get(o, "by_name"), *e, *name, *kind;
	struct ls_work_named *n;
	char w[PATH_LEN];
	int k;

	if (!a)
		return 0;
	if (a->type != JSON_ARRAY)
		return sr_bad(r, "threadpool.by_name", "expected an array");
	if (json_get(o, "probed_late"))
		p->probed_late = sr_u32(r, o, "threadpool", "probed_late");
	if (json_get(o, "names_full"))
		p->named_full = sr_u64(r, o, "threadpool", "names_full");
	for (e = a->child; e && !r->rc; e = e->next) {
		snprintf(w, sizeof(w), "threadpool.by_name[%u]", p->nnamed);
		if (p->nnamed == LS_MAX_WORK_NAMES)
			return sr_bad(r, w, "more than %d names", LS_MAX_WORK_NAMES);
		if (e->type != JSON_OBJECT)
			return sr_bad(r, w, "expected an object");
		name = sr_member(r, e, w, "name", JSON_STRING);
		kind = sr_member(r, e, w, "kind", JSON_STRING);
		if (r->rc)
			return r->rc;
		if (!name->str[0] || strlen(name->str) >= LS_WORK_NAME_MAX)
			return sr_bad(r, w, "\"name\" must be 1 to %d bytes", LS_WORK_NAME_MAX - 1);
		if ((k = kind_of(kind->str)) < 0)
			return sr_bad(r, w, "unknown kind");
		if (!(n = calloc(1, sizeof(*n))))
			return r->rc = -ENOMEM;
		p->named[p->nnamed++] = n;
		snprintf(n->name, sizeof(n->name), "%s", name->str);
		n->kind = (uint32_t)k;
		read_kind(r, e, w, &n->st);
	}
	return r->rc;
}

int sr_read_pool(struct rd *r, const struct json_value *root, struct ls_summary *s)
{
	const struct json_value *o = json_get(root, "threadpool"), *kinds, *e;
	struct ls_pool_summary *p = &s->pool;
	char w[PATH_LEN];
	int k;

	if (!o)
		return 0;
	if (o->type != JSON_OBJECT)
		return sr_bad(r, "threadpool", "expected an object");
	p->nworkers = sr_u32(r, o, "threadpool", "pool_size_seen");
	p->max_queued = (int32_t)sr_u32(r, o, "threadpool", "max_queued");
	p->max_running = (int32_t)sr_u32(r, o, "threadpool", "max_running");
	p->worker_idle_ns = sr_ms_to_ns(sr_num(r, o, "threadpool", "worker_idle_ms"));
	kinds = sr_member(r, o, "threadpool", "kinds", JSON_OBJECT);
	for (e = kinds ? kinds->child : NULL; e && !r->rc; e = e->next) {
		snprintf(w, sizeof(w), "threadpool.kinds.%s", e->key);
		if (e->type != JSON_OBJECT)
			return sr_bad(r, w, "expected an object");
		if ((k = kind_of(e->key)) < 0 || p->kinds[k])
			continue;
		if (!(p->kinds[k] = calloc(1, sizeof(*p->kinds[k]))))
			return r->rc = -ENOMEM;
		read_kind(r, e, w, p->kinds[k]);
	}
	return r->rc ? r->rc : read_named(r, o, p);
}

void sr_free_pool(struct ls_summary *s)
{
	unsigned k;

	for (k = 0; k < LS_WORK_KIND_MAX; k++) {
		free(s->pool.kinds[k]);
		s->pool.kinds[k] = NULL;
	}
	for (k = 0; k < s->pool.nnamed; k++)
		free(s->pool.named[k]);
	s->pool.nnamed = 0;
}
