/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The symbolizer and separate debug files (debuginfo.h): the names of a
 * stripped module from its debug file's .symtab, and the end-of-run line
 * on where each module's names came from.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "debuginfo.h"
#include "symbolize_int.h"

_Static_assert((int)LS_SYMS_BUILD_ID == (int)LS_DEBUG_BUILD_ID &&
	       (int)LS_SYMS_DEBUGLINK == (int)LS_DEBUG_DEBUGLINK &&
	       (int)LS_SYMS_DEBUGINFOD == (int)LS_DEBUG_DEBUGINFOD, "one numbering for both");

/*
 * A stripped module (no .symtab: its static functions unnamed) gets the
 * .symtab of its separate debug file when one is found; where the names
 * came from is kept for the end-of-run line.
 */
void sym_add_debug_symbols(struct symbolizer *s, struct elf_entry *e)
{
	enum ls_debug_source src = LS_DEBUG_NONE;
	char where[PATH_MAX];
	int fd;

	e->source = e->elf.from_dynsym ? LS_SYMS_DYNSYM : LS_SYMS_SYMTAB;
	if (!e->elf.from_dynsym || !s->opts.debuginfo)
		goto out;
	e->elf.module.path = e->path;
	e->elf.module.root_fd = s->root_fd;
	fd = debuginfo__find(s->opts.debuginfo, &e->elf.module, &src, where, sizeof(where));
	e->elf.module.path = NULL;	/* interned, but the module's copy need not say so */
	if (fd < 0)
		goto out;
	if (!ls_elf__load_debug(&e->elf, fd)) {
		e->source = (enum ls_sym_source)src;
		e->debug_path = sym_intern_path(s, where);
	}
	close(fd);
out:
	s->st.sym_sources[e->source]++;
}

/* Only the modules not named by their own .symtab: those are the news. */
int symbolizer__sources(const struct symbolizer *s, char *buf, size_t len)
{
	size_t i, used = 0;
	int n;

	if (!len)
		return -EINVAL;
	buf[0] = '\0';
	for (i = 0; i < s->nelfs; i++) {
		const struct elf_entry *e = &s->elfs[i];
		const char *base;

		if (e->err || e->source == LS_SYMS_SYMTAB || !e->path)
			continue;
		base = strrchr(e->path, '/') ? strrchr(e->path, '/') + 1 : e->path;
		if (e->debug_path)
			n = snprintf(buf + used, len - used, "%s%s from %s (%s)", used ? "; " : "",
				     base, e->debug_path, ls_sym_source_name(e->source));
		else
			n = snprintf(buf + used, len - used, "%s%s: .dynsym only", used ? "; " : "",
				     base);
		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0';
			return -ENOSPC;
		}
		used += (size_t)n;
	}
	return 0;
}
