/* SPDX-License-Identifier: BSD-2-Clause */
/* User-side view of the ABI in bpf/loopscope.h, with its sizes pinned. */
#ifndef LS_RECORD_H
#define LS_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "../bpf/loopscope.h"

_Static_assert(sizeof(struct ls_rec_syscall) == 80, "ls_rec_syscall ABI size");
_Static_assert(sizeof(struct ls_rec_thread) == 40, "ls_rec_thread ABI size");
_Static_assert(sizeof(struct ls_stats) == 88, "ls_stats ABI size");
_Static_assert(sizeof(struct ls_rec_uv_phase) == 32, "ls_rec_uv_phase ABI size");
_Static_assert(sizeof(struct ls_rec_uv_work) == 80, "ls_rec_uv_work ABI size");
_Static_assert(sizeof(struct ls_rec_work_name) == 16 + LS_WORK_NAME_MAX, "ls_rec_work_name ABI size");
_Static_assert(sizeof(struct ls_rec_sample) == 48, "ls_rec_sample ABI size");
_Static_assert(sizeof(struct ls_sys_agg) == 8 * (3 + LS_FD_KIND_MAX + LS_AGG_BUCKETS), "ls_sys_agg ABI size");
_Static_assert(sizeof(struct ls_rec_sys_agg) == 24 + sizeof(struct ls_sys_agg), "ls_rec_sys_agg ABI size");
_Static_assert(sizeof(struct ls_thread_totals) == LS_SYS_MAX * sizeof(struct ls_sys_agg), "ls_thread_totals ABI size");
_Static_assert(sizeof(struct ls_rec_offcpu) == 56, "ls_rec_offcpu ABI size");
_Static_assert(sizeof(struct ls_rec_overflow) == 64, "ls_rec_overflow ABI size");
_Static_assert(sizeof(struct ls_rec_stack) == 16 + 8 * LS_MAX_STACK_DEPTH, "ls_rec_stack ABI size");
_Static_assert(sizeof(struct ls_rec_proc) == 304, "ls_rec_proc ABI size");
_Static_assert(sizeof(struct ls_rec_fd_path) == 32 + LS_FD_PATH_MAX, "ls_rec_fd_path ABI size");
_Static_assert(sizeof(struct ls_rec_js_frame) == 24 + LS_JS_NAME_MAX, "ls_rec_js_frame ABI size");
_Static_assert(sizeof(struct ls_inflight) == 64, "ls_inflight ABI size");
_Static_assert(sizeof(struct ls_rec_ustack) == 16 + 8 * LS_UNWIND_REGS + 16, "ls_rec_ustack ABI size");

/* Display names, tabled once from the X-macros of bpf/loopscope.h (names.c). */
extern const char *const ls_syscall_names[LS_SYS_MAX];
extern const char *const ls_fd_kind_names[LS_FD_KIND_MAX];
extern const char *const ls_phase_names[LS_PHASE_MAX];
extern const char *const ls_work_kind_names[LS_WORK_KIND_MAX];
extern const char *const ls_uv_fs_type_names[LS_UV_FS_TYPE_MAX];	/* NULL: not in LS_UV_FS_TYPE_MAP */

static inline const char *ls_syscall_name(uint32_t sys)
{
	return sys < LS_SYS_MAX && ls_syscall_names[sys] ? ls_syscall_names[sys] : "?";
}

static inline const char *ls_fd_kind_name(uint32_t kind)
{
	return kind < LS_FD_KIND_MAX ? ls_fd_kind_names[kind] : "?";
}

static inline const char *ls_phase_name(uint32_t phase)
{
	return phase < LS_PHASE_MAX ? ls_phase_names[phase] : "?";
}

static inline const char *ls_work_kind_name(uint32_t kind)
{
	return kind < LS_WORK_KIND_MAX ? ls_work_kind_names[kind] : "?";
}

/* "fs.read" for an fs item's ls_rec_uv_work.detail; NULL when it names none. */
static inline const char *ls_fs_detail_name(uint32_t detail)
{
	return detail && detail <= LS_UV_FS_TYPE_MAX ? ls_uv_fs_type_names[detail - 1] : NULL;
}

#endif
