/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What each JavaScript frame address of the stream stands for: the names
 * LS_REC_JS_FRAME records carry, by (process, address). The symbolizer
 * keeps its process's; replay keeps all, since a capture holds its names
 * and needs no live process for them.
 */
#ifndef LS_JS_NAMES_H
#define LS_JS_NAMES_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "bpf/loopscope.h"
#include "symbolize.h"

#define LS_MAX_JS_NAMES	65536	/* all processes together */

struct js_name {
	uint32_t pid;
	uint64_t addr, pc;
	const char *name;	/* "JS:" and the record's name; valid until js_names__free() */
};

struct js_names;

struct js_names *js_names__new(void);
/* 0; -EINVAL not a JavaScript frame's address; -ENOMEM (also past LS_MAX_JS_NAMES). */
int js_names__add(struct js_names *n, const struct ls_rec_js_frame *r);
const struct js_name *js_names__find(const struct js_names *n, uint32_t pid, uint64_t addr);
/* The frame as V8's name has it (kind JIT, mapping "[js]"): 0, or -ENOENT with out unnamed. */
int js_names__frame(const struct js_names *n, uint32_t pid, uint64_t addr, struct ls_frame_info *out);
void js_names__free(struct js_names *n);

#endif
