// SPDX-License-Identifier: BSD-2-Clause
/*
 * JavaScript frames named from V8's heap (LS_REC_JS_FRAME): the stack
 * holds an address standing for the frame; the perf map, where the target
 * writes one, still names the frame's pc first (exact), and where both
 * name it the two are compared: a disagreement is counted, for tests and
 * the record line to show.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include "bpf/loopscope.h"
#include "symbolize_int.h"

#define LS_MAX_JS_FRAMES	65536	/* per process */

static bool js_eq(const void *entry, const void *key)
{
	return ((const struct js_frame_entry *)entry)->addr == *(const uint64_t *)key;
}

void sym_js_init(struct symbolizer *s)
{
	ls_table_init(&s->js_frames, sizeof(struct js_frame_entry), 64, LS_MAX_JS_FRAMES, js_eq);
}

int symbolizer__add_js_frame(struct symbolizer *s, const struct ls_rec_js_frame *r)
{
	char name[LS_JS_NAME_MAX + 4];
	struct js_frame_entry *e;
	bool created;
	size_t len;

	if (!LS_IS_JS_FRAME(r->addr))
		return -EINVAL;
	len = strnlen(r->name, sizeof(r->name));
	snprintf(name, sizeof(name), "JS:%.*s", (int)len, r->name);
	e = ls_table_insert(&s->js_frames, ls_hash_u64(r->addr), &r->addr, &created);
	if (!e)
		return -ENOMEM;
	e->addr = r->addr;
	e->pc = r->pc;
	e->name = symtab__strdup(&s->strs, name, strlen(name));
	return e->name ? 0 : -ENOMEM;
}

/* The function of a perf-map or V8 name: past "JS:" and the tier, up to the space. */
static size_t function_part(const char *name, const char **start)
{
	const char *p = strncmp(name, "JS:", 3) ? name : name + 3;

	if (*p == '~' || *p == '^' || *p == '*' || *p == '+')
		p++;
	*start = p;
	return strcspn(p, " ");
}

static bool same_function(const char *a, const char *b)
{
	const char *pa, *pb;
	size_t na = function_part(a, &pa), nb = function_part(b, &pb);

	return na == nb && !memcmp(pa, pb, na);
}

int sym_resolve_js(struct symbolizer *s, uint64_t ip, struct ls_frame_info *out)
{
	struct js_frame_entry *e = ls_table_find(&s->js_frames, ls_hash_u64(ip), &ip);
	struct ls_frame_info by_map;

	out->kind = LS_FRAME_JIT;
	out->mapping = "[js]";
	if (!e) {
		s->st.js_unknown++;
		return -ENOENT;
	}
	if (s->pmap.found && !sym_resolve_jit(s, NULL, e->pc, &by_map) && by_map.function) {
		s->st.js_by_perf_map++;
		if (same_function(by_map.function, e->name))
			s->st.js_agree++;
		else
			s->st.js_disagree++;
		*out = by_map;
		out->ip = ip;
		s->st.named++;
		return 0;
	}
	s->st.js_by_v8++;
	out->function = e->name;
	s->st.named++;
	return 0;
}
