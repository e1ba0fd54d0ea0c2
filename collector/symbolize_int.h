/* SPDX-License-Identifier: BSD-2-Clause */
/* The symbolizer's state, shared by symbolize.c and symbolize_debug.c. Internal to collector/. */
#ifndef LS_SYMBOLIZE_INT_H
#define LS_SYMBOLIZE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "elf_syms.h"
#include "kallsyms.h"
#include "perfmap.h"
#include "symbolize.h"

struct ls_map {
	uint64_t start, end, pgoff;
	uint64_t dev, ino;
	const char *path;	/* interned; "" for anonymous memory */
	bool exec;
	int elf;		/* index into elfs, -1 = not looked up yet */
};

struct elf_entry {
	uint64_t dev, ino;
	int err;		/* 0 = usable */
	struct ls_elf elf;
	const char *path;	/* interned, as the target maps it */
	enum ls_sym_source source;
	const char *debug_path;	/* interned; the debug file read, NULL = none */
};

struct symbolizer {
	pid_t pid;
	int root_fd;			/* the target's /, held: files stay reachable after it exits */
	uid_t uid;			/* the target's effective uid: a perf map must be its own */
	struct symbolizer_opts opts;
	struct ls_map *maps;
	size_t nmaps;
	struct elf_entry *elfs;
	size_t nelfs;
	struct ls_symtab strs;		/* pool for interned paths and demangled names */
	const char **paths;
	size_t npaths;
	struct ls_kallsyms ksyms;
	int ksyms_err;			/* 1 = not loaded yet */
	struct ls_perfmap pmap;
	const char *pmap_name;		/* as the target names it, for frames */
	uint64_t last_maps_ns, last_pmap_ns;
	struct js_names *js;		/* JavaScript frames' names (symbolize_js.c); NULL until one */
	struct symbolizer_stats st;
};

struct js_names;

/* A copy of p kept for the symbolizer's lifetime (frames point at it), or NULL. */
const char *sym_intern_path(struct symbolizer *s, const char *p);
/* Reads what the perf map gained, at most every LS_SYM_RELOAD_NS unless force. */
void sym_update_perfmap(struct symbolizer *s, bool force);
/* The JIT code at ip, by the perf map (symbolize.c). */
int sym_resolve_jit(struct symbolizer *s, struct ls_map *m, uint64_t ip, struct ls_frame_info *out);
/* A JavaScript frame's address (LS_IS_JS_FRAME) named: the perf map first, then V8's name. */
int sym_resolve_js(struct symbolizer *s, uint64_t ip, struct ls_frame_info *out);
/* The debug file's .symtab for a module read without one (symbolize_debug.c). */
void sym_add_debug_symbols(struct symbolizer *s, struct elf_entry *e);

#endif
