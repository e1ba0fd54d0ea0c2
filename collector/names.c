/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdint.h>
#include "record.h"

const char *const ls_syscall_names[LS_SYS_MAX] = {
	[LS_SYS_NONE] = "none",
#define XX(id, name) [LS_SYS_##id] = name,
	LS_SYSCALL_MAP(XX)
#undef XX
};

const char *const ls_fd_kind_names[LS_FD_KIND_MAX] = {
#define XX(id, name) [LS_FD_##id] = name,
	LS_FD_KIND_MAP(XX)
#undef XX
};
