/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * top's stall causes: each stall's cause (viewer-export/stall_cause.h),
 * made from the iteration's stacks as the stall ends and named by a
 * symbolizer per process (cli/proc_syms.h); the window's worst stall and
 * the causes since top started, grouped as the end summary groups them.
 * Names come from the target: escaped before they are drawn.
 */
#ifndef LS_CLI_TOP_CAUSES_H
#define LS_CLI_TOP_CAUSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "collector/model.h"

struct top_causes;
struct proc_syms;

/* syms is borrowed. NULL when out of memory. */
struct top_causes *top_causes__new(struct proc_syms *syms);
void top_causes__free(struct top_causes *tc);
/* A stall of thread th ended: its cause, into the window and the groups. */
void top_causes__add(struct top_causes *tc, const struct ls_thread *th, const struct ls_iteration *it);
/* The screen's lines: this window's worst stall and the top causes since the start. */
void top_causes__draw(const struct top_causes *tc, FILE *f, unsigned max_groups);
/* The plain line's tail: " cause: A <- B (share)" of the window's worst stall, "" without one. */
const char *top_causes__line(const struct top_causes *tc, char *buf, size_t sz);
/* A new window: its worst stall forgotten, the groups kept. */
void top_causes__reset_window(struct top_causes *tc);

#endif
