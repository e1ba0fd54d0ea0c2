// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	pm->raw = malloc(pm->len + 1);
	err = pm->raw ? 0 : -ENOMEM;
	if (!err) {
		memcpy(pm->raw, pm->text, pm->len + 1);
		err = parse_all(pm);
	}
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
	free(pm->raw);
	free(pm->maps);
	memset(pm, 0, sizeof(*pm));
}
