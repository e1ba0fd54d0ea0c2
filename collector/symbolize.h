/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * symbolizer: instruction addresses of one process (and of the kernel) to
 * function names, for stall stacks and stack-overflow diagnoses.
 *
 *  - native frames: the ELF file behind the /proc/PID/maps entry, .symtab
 *    first then .dynsym, file offset -> ELF address through the PT_LOAD
 *    headers (PIE, non-PIE and shared objects alike). Files are opened by
 *    ls_open_mapped() (safe_open.h): /proc/PID/map_files (deleted or
 *    replaced binaries), then the path inside the target's root, never
 *    through a link, and used only when their inode is the mapped one: a
 *    replaced binary gives no name rather than a wrong one.
 *  - kernel frames: /proc/kallsyms, read on first use.
 *  - JIT frames: the perf map /tmp/perf-PID.map (node --perf-basic-prof),
 *    read incrementally as the runtime appends to it, only when it is a
 *    regular file of the target's own user reached without a link, and no
 *    further than max_perf_map_bytes; a refusal shows in the stats and hint.
 *  - C++ names are demangled with libstdc++'s __cxa_demangle when present.
 *
 * Every string in a struct ls_frame_info stays valid until symbolizer__free().
 * Not thread safe. Errors are 0 or -errno; a name that cannot be found is
 * not an error of the symbolizer but a counted, unnamed frame.
 */
#ifndef LS_SYMBOLIZE_H
#define LS_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LS_BUILD_ID_MAX	64

/* The same values as Perfetto's Frame.Kind, so the exporter can pass them on. */
enum ls_frame_kind {
	LS_FRAME_UNKNOWN = 0,
	LS_FRAME_NATIVE = 1,
	LS_FRAME_KERNEL = 2,
	LS_FRAME_JIT = 4,
};

struct ls_frame_info {
	uint64_t ip;
	const char *function;	/* NULL = unnamed */
	uint64_t offset;	/* ip - start of the function */
	const char *mapping;	/* file path, "[kernel.kallsyms]", the perf map, "[anon]"...; NULL = none */
	uint64_t map_start;	/* kernel: 0 */
	uint64_t map_end;	/* kernel: 0 */
	uint64_t map_pgoff;	/* file offset of map_start */
	uint64_t load_bias;	/* ELF vaddr - file offset of the code segment */
	uint64_t rel_pc;	/* ip - map_start + map_pgoff + load_bias: the ELF address; kernel: ip */
	uint8_t build_id[LS_BUILD_ID_MAX];
	uint32_t build_id_len;	/* 0 = unknown */
	enum ls_frame_kind kind;
};

/* Where a module's names came from; the debug-file values are enum ls_debug_source's. */
enum ls_sym_source {
	LS_SYMS_SYMTAB = 0,	/* its own .symtab */
	LS_SYMS_BUILD_ID = 1,	/* a debug file under <debug-dir>/.build-id/ */
	LS_SYMS_DEBUGLINK = 2,	/* a debug file named by .gnu_debuglink */
	LS_SYMS_DEBUGINFOD = 3,	/* a debug file from debuginfod */
	LS_SYMS_DYNSYM = 4,	/* stripped, no debug file: exported names only */
	LS_SYMS_NSOURCES
};

struct debuginfo;

struct symbolizer_opts {
	size_t sz;			/* sizeof(struct symbolizer_opts), for growth */
	const char *kallsyms_path;	/* NULL = /proc/kallsyms */
	const char *perf_map_path;	/* NULL = the target's /tmp/perf-<nspid>.map */
	size_t max_perf_map_entries;	/* 0 = 4M; later lines are counted, not kept */
	uint64_t max_perf_map_bytes;	/* 0 = 64 MiB; the file is not read further */
	bool no_demangle;
	struct debuginfo *debuginfo;	/* borrowed: finds debug files of stripped modules; NULL = none */
};

struct symbolizer_stats {
	uint64_t frames;		/* symbolizer__resolve() calls */
	uint64_t named;
	uint64_t unnamed_native;	/* in a file mapping but no symbol: stripped, or file unusable */
	uint64_t unnamed_jit;		/* anonymous executable memory without a perf-map entry */
	uint64_t unnamed_kernel;	/* kallsyms missing or hidden (kptr_restrict) */
	uint64_t unmapped;		/* in no mapping of the process */
	uint64_t files;			/* ELF files read */
	uint64_t file_errors;		/* missing, not ELF, truncated */
	uint64_t file_mismatch;		/* replaced or deleted and not reachable via map_files */
	uint64_t maps_reloads;
	uint64_t perf_map_entries;
	uint64_t perf_map_bad_lines;	/* garbage or over-long lines, skipped */
	uint64_t perf_map_dropped;	/* beyond max_perf_map_entries */
	bool perf_map_found;
	bool perf_map_capped;		/* past max_perf_map_bytes: the rest not read */
	int perf_map_refused;		/* -errno of safe_open.h's rules (ls_refusal()), 0 = none */
	bool kernel_hidden;		/* kallsyms readable but all addresses 0 */
	uint64_t sym_sources[LS_SYMS_NSOURCES];	/* ELF files by where their names came from */
	/* JavaScript frames V8's heap named (symbolizer__add_js_frame), as resolved */
	uint64_t js_by_perf_map;	/* the perf map named the frame's pc too */
	uint64_t js_by_v8;		/* no perf-map entry: V8's name shown */
	uint64_t js_agree;		/* both named it, the same function: the perf map's name shown */
	uint64_t js_agree_older;	/* an older line at the pc names it, a newer another: V8's shown */
	uint64_t js_disagree;		/* no line at the pc names it: V8's name shown (checked at the sample) */
	uint64_t js_unknown;		/* an address no record described */
};

/* NULL and errno (ESRCH: no such process) on failure; opts may be NULL. */
struct symbolizer *symbolizer__new(pid_t pid, const struct symbolizer_opts *opts);
void symbolizer__free(struct symbolizer *s);

/*
 * Fills *out for ip, a user address of the process or, with kernel, a
 * kernel address. 0 when named, -ENOENT when unnamed (out still tells
 * the mapping when known), -EINVAL on bad arguments.
 */
int symbolizer__resolve(struct symbolizer *s, uint64_t ip, bool kernel, struct ls_frame_info *out);

/*
 * Re-reads /proc/PID/maps and the perf map now. resolve() also does it by
 * itself for addresses in no known mapping; calling it while the target
 * still lives keeps mappings usable after the target exits.
 */
int symbolizer__refresh(struct symbolizer *s);

void symbolizer__stats(const struct symbolizer *s, struct symbolizer_stats *st);

struct ls_rec_js_frame;
/*
 * What a JavaScript frame's address stands for (an LS_REC_JS_FRAME of this
 * process); resolve() names the address by it. 0, or -ENOMEM.
 */
int symbolizer__add_js_frame(struct symbolizer *s, const struct ls_rec_js_frame *r);
/* One sentence on how to get the names that were missing, or NULL if none were. */
const char *symbolizer__hint(const struct symbolizer_stats *st);
/*
 * One sentence when a file of the target was refused by the trust rules
 * (a perf map that is a link, a FIFO, another user's) or read only up to
 * its cap, or NULL: a refusal is always said, a hint when asked for.
 */
const char *symbolizer__refusal(const struct symbolizer_stats *st);

/*
 * One line on where the names of each module read that has no .symtab
 * came from: "libuv.so.1 from /usr/lib/debug/.build-id/ab/cd.debug
 * (build-id dir); redis-server: .dynsym only". Empty when every module
 * had its own .symtab. -ENOSPC when cut at len (still NUL-terminated).
 * The paths are the target's: escape them before printing.
 */
int symbolizer__sources(const struct symbolizer *s, char *buf, size_t len);
/* "build-id dir", "debuglink", "debuginfod", ".symtab", ".dynsym only". */
const char *ls_sym_source_name(enum ls_sym_source src);

/*
 * How a frame is shown in text: its function, else "module+0xADDR" (the
 * file's base name and the ELF address, as nm, objdump and addr2line -e
 * take it; the file offset when no segment holds it), "[vdso]+0xOFF" or
 * "[anon]+0xOFF" from the mapping's start; the absolute "0xIP" only for
 * an address in no mapping at all. fi->ip must be set. Returns buf or
 * fi->function; target strings: escape before printing.
 */
const char *ls_frame_label(const struct ls_frame_info *fi, char *buf, size_t sz);

/* Demangles a C++ (Itanium ABI) name into buf; false if name is not one. */
bool ls_demangle(const char *name, char *buf, size_t len);
/*
 * A demangled name without its namespaces and classes, template arguments
 * too: "node::crypto::DeriveBitsJob<node::crypto::PBKDF2Traits>" is
 * "DeriveBitsJob<PBKDF2Traits>", "node::(anonymous
 * namespace)::CompressionStream<...>" "CompressionStream<...>". False when
 * it does not fit in buf (a cut name could merge two kinds) or is empty.
 */
bool ls_short_type_name(const char *demangled, char *buf, size_t len);

#endif
