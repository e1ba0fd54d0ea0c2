/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ELF symbol reader on arbitrary bytes, as a mapped file replaced by
 * garbage would give it: the input is written to a memfd and loaded, then
 * every symbol is looked up and file offsets translated.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "collector/elf_syms.h"
#include "fuzz.h"

static void fuzz_elf(const uint8_t *data, size_t size)
{
	struct ls_elf e;
	uint64_t vaddr, bias;
	volatile uint64_t sink = 0;
	size_t i;
	int fd = memfd_create("elf", MFD_CLOEXEC);

	if (fd < 0)
		return;
	memset(&e, 0, sizeof(e));
	if (ls_fuzz_pwrite_all(fd, data, size, 0))
		goto out;
	if (!ls_elf__load(&e, fd)) {
		for (i = 0; i < e.syms.n; i++) {
			struct ls_sym *s = symtab__find(&e.syms, e.syms.syms[i].addr);

			if (s)
				sink += strlen(s->name);
		}
		for (i = 0; i < e.nloads; i++) {
			if (!ls_elf__vaddr(&e, e.loads[i].off, &vaddr, &bias))
				sink += vaddr + bias;
			ls_elf__vaddr(&e, e.loads[i].off + e.loads[i].filesz, &vaddr, &bias);
		}
		for (i = 0; i < e.build_id_len; i++)
			sink += e.build_id[i];
	}
	(void)sink;
	ls_elf__free(&e);
out:
	close(fd);
}

LS_FUZZ_ENTRY(fuzz_elf)
