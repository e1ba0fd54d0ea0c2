/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * v8_frames: names a JavaScript frame of a running node from V8's heap
 * objects, with the layout of collector/v8_layout.h, no perf map needed.
 *
 * The frame's slots (context, function, bytecode array and offset) come
 * from the stack as copied at the sample, so they are the frame's own;
 * only the hops from there (JSFunction -> SharedFunctionInfo -> name,
 * Script) read the target's live memory, through the caller's read
 * callback, some milliseconds later. V8's GC moves objects in between, so
 * nothing is believed unchecked: every object's map must give the type
 * it should have, and the function must be the frame's own: an
 * interpreted or baseline frame's bytecode array slot must be its
 * SharedFunctionInfo's bytecode, an optimized frame's pc must be inside
 * its function's code. A frame that fails is unnamed ("[JS]"), never
 * named wrongly.
 *
 * Names are "T<name> <file>:<line>", T the tier as V8's perf map writes
 * it ('~' interpreted, '^' baseline, '*' optimized); the line is the
 * function's first (from its ScopeInfo's position and the script's
 * source). Bytes from the target that are not printable ASCII become '?'.
 * Pure: no I/O but the callback. Not thread safe.
 */
#ifndef LS_V8_FRAMES_H
#define LS_V8_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "v8_layout.h"

#define LS_V8_NAME_MAX	192

/* Reads len bytes of the target at addr: 0, or -errno (nothing is believed). */
typedef int (*v8_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

/* One frame whose pc is in V8's code, with its slots as the stack copy had them. */
struct v8_frame {
	uint64_t pc;
	uint64_t context, function, bytecode_array, bytecode_offset;
	bool in_builtins;	/* pc in V8's embedded builtins (the interpreter), not JIT code */
};

struct v8_reader_stats {
	uint64_t frames;	/* v8_reader__name() calls */
	uint64_t named;
	uint64_t not_js;	/* a stub or internal frame (a marker, no function) */
	uint64_t bad_object;	/* an object failed its type check */
	uint64_t not_its_own;	/* the function was not the frame's (moved, reused) */
	uint64_t read_errors;
	uint64_t cache_hits;
	uint64_t no_line;	/* named without a line */
};

struct v8_reader;

/* A reader of one process; the layout is copied. NULL when out of memory. */
struct v8_reader *v8_reader__new(const struct v8_layout *l, v8_read_fn read, void *ctx);
/*
 * Names f into name (LS_V8_NAME_MAX bytes). 0 named; -ENOENT not a
 * JavaScript frame (a stub's marker); -ESTALE a JavaScript frame that
 * failed a check (unnamed).
 */
int v8_reader__name(struct v8_reader *r, const struct v8_frame *f, char *name);
void v8_reader__stats(const struct v8_reader *r, struct v8_reader_stats *st);
void v8_reader__free(struct v8_reader *r);

#endif
