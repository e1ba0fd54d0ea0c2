/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * folded: stacks in the "folded" text format read by flamegraph.pl,
 * speedscope and inferno: one line per distinct stack, frames root first
 * joined by ';', a space, then the count ("main;serve;hashPasswordsSync 42").
 *
 * Identical stacks are aggregated in memory; folded__write() prints them
 * sorted, so the same input always gives the same file. Frame names are
 * escaped for the format (LS_ESC_FOLDED in text_escape.h): ';' becomes ':',
 * CR and LF a space, a backslash two, other control bytes, DEL and invalid
 * UTF-8 "\xNN", so a name can neither split a frame nor a line. Not thread safe.
 */
#ifndef LS_FOLDED_H
#define LS_FOLDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "collector/symbolize.h"

struct folded_opts {
	/* Suffix kernel frames "_[k]" and JIT frames "_[j]", as stackcollapse-perf.pl
	 * --all does, so flamegraph.pl --color=java colours them apart. */
	bool annotate;
};

/* NULL and errno on failure; opts may be NULL. */
struct folded *folded__new(const struct folded_opts *opts);
void folded__free(struct folded *f);

/* Adds count to the stack names[0..n), root first. 0, -EINVAL (n == 0) or -ENOMEM. */
int folded__add(struct folded *f, const char *const *names, size_t n, uint64_t count);
/*
 * Adds count to a symbolized stack, frames[0..n) leaf first as sampled;
 * prefix (e.g. "node;tid 42"), when not NULL, becomes the root frame(s) as is:
 * the caller escapes each of its frames (ls_esc_str(LS_ESC_FOLDED, ...)).
 * Unnamed frames show as "[basename of their mapping]" or "[unknown]".
 */
int folded__add_frames(struct folded *f, const char *prefix, const struct ls_frame_info *frames,
		       size_t n, uint64_t count);
/* Distinct stacks so far. */
size_t folded__stacks(const struct folded *f);
/* Writes every stack, sorted; 0 or -EIO. */
int folded__write(const struct folded *f, FILE *out);

#endif
