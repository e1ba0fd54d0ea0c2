/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pftrace_stacks: callstacks in a Perfetto trace, on the pftrace writer's
 * own sequence, for PerfSample packets (on-CPU samples: the UI's per-process
 * flamegraph) and for stall slices (pftrace_event.callstack_iid).
 *
 * Symbolized frames are interned into six tables (mapping paths, build ids,
 * function names, mappings, frames, callstacks). New entries ride on the next
 * packet the writer emits, through its pftrace_interner hook, so an entry is
 * always written in or before the first packet that references it, and iids
 * are never reused: the sequence is cleared only once, at its start.
 *
 * Every frame gets a Mapping (a synthetic one for JIT and unmapped frames)
 * since trace_processor before v53 drops callstacks with mapping-less frames.
 *
 * Use: s = pftrace_stacks__new(w); per stack, pftrace_stacks__callstack()
 * then either pftrace_stacks__sample() or pftrace__event() with the iid;
 * pftrace_stacks__free(s) before pftrace__free(w). Not thread safe.
 */
#ifndef LS_PFTRACE_STACKS_H
#define LS_PFTRACE_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "collector/symbolize.h"
#include "pftrace.h"

struct pftrace_sample {
	uint64_t ts;			/* CLOCK_BOOTTIME ns */
	uint32_t pid;
	uint32_t tid;
	uint32_t cpu;
	bool kernel;			/* the sample interrupted kernel code */
	uint64_t timebase_count;	/* cumulative counter value; 0 = unset */
	uint64_t callstack_iid;
};

struct pftrace_stacks_stats {
	uint64_t callstacks;	/* distinct callstacks interned */
	uint64_t frames;
	uint64_t mappings;
	uint64_t functions;
	uint64_t samples;	/* PerfSample packets written */
};

/* Hooks into w (one pftrace_stacks per writer). NULL and errno on failure. */
struct pftrace_stacks *pftrace_stacks__new(struct pftrace *w);
/* Unhooks from the writer and frees; NULL-safe. */
void pftrace_stacks__free(struct pftrace_stacks *s);

/*
 * Interns the stack frames[0..n), leaf first as bpf_get_stack() returns
 * them (the trace stores root first), and sets *iid. 0, -EINVAL for an
 * empty stack (trace_processor ignores those), or -ENOMEM.
 */
int pftrace_stacks__callstack(struct pftrace_stacks *s, const struct ls_frame_info *frames,
			      size_t n, uint64_t *iid);
/* Writes one PerfSample packet; 0 or -errno (the writer's sticky error). */
int pftrace_stacks__sample(struct pftrace_stacks *s, const struct pftrace_sample *smp);
void pftrace_stacks__stats(const struct pftrace_stacks *s, struct pftrace_stacks_stats *st);

#endif
