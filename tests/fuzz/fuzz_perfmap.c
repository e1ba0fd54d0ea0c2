/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The perf-map reader on arbitrary bytes, read incrementally as a runtime
 * appends: the input is written to a memfd in two parts with an update
 * after each, then every parsed symbol is looked up. The first byte picks
 * the split point and a small entry limit (to reach the drop path).
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "collector/perfmap.h"
#include "fuzz.h"

static void fuzz_perfmap(const uint8_t *data, size_t size)
{
	struct ls_perfmap pm;
	struct ls_open_rules rules;
	char path[64];
	size_t split, i, max;
	volatile uint64_t sink = 0;
	int fd;

	if (!size)
		return;
	max = data[0] & 0x80 ? (size_t)(data[0] & 0x0f) + 1 : 0;
	split = size > 1 ? (size_t)data[0] * (size - 1) / 255 : 0;
	data++;
	size--;
	fd = memfd_create("perfmap", MFD_CLOEXEC);
	if (fd < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* /proc/self/fd/N is a kernel link: the only kind the rules may follow */
	rules = ls_open_rules_default();
	rules.magic_links = true;
	if (ls_perfmap__init(&pm, path, &rules, max, 0))
		goto out_close;
	if (ls_fuzz_pwrite_all(fd, data, split, 0))
		goto out_free;
	ls_perfmap__update(&pm);
	if (ls_fuzz_pwrite_all(fd, data + split, size - split, (off_t)split))
		goto out_free;
	ls_perfmap__update(&pm);
	ls_perfmap__update(&pm);	/* nothing new: must be a no-op */
	for (i = 0; i < pm.syms.n; i++) {
		struct ls_sym *s = symtab__find(&pm.syms, pm.syms.syms[i].addr);

		if (s)
			sink += strlen(s->name) + s->size;
		s = symtab__find(&pm.syms, pm.syms.syms[i].addr - 1);
		if (s)
			sink += strlen(s->name);
	}
	(void)sink;
out_free:
	ls_perfmap__free(&pm);
out_close:
	close(fd);
}

LS_FUZZ_ENTRY(fuzz_perfmap)
