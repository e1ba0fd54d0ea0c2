/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * JavaScript frames of node processes, named from V8's heap objects
 * (collector/v8_frames.h) while user_stacks unwinds a copied stack: per
 * process, the V8 layout of the node binary or libnode.so it maps (read
 * once; a layout we cannot use is refused, with the missing field), and
 * the target's memory read with process_vm_readv. A named frame's pc is
 * replaced in the stack by an address standing for its name
 * (LS_JS_FRAME_TAG | id, one per process and name), described once by an
 * LS_REC_JS_FRAME emitted ahead of the stack.
 */
#ifndef LS_CLI_JS_FRAMES_H
#define LS_CLI_JS_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include "bpf/loopscope.h"
#include "collector/unwind.h"
#include "collector/v8_frames.h"

#define LS_MAX_JS_PROCS		64
#define LS_MAX_JS_IDS		16384	/* names given addresses, all processes */

typedef int (*js_frames_emit_fn)(void *ctx, void *data, size_t len);

struct js_frames_stats {
	uint32_t v8_procs;		/* processes with a usable V8 layout */
	uint32_t refused_procs;		/* processes whose V8 layout we do not know */
	char version[32];		/* the first usable one's "V8 11.3.244" */
	char refusal[160];		/* the first refusal, one line */
	uint64_t ids_full;		/* names past LS_MAX_JS_IDS: frames left as they were */
	uint64_t stacks;		/* stacks of V8 processes looked at */
	uint64_t ns;			/* spent naming them (CLOCK_MONOTONIC) */
	uint64_t layout_cpu_ns;		/* CPU reading processes' V8 layouts (once each) */
	struct v8_reader_stats reader;	/* all processes' */
};

struct js_frames;

struct js_frames *js_frames__new(void);
/*
 * Names the V8 frames (frames[i].code not native) of pid's unwound stack
 * of n frames (ips rewritten in place), dump and stack being the copy it
 * was unwound from. emit's error, else 0.
 */
int js_frames__name_stack(struct js_frames *jf, uint32_t pid, const struct ls_rec_ustack *dump,
			  const uint8_t *stack, uint64_t *ips, const struct unwound_frame *frames,
			  unsigned n, js_frames_emit_fn emit, void *ctx);
/* pid exited or ran a new program: its layout and objects are gone. */
void js_frames__forget(struct js_frames *jf, uint32_t pid);
void js_frames__stats(const struct js_frames *jf, struct js_frames_stats *st);
void js_frames__free(struct js_frames *jf);

#endif
