/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * unwinder: a copied user stack (struct ls_rec_ustack) to return
 * addresses, with each module's call frame information (.eh_frame, which
 * stripped binaries keep), through elfutils' libdwfl, as perf's libdw
 * unwinder does. Code with no CFI (a JIT's) is walked by libdwfl's
 * frame-pointer fallback.
 *
 * Stop, never guess: the stack ends at the first frame libdwfl cannot
 * unwind, at the first address outside the process's executable
 * mappings, and where the copy ends. Nothing is read from the target's
 * memory but the copy; module files are opened by ls_open_mapped() (the
 * mapped inode, never through a link) and read with read(2), not mapped,
 * so a file the target truncates cannot fault us.
 *
 * x86-64 only (the register set of LS_UNWIND_REGS). Not thread safe.
 */
#ifndef LS_UNWIND_H
#define LS_UNWIND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "bpf/loopscope.h"

struct unwinder_stats {
	uint64_t stacks;	/* unwinder__unwind() calls */
	uint64_t frames;	/* frames returned */
	uint64_t no_module;	/* a stack that ended at an address no module holds */
	uint64_t at_copy_end;	/* a stack that ended because the copy did (LS_MAX_STACK_COPY) */
	uint64_t no_cfi;	/* a stack that ended where libdwfl found no rule */
	uint64_t maps_reloads;
	uint64_t files;		/* module files opened */
	uint64_t file_errors;	/* module files not usable (gone, replaced, refused) */
	uint64_t ns;		/* spent in unwinder__unwind() (CLOCK_MONOTONIC) */
	uint64_t load_cpu_ns;	/* CPU of the unwinds that opened a module file (its CFI read then) */
};

struct unwinder;

/* An unwinder for process pid; NULL with errno set. */
struct unwinder *unwinder__new(pid_t pid);
/* Where a frame's pc is: V8's frames are named from their slots (collector/v8_frames.h). */
enum unwound_code {
	LS_CODE_NATIVE = 0,
	LS_CODE_JIT,		/* anonymous executable memory */
	LS_CODE_V8_BUILTIN,	/* V8's embedded builtins (Builtins_*) */
};

struct unwound_frame {
	uint64_t fp;		/* the frame's rbp as unwound; 0 = not known */
	enum unwound_code code;
};

/*
 * Unwinds dump (its header and the size bytes of stack after it) into at
 * most max return addresses, leaf first, as a frame-pointer walk would give
 * them, and (frames not NULL) each one's frame pointer and kind of code.
 * Returns how many (0: not even the leaf is in a mapping).
 */
unsigned unwinder__unwind(struct unwinder *u, const struct ls_rec_ustack *dump,
			  const uint8_t *stack, uint64_t *ips, struct unwound_frame *frames,
			  unsigned max);
void unwinder__stats(const struct unwinder *u, struct unwinder_stats *st);
void unwinder__free(struct unwinder *u);

#endif
