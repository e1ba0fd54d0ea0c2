/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A process's /proc/PID/maps, read once into memory and parsed: the
 * unwinder reports its modules to libdwfl from it and looks mappings up in
 * it (to open their files safely).
 * The file is written by the kernel, but the paths in it are names the
 * target chose: they are only ever looked up through safe_open.h.
 */
#ifndef LS_PROC_MAPS_H
#define LS_PROC_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The largest maps file read (node: ~300 KiB; a million mappings: ~100 MiB). */
#define LS_MAPS_MAX_BYTES	(64u << 20)

struct ls_mapping {
	uint64_t start;
	uint64_t end;
	uint64_t pgoff;
	uint64_t dev;		/* major << 32 | minor */
	uint64_t ino;
	bool exec;
	const char *path;	/* into the text; "" for anonymous memory */
};

struct ls_proc_maps {
	char *text;		/* the file as read, NUL-terminated; lines then cut in place */
	size_t len;
	struct ls_mapping *maps;	/* sorted by address, as the kernel lists them */
	size_t n;
};

/* Reads and parses /proc/pid/maps. -errno; -ESRCH if the process has none (gone, zombie). */
int ls_proc_maps_read(struct ls_proc_maps *pm, pid_t pid);
/* The mapping holding addr, or NULL. */
const struct ls_mapping *ls_proc_maps_find(const struct ls_proc_maps *pm, uint64_t addr);
void ls_proc_maps_free(struct ls_proc_maps *pm);
/*
 * The vDSO (clock_gettime and friends, where loops spend real time) is no
 * file. Every 64-bit process of this kernel maps the same image, so ours
 * stands for the target's, which is never read. Our own mapping, valid for
 * our lifetime; NULL if there is none or it looks wrong.
 */
const void *ls_own_vdso(size_t *len);
/* The same image in a memfd, for readers that take a file; -errno. */
int ls_own_vdso_fd(void);

#endif
