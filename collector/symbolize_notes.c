/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The symbolizer's sentences for the end of a run: what the trust rules
 * refused, how to get the names that were missing, and where each
 * module's symbols came from. From its stats alone, except the last.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "symbolize.h"

const char *symbolizer__refusal(const struct symbolizer_stats *st)
{
	if (st->perf_map_refused == -ELOOP)
		return "the perf map was not read: it is reached through a symbolic link";
	if (st->perf_map_refused == -ENXIO)
		return "the perf map was not read: it is not a regular file";
	if (st->perf_map_refused == -EPERM)
		return "the perf map was not read: it is not owned by the target's user";
	if (st->perf_map_refused)
		return "the perf map was not read: it could not be opened";
	if (st->perf_map_capped)
		return "the perf map is larger than 64 MiB: JIT code named after that is unnamed";
	return NULL;
}

const char *symbolizer__hint(const struct symbolizer_stats *st)
{
	if (symbolizer__refusal(st))
		return symbolizer__refusal(st);
	if (st->unnamed_jit && !st->perf_map_found)
		return "JIT frames have no names: run node with --perf-basic-prof "
		       "--interpreted-frames-native-stack (it writes /tmp/perf-PID.map)";
	if (st->unnamed_jit)
		return "some JIT frames are missing from the perf map: add "
		       "--interpreted-frames-native-stack to node's --perf-basic-prof";
	if (st->unnamed_kernel)
		return "kernel frames have no names: /proc/kallsyms hides addresses "
		       "(run as root, or sysctl kernel.kptr_restrict=0)";
	if (st->file_mismatch)
		return "some binaries were replaced or deleted after the process started: "
		       "restart it, or run as root so /proc/PID/map_files can be read";
	if (st->unnamed_native)
		return "some native frames have no names: the binaries are stripped "
		       "(install their debug symbols or build with symbols)";
	return NULL;
}

const char *ls_frame_label(const struct ls_frame_info *fi, char *buf, size_t sz)
{
	const char *base;

	if (fi->function)
		return fi->function;
	if (!fi->mapping || !fi->map_end) {
		snprintf(buf, sz, "0x%" PRIx64, fi->ip);
		return buf;
	}
	base = strrchr(fi->mapping, '/');
	base = base ? base + 1 : fi->mapping;
	if (fi->mapping[0] == '/')	/* rel_pc: the ELF address, else the file offset */
		snprintf(buf, sz, "%s+0x%" PRIx64, base, fi->rel_pc);
	else
		snprintf(buf, sz, "%s+0x%" PRIx64, base, fi->ip - fi->map_start);
	return buf;
}

const char *ls_sym_source_name(enum ls_sym_source src)
{
	switch (src) {
	case LS_SYMS_SYMTAB:
		return ".symtab";
	case LS_SYMS_BUILD_ID:
		return "build-id dir";
	case LS_SYMS_DEBUGLINK:
		return "debuglink";
	case LS_SYMS_DEBUGINFOD:
		return "debuginfod";
	default:
		return ".dynsym only";
	}
}
