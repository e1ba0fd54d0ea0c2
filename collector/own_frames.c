// SPDX-License-Identifier: BSD-2-Clause
#include <string.h>
#include "own_frames.h"

/* Our frames sit at the leaf end: deeper than this, none is looked for. */
#define OWN_FRAMES_MAX_DEPTH	16

static bool is_tracing_glue(const char *name)
{
	/* __traceiter_*: the tracepoint's loop over its probes, when several are attached */
	return !strncmp(name, "bpf_prog_", 9) || !strncmp(name, "bpf_trace_run", 13) ||
	       !strncmp(name, "__bpf_trace_", 12) || !strncmp(name, "__traceiter_", 12);
}

unsigned own_frames__count(struct own_frames *o, const uint64_t *ips, unsigned n)
{
	unsigned i, cut = 0;

	if (!o->loaded) {
		o->loaded = true;
		o->usable = !ls_kallsyms__load(&o->ks, NULL) && !o->ks.hidden;
	}
	if (!o->usable)
		return 0;
	/* the outermost glue frame ends our part: helpers it called are ours too */
	for (i = 0; i < n && i < OWN_FRAMES_MAX_DEPTH; i++) {
		struct ls_sym *s = symtab__find(&o->ks.syms, ips[i]);

		if (s && s->name && is_tracing_glue(s->name))
			cut = i + 1;
	}
	return cut;
}

void own_frames__free(struct own_frames *o)
{
	if (o->loaded)
		ls_kallsyms__free(&o->ks);
	memset(o, 0, sizeof(*o));
}
