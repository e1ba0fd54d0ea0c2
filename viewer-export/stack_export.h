/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Model stacks (raw ips) -> symbolized, interned Perfetto callstacks and
 * PerfSample packets. Symbolization is a callback, so this module does no
 * I/O of its own; each distinct (user, kernel) stack pair is symbolized once.
 */
#ifndef LS_STACK_EXPORT_H
#define LS_STACK_EXPORT_H

#include "collector/model.h"
#include "collector/symbolize.h"
#include "pftrace.h"

/* Names the frame at ip in process pid (a user address means something per process). */
typedef int (*ls_resolve_fn)(void *ctx, uint32_t pid, uint64_t ip, bool kernel,
			     struct ls_frame_info *out);

struct stack_export;

struct stack_export *stack_export__new(struct pftrace *w, ls_resolve_fn resolve, void *ctx);
void stack_export__free(struct stack_export *se);
/*
 * The callstack iid of kern-on-top-of-user (either may be NULL) in process
 * pid; 0 if none or on error. A pair is symbolized once, in the process of
 * its first caller: forked processes share stack ids of identical frames.
 */
uint64_t stack_export__callstack(struct stack_export *se, uint32_t pid,
				 const struct ls_stack *user, const struct ls_stack *kern);
int stack_export__sample(struct stack_export *se, const struct ls_sample *s);
/* kern on top of user, symbolized, leaf first; valid until the next call. */
size_t stack_export__frames(struct stack_export *se, uint32_t pid, const struct ls_stack *user,
			    const struct ls_stack *kern, const struct ls_frame_info **frames);

#endif
