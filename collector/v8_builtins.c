// SPDX-License-Identifier: BSD-2-Clause
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "v8_builtins.h"

/* Code without CFI this long or longer, in a module with V8's metadata, is the embedded blob. */
#define BLOB_MIN_BYTES		(512u << 10)
#define EH_HDR_VERSION		1
#define EH_PE_UDATA4		0x03
#define EH_PE_DATAREL_SDATA4	0x3b
#define EH_PE_PCREL_SDATA4	0x1b

/* The Builtins_* functions' range, and whether the module has V8's metadata at all. */
static void by_symbols(Dwfl_Module *mod, uint64_t *lo, uint64_t *hi, bool *v8)
{
	int i, n = dwfl_module_getsymtab(mod);

	*lo = UINT64_MAX;
	*hi = 0;
	*v8 = false;
	for (i = 1; i < n; i++) {
		GElf_Addr addr;
		GElf_Sym sym;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);

		if (!name)
			continue;
		if (!*v8 && !strncmp(name, "v8dbg_", 6))
			*v8 = true;
		if (strncmp(name, "Builtins_", 9) || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
			continue;
		if (addr < *lo)
			*lo = addr;
		if (addr + sym.st_size > *hi)
			*hi = addr + sym.st_size;
	}
}

static int32_t le32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

/* The end of the function whose CFI starts at start (module address), or start. */
static uint64_t fde_end(Dwarf_CFI *cfi, uint64_t bias, uint64_t start)
{
	Dwarf_Frame *frame;
	Dwarf_Addr s, e;
	bool signal;

	if (dwarf_cfi_addrframe(cfi, start - bias, &frame))
		return start;
	if (dwarf_frame_info(frame, &s, &e, &signal) < 0)
		e = start - bias;
	free(frame);
	return e + bias;
}

/* The executable segment holding vaddr (ELF address): its end. */
static uint64_t exec_end(Elf *elf, uint64_t vaddr)
{
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n))
		return 0;
	for (i = 0; i < n; i++)
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X) &&
		    vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz)
			return ph.p_vaddr + ph.p_memsz;
	return 0;
}

/*
 * The largest stretch between one function's CFI and the next, from the
 * sorted table of .eh_frame_hdr (as linkers write it: data-relative
 * 4-byte entries); the stretch after the last one runs to its segment's end.
 */
static void by_cfi_gap(Dwfl_Module *mod, uint64_t *lo, uint64_t *hi)
{
	Dwarf_Addr bias, cbias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	Dwarf_CFI *cfi = dwfl_module_eh_cfi(mod, &cbias);
	const uint8_t *t;
	Elf_Data *d = NULL;
	uint64_t hdr = 0, count, i, prev_end = 0;
	size_t k, n;
	GElf_Phdr ph;

	if (!elf || !cfi || elf_getphdrnum(elf, &n))
		return;
	for (k = 0; k < n && !d; k++)
		if (gelf_getphdr(elf, (int)k, &ph) && ph.p_type == PT_GNU_EH_FRAME && ph.p_filesz >= 12) {
			d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_BYTE);
			hdr = ph.p_vaddr;
		}
	if (!d || !d->d_buf)
		return;
	t = d->d_buf;
	if (t[0] != EH_HDR_VERSION || t[1] != EH_PE_PCREL_SDATA4 || t[2] != EH_PE_UDATA4 ||
	    t[3] != EH_PE_DATAREL_SDATA4)
		return;
	count = (uint32_t)le32(t + 8);
	if (count > (d->d_size - 12) / 8)
		return;
	for (i = 0; i <= count; i++) {
		uint64_t start = i < count ? hdr + (int64_t)le32(t + 12 + 8 * i) : exec_end(elf, prev_end);

		if (i && start > prev_end && start - prev_end >= BLOB_MIN_BYTES && start - prev_end > *hi - *lo) {
			*lo = prev_end + bias;
			*hi = start + bias;
		}
		if (i < count)
			prev_end = fde_end(cfi, cbias, start + bias) - bias;
	}
}

void v8_builtins_range(Dwfl_Module *mod, uint64_t *lo, uint64_t *hi)
{
	bool v8;

	by_symbols(mod, lo, hi, &v8);
	if (*lo >= *hi && v8) {
		*lo = *hi = 0;
		by_cfi_gap(mod, lo, hi);
	}
}
