// SPDX-License-Identifier: BSD-2-Clause
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>
#include "proc_maps.h"
#include "safe_open.h"

static int parse_line(char *line, struct ls_mapping *m)
{
	unsigned long start, end, pgoff, ino;
	unsigned maj, min;
	char perms[5];
	int pos = 0;

	if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &start, &end, perms, &pgoff,
		   &maj, &min, &ino, &pos) < 7 || !pos || end <= start)
		return -EINVAL;
	m->start = start, m->end = end, m->pgoff = pgoff, m->ino = ino;
	m->dev = (uint64_t)maj << 32 | min;
	m->exec = strchr(perms, 'x') != NULL;
	m->path = line + pos;
	return 0;
}

static int parse_all(struct ls_proc_maps *pm)
{
	size_t cap = 0;
	char *line = pm->text, *nl;

	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)	/* the kernel ends every line: a cut one is not ours to guess */
			break;
		*nl = '\0';
		if (pm->n == cap) {
			struct ls_mapping *tmp;

			cap = cap ? cap * 2 : 256;
			tmp = realloc(pm->maps, cap * sizeof(*tmp));
			if (!tmp)
				return -ENOMEM;
			pm->maps = tmp;
		}
		pm->n += !parse_line(line, &pm->maps[pm->n]);
	}
	return pm->n ? 0 : -ESRCH;
}

int ls_proc_maps_read(struct ls_proc_maps *pm, pid_t pid)
{
	struct ls_open_rules rules = ls_open_rules_default();
	char path[64];
	int err;

	memset(pm, 0, sizeof(*pm));
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	err = ls_read_small_file(path, &rules, LS_MAPS_MAX_BYTES, &pm->text, &pm->len);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	err = parse_all(pm);
	if (err)
		ls_proc_maps_free(pm);
	return err;
}

const struct ls_mapping *ls_proc_maps_find(const struct ls_proc_maps *pm, uint64_t addr)
{
	size_t lo = 0, hi = pm->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < pm->maps[mid].start)
			hi = mid;
		else if (addr >= pm->maps[mid].end)
			lo = mid + 1;
		else
			return &pm->maps[mid];
	}
	return NULL;
}

void ls_proc_maps_free(struct ls_proc_maps *pm)
{
	free(pm->text);
	free(pm->maps);
	memset(pm, 0, sizeof(*pm));
}

const void *ls_own_vdso(size_t *len)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
	size_t n;

	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return NULL;
	n = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;	/* section headers come last */
	if (n < sizeof(*eh) || n > (1u << 20))
		return NULL;
	*len = n;
	return eh;
}

int ls_own_vdso_fd(void)
{
	size_t len;
	const void *img = ls_own_vdso(&len);
	int fd, err = 0;

	if (!img)
		return -ENOENT;
	fd = memfd_create("loopscope-vdso", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, img, len) != (ssize_t)len)
		err = -EIO;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}
