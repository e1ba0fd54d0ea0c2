/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ELF symbols, segments and build-id with libelf (elfutils); see elf_syms.h.
 *
 * The file is read with ELF_C_READ, not ELF_C_READ_MMAP: elfutils then
 * preads each section as it is asked for, so a file truncated (or rewritten)
 * under us gives an error from elf_getdata() instead of a SIGBUS.
 */
#include <errno.h>
#include <gelf.h>
#include <string.h>
#include "elf_syms.h"


/*
 * Among aliases at one address (printf/_IO_printf, malloc/__libc_malloc),
 * prefer the fewest leading underscores, then global over weak over local:
 * that is the name a user wrote. Underscores come first because the public
 * name is often the weak one (glibc's read is a weak alias of __read, ASan's
 * printf of __interceptor_printf).
 */
static uint32_t sym_rank(const GElf_Sym *sym, const char *name)
{
	uint32_t bind = GELF_ST_BIND(sym->st_info), r, u = 0;

	r = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
	while (name[u] == '_' && u < 15)
		u++;
	return u << 4 | r;
}

/*
 * An unsized symbol (an assembly label such as _init) would otherwise cover
 * everything up to the next symbol, across section ends: the PLT after
 * .init read as "_init+64". Bound it by its own section instead.
 */
static uint64_t sized(Elf *elf, const GElf_Sym *sym)
{
	Elf_Scn *scn;
	GElf_Shdr sh;

	if (sym->st_size || sym->st_shndx >= SHN_LORESERVE)
		return sym->st_size;
	scn = elf_getscn(elf, sym->st_shndx);
	if (!scn || !gelf_getshdr(scn, &sh) || sym->st_value < sh.sh_addr ||
	    sym->st_value >= sh.sh_addr + sh.sh_size)
		return 0;
	return sh.sh_addr + sh.sh_size - sym->st_value;
}

/*
 * Functions, and vtables (an OBJECT named _ZTV...): a pool item's owner is
 * named by the vtable its first word points into (cli/work_names.c). No
 * code address lies in a vtable, so frames never resolve to one.
 */
static bool wanted(unsigned type, const char *name)
{
	return type == STT_FUNC || type == STT_GNU_IFUNC ||
	       (type == STT_OBJECT && name && !strncmp(name, "_ZTV", 4));
}

/* Adds the function and vtable symbols of one symbol table section; how many functions, or -errno. */
static int read_symtab(struct ls_elf *e, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t i, n;
	int added = 0, err;

	if (!d || !sh->sh_entsize)
		return -EIO;
	n = d->d_size / sh->sh_entsize;
	for (i = 0; i < n; i++) {
		GElf_Sym sym;
		const char *name;
		unsigned type;

		if (!gelf_getsym(d, (int)i, &sym))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		if (sym.st_shndx == SHN_UNDEF || !sym.st_value ||
		    (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_OBJECT))
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name || !wanted(type, name))
			continue;
		err = symtab__add(&e->syms, sym.st_value, sized(elf, &sym), name, strlen(name),
				  sym_rank(&sym, name));
		if (err)
			return err;
		added += type != STT_OBJECT;
	}
	return added;
}

/* .symtab when it has functions (not stripped), else the exported .dynsym. */
static int read_symbols(struct ls_elf *e, Elf *elf)
{
	Elf_Scn *scn, *dyn = NULL;
	GElf_Shdr sh, dyn_sh;
	int n;

	for (scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_DYNSYM) {
			dyn = scn;
			dyn_sh = sh;
		}
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		n = read_symtab(e, elf, scn, &sh);
		if (n == -ENOMEM)
			return n;
		if (n > 0)
			return 0;
	}
	if (dyn) {
		n = read_symtab(e, elf, dyn, &dyn_sh);
		if (n == -ENOMEM)
			return n;
		e->from_dynsym = true;
	}
	return 0;
}

static int read_loads(struct ls_elf *e, Elf *elf)
{
	size_t n, i;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n))
		return -EIO;
	for (i = 0; i < n && e->nloads < LS_ELF_MAX_LOADS; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		e->loads[e->nloads].off = ph.p_offset;
		e->loads[e->nloads].vaddr = ph.p_vaddr;
		e->loads[e->nloads].filesz = ph.p_filesz;
		e->nloads++;
	}
	return e->nloads ? 0 : -ENOEXEC;
}

int ls_elf__load(struct ls_elf *e, int fd)
{
	Elf *elf;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return -EIO;
	if (elf_kind(elf) != ELF_K_ELF) {
		err = -ENOEXEC;
		goto out;
	}
	err = read_loads(e, elf);
	if (err)
		goto out;
	err = read_symbols(e, elf);
	if (err)
		goto out;
	debuginfo__describe(elf, &e->module);
	e->build_id_len = e->module.build_id_len <= LS_BUILD_ID_MAX ? e->module.build_id_len : 0;
	memcpy(e->build_id, e->module.build_id, e->build_id_len);
	symtab__sort(&e->syms);
out:
	elf_end(elf);
	return err;
}

int ls_elf__load_debug(struct ls_elf *e, int fd)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	Elf *elf;
	int n = -ENOENT;

	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return -EIO;
	while (n <= 0 && n != -ENOMEM && (scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			n = read_symtab(e, elf, scn, &sh);
	elf_end(elf);
	if (n <= 0)
		return n == -ENOMEM ? n : -ENOENT;
	e->from_dynsym = false;
	symtab__sort(&e->syms);
	return 0;
}

int ls_elf__vaddr(const struct ls_elf *e, uint64_t file_off, uint64_t *vaddr, uint64_t *bias)
{
	unsigned i;

	for (i = 0; i < e->nloads; i++) {
		const struct ls_elf_load *l = &e->loads[i];

		if (file_off >= l->off && file_off - l->off < l->filesz) {
			*vaddr = file_off - l->off + l->vaddr;
			*bias = l->vaddr - l->off;
			return 0;
		}
	}
	return -ENOENT;
}

void ls_elf__free(struct ls_elf *e)
{
	if (e)
		symtab__free(&e->syms);
}
