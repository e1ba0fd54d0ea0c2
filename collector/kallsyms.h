/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kallsyms: kernel text symbols from /proc/kallsyms, sorted for lookup.
 * Internal to collector/.
 */
#ifndef LS_KALLSYMS_H
#define LS_KALLSYMS_H

#include <stdbool.h>
#include "symtab.h"

struct ls_kallsyms {
	struct ls_symtab syms;
	bool hidden;	/* every address read as 0: kptr_restrict or no CAP_SYSLOG */
};

/* 0, or -errno when the file cannot be read; ks->hidden says names are unusable. */
int ls_kallsyms__load(struct ls_kallsyms *ks, const char *path);
void ls_kallsyms__free(struct ls_kallsyms *ks);

#endif
