// SPDX-License-Identifier: BSD-2-Clause
#include <ctype.h>
#include <string.h>
#include "own_frames.h"

/* Our frames sit at the leaf end: deeper than this, none is looked for. */
#define OWN_FRAMES_MAX_DEPTH	16

/*
 * A BPF program's own symbol, bpf_prog_<16 hex digits of its tag>_<name>:
 * not the kernel's bpf_prog_load() and the like, which a target may be in.
 */
static bool is_bpf_program(const char *name)
{
	int i;

	if (strncmp(name, "bpf_prog_", 9))
		return false;
	for (i = 9; i < 25; i++)
		if (!isxdigit((unsigned char)name[i]))
			return false;
	return name[25] == '_';
}

static bool is_tracing_glue(const char *name)
{
	/* __traceiter_*: the tracepoint's loop over its probes, when several are attached */
	return is_bpf_program(name) || !strncmp(name, "bpf_trace_run", 13) ||
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
