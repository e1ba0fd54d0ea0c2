/* SPDX-License-Identifier: BSD-2-Clause */
/* What uvprobes.c shares with uvcallbacks.c: mappings and attaching a program at offsets. */
#ifndef LS_CLI_UVPROBES_INT_H
#define LS_CLI_UVPROBES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "uvprobes.h"

struct bpf_program;

#define LS_UV_GROUP_MAX 8

/* The offsets one program is attached at, with their cookies. */
struct probe_group {
	unsigned n;
	uint64_t offsets[LS_UV_GROUP_MAX];
	uint64_t cookies[LS_UV_GROUP_MAX];
};

struct mapping {
	uint64_t start, end, pgoff, ino;
	char path[4096];
};

/* pid's executable file mappings (malloc'ed *out); 0 or -errno. */
int uvp_read_exec_mappings(pid_t pid, struct mapping **out, size_t *n);
/* prog at g's offsets of the file path (a /proc/self/fd/N of a checked fd); 0 or -errno. */
int uvp_attach_group(struct uvprobes *u, struct bpf_program *prog, pid_t pid,
		     const char *path, const struct probe_group *g, bool ret);

#endif
