/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * elf_syms: what the symbolizer needs from one ELF file, read once and
 * cached per file: function symbols by ELF address, the PT_LOAD segments
 * (to turn a file offset into an ELF address) and the GNU build-id.
 * Internal to collector/.
 */
#ifndef LS_ELF_SYMS_H
#define LS_ELF_SYMS_H

#include <stdint.h>
#include "debuginfo.h"
#include "symbolize.h"
#include "symtab.h"

#define LS_ELF_MAX_LOADS	16

struct ls_elf_load {
	uint64_t off;
	uint64_t vaddr;
	uint64_t filesz;
};

struct ls_elf {
	struct ls_symtab syms;
	struct ls_elf_load loads[LS_ELF_MAX_LOADS];
	unsigned nloads;
	uint8_t build_id[LS_BUILD_ID_MAX];
	uint32_t build_id_len;
	bool from_dynsym;	/* no .symtab: exported names only */
	struct debuginfo_module module;	/* build-id and debuglink, to find a debug file */
};

/*
 * Reads fd (left open for the caller to close). -ENOEXEC when it is not an
 * ELF file, -EIO when libelf cannot read the headers (truncated file).
 */
int ls_elf__load(struct ls_elf *e, int fd);
/* ELF address of a file offset; -ENOENT when no PT_LOAD holds it. */
int ls_elf__vaddr(const struct ls_elf *e, uint64_t file_off, uint64_t *vaddr, uint64_t *bias);
/*
 * Adds the .symtab of e's separate debug file (fd, left open) to e's
 * symbols: its addresses are the module's ELF addresses (its sections
 * are NOBITS but for the symbol and string tables). -ENOENT when it has
 * no function symbols; e is unchanged then.
 */
int ls_elf__load_debug(struct ls_elf *e, int fd);
void ls_elf__free(struct ls_elf *e);

#endif
