/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The summary's "processes" back into struct ls_process. Optional: a file
 * written before processes were traced has none, and reads as one process
 * known only by its loops. A command line reads back as the JSON string's
 * bytes (escapes decoded, at most LS_PROC_CMDLINE_MAX of them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "summary_read_int.h"

#define PATH_LEN		48
#define MAX_READ_PROCS		4096	/* a newer build may keep more than LS_KEEP_PROCS */

static int read_proc(struct rd *r, const struct json_value *v, const char *w,
		     struct ls_process *p)
{
	const struct json_value *comm, *cmd, *exited;

	if (v->type != JSON_OBJECT)
		return sr_bad(r, w, "expected an object");
	p->pid = sr_u32(r, v, w, "pid");
	p->ppid = sr_u32(r, v, w, "ppid");
	p->loops = sr_u32(r, v, w, "loops");
	if (json_get(v, "execs"))
		p->execs = sr_u32(r, v, w, "execs");
	comm = sr_member(r, v, w, "comm", JSON_STRING);
	exited = sr_member(r, v, w, "exited", JSON_BOOL);
	cmd = json_get(v, "command");
	if (cmd && cmd->type != JSON_NULL && cmd->type != JSON_STRING)
		return sr_bad(r, w, "\"command\" must be a string or null");
	if (!cmd)
		return sr_bad(r, w, "missing \"command\"");
	if (r->rc)
		return r->rc;
	snprintf(p->comm, sizeof(p->comm), "%s", comm->str);
	p->exited = exited->boolean;
	if (cmd->type == JSON_STRING) {
		p->cmdline_len = cmd->len < LS_PROC_CMDLINE_MAX ? (uint32_t)cmd->len : LS_PROC_CMDLINE_MAX;
		memcpy(p->cmdline, cmd->str, p->cmdline_len);
	}
	return 0;
}

int sr_read_procs(struct rd *r, const struct json_value *root, struct ls_summary *s)
{
	const struct json_value *a = json_get(root, "processes"), *e;
	char w[PATH_LEN];

	if (!a)
		return 0;
	if (a->type != JSON_ARRAY)
		return sr_bad(r, "summary", "\"processes\" must be an array");
	if (a->len > MAX_READ_PROCS)
		return sr_bad(r, "processes", "more than %d processes", MAX_READ_PROCS);
	s->procs = calloc(a->len ? a->len : 1, sizeof(*s->procs));
	if (!s->procs)
		return r->rc = -ENOMEM;
	for (e = a->child; e && !r->rc; e = e->next) {
		snprintf(w, sizeof(w), "processes[%u]", s->nprocs);
		if (!(s->procs[s->nprocs] = calloc(1, sizeof(**s->procs))))
			return r->rc = -ENOMEM;
		read_proc(r, e, w, s->procs[s->nprocs++]);
	}
	if (!r->rc && json_get(root, "processes_seen"))
		s->procs_seen = sr_u64(r, root, "summary", "processes_seen");
	if (!r->rc && json_get(root, "processes_merged"))
		s->procs_merged = sr_u64(r, root, "summary", "processes_merged");
	return r->rc;
}
