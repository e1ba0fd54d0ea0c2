/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * loopscope's own kernel frames: a stack taken inside one of our programs
 * starts with the program (bpf_prog_<tag>_<name>), the tracepoint glue that
 * ran it (bpf_trace_run<N>, __bpf_trace_<event>, __traceiter_<event> when
 * several probes share the tracepoint) and any helper it was in
 * when a sample hit it. They say where the tracer was, not the target, so
 * they are cut from the leaf end of kernel stacks before anyone sees them.
 * Names come from /proc/kallsyms, read on first use; without it (hidden
 * addresses) nothing is cut.
 */
#ifndef LS_OWN_FRAMES_H
#define LS_OWN_FRAMES_H

#include <stdbool.h>
#include <stdint.h>
#include "kallsyms.h"

struct own_frames {
	struct ls_kallsyms ks;
	bool loaded;
	bool usable;
};

/* How many frames from ips[0] (the leaf) are ours; ips[count..n) is the target's. */
unsigned own_frames__count(struct own_frames *o, const uint64_t *ips, unsigned n);
void own_frames__free(struct own_frames *o);

#endif
