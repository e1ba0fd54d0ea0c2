/* SPDX-License-Identifier: BSD-2-Clause */
/* The display names of the ABI's enums: the one copy of each (record.h). */
#include <stdint.h>
#include "record.h"

const char *const ls_syscall_names[LS_SYS_MAX] = {
	[LS_SYS_NONE] = "none",
#define XX(sfx, name, class) [LS_SYS_##sfx] = #name,
	LS_SYSCALL_MAP(XX)
#undef XX
};

const char *const ls_fd_kind_names[LS_FD_KIND_MAX] = {
#define XX(sfx, name) [LS_FD_##sfx] = name,
	LS_FD_KIND_MAP(XX)
#undef XX
};

const char *const ls_phase_names[LS_PHASE_MAX] = {
#define XX(sfx, name) [LS_PHASE_##sfx] = name,
	LS_PHASE_MAP(XX)
#undef XX
};

const char *const ls_uv_fs_type_names[LS_UV_FS_TYPE_MAX] = {
#define XX(n, name) [n] = name,
	LS_UV_FS_TYPE_MAP(XX)
#undef XX
};

const char *const ls_work_kind_names[LS_WORK_KIND_MAX] = {
#define XX(sfx, name) [LS_WORK_##sfx] = name,
	LS_WORK_KIND_MAP(XX)
#undef XX
};
