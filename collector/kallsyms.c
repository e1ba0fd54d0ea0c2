/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * /proc/kallsyms reader; see kallsyms.h. Lines are "ADDR TYPE NAME [MODULE]".
 * Only text symbols (t, T, w, W) are kept: stacks point into code. kallsyms
 * gives no sizes, so each symbol covers up to the next one (symtab rule).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kallsyms.h"

static int add_line(struct ls_kallsyms *ks, char *line, bool *nonzero)
{
	char *end, *name, type;
	uint64_t addr;
	size_t len;

	addr = strtoull(line, &end, 16);
	if (end == line || end[0] != ' ' || !end[1] || end[2] != ' ')
		return 0;
	type = end[1];
	if (type != 't' && type != 'T' && type != 'w' && type != 'W')
		return 0;
	name = end + 3;
	len = strcspn(name, " \t\n");
	if (!len)
		return 0;
	if (addr)
		*nonzero = true;
	return symtab__add(&ks->syms, addr, 0, name, len, 0);
}

int ls_kallsyms__load(struct ls_kallsyms *ks, const char *path)
{
	FILE *f = fopen(path ? path : "/proc/kallsyms", "re");
	char line[512];
	bool nonzero = false;
	int err = 0;

	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f))
		err = add_line(ks, line, &nonzero);
	fclose(f);
	if (err)
		return err;
	ks->hidden = !nonzero;
	if (ks->hidden)
		symtab__free(&ks->syms);	/* all at 0: any name would be a lie */
	symtab__sort(&ks->syms);
	return 0;
}

void ls_kallsyms__free(struct ls_kallsyms *ks)
{
	if (ks)
		symtab__free(&ks->syms);
}
