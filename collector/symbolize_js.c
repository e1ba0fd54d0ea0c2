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
#include "js_names.h"
#include "symtab.h"
#include "symbolize_int.h"

int symbolizer__add_js_frame(struct symbolizer *s, const struct ls_rec_js_frame *r)
{
	if (r->pid != (uint32_t)s->pid)
		return -EINVAL;
	if (!s->js && !(s->js = js_names__new()))
		return -ENOMEM;
	return js_names__add(s->js, r);
}

/* A perf-map name of a JavaScript function ("JS:~f file:1:2"; older V8: "LazyCompile:"), past its kind. */
static const char *perf_map_js(const char *name)
{
	static const char *const kinds[] = { "JS:", "LazyCompile:", "Function:" };
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strncmp(name, kinds[i], strlen(kinds[i])))
			return name + strlen(kinds[i]);
	return NULL;	/* a builtin ("Builtin:InterpreterEntryTrampoline"), a stub: V8's name says more */
}

static const char *past_tier(const char *p)
{
	return *p == '~' || *p == '^' || *p == '*' || *p == '+' ? p + 1 : p;
}

/*
 * Whether V8's name (JS:T<name> <file>[:<line>]) is the perf map's
 * function (T<name> <file>:<line>:<column>): the same name (the perf map
 * writes none for an anonymous one), file, and line where ours has one.
 */
static bool same_function(const char *by_map, const char *ours)
{
	const char *m = past_tier(by_map), *o = past_tier(ours + 3);
	size_t n;

	if (!strncmp(o, "(anonymous) ", 12))
		o += 11;
	n = strlen(o);
	return !strncmp(m, o, n) && (m[n] == ':' || m[n] == '\0');
}

/*
 * The perf map's JavaScript name for pc, or NULL. Its entries stay when
 * V8 reuses the code's memory for another function, and a newer line
 * describes the new one: a name that is not V8's is looked up again
 * once the map is read to its end.
 */
static const char *perf_map_name(struct symbolizer *s, const struct js_name *e,
				 struct ls_frame_info *by_map)
{
	const char *js = NULL;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		memset(by_map, 0, sizeof(*by_map));
		if (pass)
			sym_update_perfmap(s, true);
		if (sym_resolve_jit(s, NULL, e->pc, by_map) || !by_map->function ||
		    !(js = perf_map_js(by_map->function)))
			return NULL;
		if (same_function(js, e->name))
			break;
	}
	return js;
}

/*
 * Whether an older perf-map line at pc names V8's function: the map held
 * it there, and the newest line is code that came after the sample (the
 * names are looked up when exported, not when sampled).
 */
static bool older_line_agrees(struct symbolizer *s, const struct js_name *e)
{
	struct ls_sym *lines[16];
	size_t i, n = symtab__enclosing(&s->pmap.syms, e->pc, lines, 16);

	for (i = 0; i < n; i++) {
		const char *js = perf_map_js(lines[i]->name);

		if (js && same_function(js, e->name))
			return true;
	}
	return false;
}

int sym_resolve_js(struct symbolizer *s, uint64_t ip, struct ls_frame_info *out)
{
	const struct js_name *e = s->js ? js_names__find(s->js, (uint32_t)s->pid, ip) : NULL;
	struct ls_frame_info by_map;
	const char *js;

	out->kind = LS_FRAME_JIT;
	out->mapping = "[js]";
	if (!e) {
		s->st.js_unknown++;
		return -ENOENT;
	}
	s->st.named++;
	if (s->pmap.found && (js = perf_map_name(s, e, &by_map))) {
		s->st.js_by_perf_map++;
		if (same_function(js, e->name)) {
			s->st.js_agree++;
			*out = by_map;
			out->ip = ip;
			return 0;
		}
		/* V8's name was checked against the frame at the sample: it stands */
		if (older_line_agrees(s, e))
			s->st.js_agree_older++;
		else
			s->st.js_disagree++;
	} else {
		s->st.js_by_v8++;
	}
	out->function = e->name;
	return 0;
}
