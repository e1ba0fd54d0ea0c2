/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Where a module keeps V8's embedded builtins (the interpreter, the
 * entry and exit stubs): code with no call frame information that keeps
 * frame pointers, so the unwinder may walk it by them. Internal to
 * collector/ (the unwinder's).
 */
#ifndef LS_V8_BUILTINS_H
#define LS_V8_BUILTINS_H

#include <stdint.h>
#include <elfutils/libdwfl.h>

/*
 * The range [lo, hi) of mod's builtins, module addresses: its Builtins_*
 * symbols; a stripped V8 (libnode.so keeps only .dynsym, with v8dbg_
 * values but no Builtins_ names) by the one large stretch of its code
 * that no .eh_frame entry covers. lo >= hi: none.
 */
void v8_builtins_range(Dwfl_Module *mod, uint64_t *lo, uint64_t *hi);

#endif
