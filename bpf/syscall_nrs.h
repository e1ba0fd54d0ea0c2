/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Syscall numbers of the calls we trace. vmlinux.h carries no __NR_*
 * macros, so they are spelled out per architecture (arch/x86/entry/syscalls
 * /syscall_64.tbl and include/uapi/asm-generic/unistd.h).
 */
#ifndef LS_SYSCALL_NRS_H
#define LS_SYSCALL_NRS_H

#if defined(__TARGET_ARCH_x86)
#define LS_NR_read		0
#define LS_NR_write		1
#define LS_NR_pread64		17
#define LS_NR_pwrite64		18
#define LS_NR_readv		19
#define LS_NR_writev		20
#define LS_NR_sendto		44
#define LS_NR_recvfrom		45
#define LS_NR_sendmsg		46
#define LS_NR_recvmsg		47
#define LS_NR_futex		202
#define LS_NR_openat		257
#define LS_NR_epoll_wait	232
#define LS_NR_epoll_pwait	281
#define LS_NR_epoll_pwait2	441
#elif defined(__TARGET_ARCH_arm64)
#define LS_NR_read		63
#define LS_NR_write		64
#define LS_NR_pread64		67
#define LS_NR_pwrite64		68
#define LS_NR_readv		65
#define LS_NR_writev		66
#define LS_NR_sendto		206
#define LS_NR_recvfrom		207
#define LS_NR_sendmsg		211
#define LS_NR_recvmsg		212
#define LS_NR_futex		98
#define LS_NR_openat		56
#define LS_NR_epoll_wait	(-1)	/* arm64 has only epoll_pwait */
#define LS_NR_epoll_pwait	22
#define LS_NR_epoll_pwait2	441
#else
#error "loopscope: syscall numbers for this architecture are missing"
#endif

#endif
