// SPDX-License-Identifier: BSD-2-Clause
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"
#include "proc_maps.h"
#include "safe_open.h"
#include "unwind.h"
#include "v8_builtins.h"

/*
 * libdw reads (and inflates) every .debug_* section of a module whose
 * .eh_frame lacks a pc, at once: a crafted 1 MiB file with a compressed
 * 1 GiB section cost 1 GiB and 7 s. Modules past these are not unwound.
 */
#define DEBUG_SECTION_MAX	(128ull << 20)
#define DEBUG_SECTIONS_MAX	(256ull << 20)

/* The maps are read again at most this often, when a leaf is in none. */
#define MAPS_RELOAD_NS	(100 * 1000000ull)

/* Modules asked for V8's builtins, at most; a module is asked once. */
#define BUILTINS_MODULES	16

struct builtins_range {
	Dwfl_Module *mod;
	uint64_t lo, hi;	/* the Builtins_* functions; lo > hi: none */
};

struct unwinder {
	pid_t pid;
	int root_fd;		/* the target's root, for ls_open_mapped; -1 = none */
	Dwfl *dwfl;
	struct ls_proc_maps maps;
	uint64_t maps_ns;	/* when the maps were read; 0 = never */
	void *vdso;		/* a copy of our own vDSO image: the kernel's, the target's too */
	size_t vdso_len;
	Elf *arch_elf;		/* tells libdwfl the architecture (the vDSO's Elf) */
	/* the stack being unwound */
	const struct ls_rec_ustack *dump;
	const uint8_t *stack;
	bool read_past_copy;
	struct builtins_range builtins[BUILTINS_MODULES];
	unsigned nbuiltins;
	struct unwinder_stats st;
};

/* A copy of our vDSO image (proc_maps.h): libdwfl's Elf must outlive the mapping we read. */
static int copy_own_vdso(struct unwinder *u)
{
	size_t len;
	const void *img = ls_own_vdso(&len);

	if (!img)
		return -ENOENT;
	u->vdso = malloc(len);
	if (!u->vdso)
		return -ENOMEM;
	memcpy(u->vdso, img, len);
	u->vdso_len = len;
	return 0;
}

/* The bytes a debug section costs libdw once read (inflated if compressed); 0 = refuse. */
static uint64_t debug_section_cost(Elf_Scn *scn, const GElf_Shdr *sh, const char *name)
{
	GElf_Chdr ch;

	if (!strncmp(name, ".zdebug", 7))
		return 0;	/* the old GNU compression: not worth the trust */
	if (!(sh->sh_flags & SHF_COMPRESSED))
		return sh->sh_type == SHT_NOBITS ? 1 : sh->sh_size + 1;
	return gelf_getchdr(scn, &ch) ? ch.ch_size + 1 : 0;
}

/* Whether libdw may read elf's debug sections (see DEBUG_SECTION_MAX). */
static bool debug_sections_bounded(Elf *elf)
{
	uint64_t total = 0, cost;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return true;	/* no section names: libdw finds no DWARF either */
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			return false;
		if (strncmp(name, ".debug", 6) && strncmp(name, ".zdebug", 7))
			continue;
		cost = debug_section_cost(scn, &sh, name);
		if (!cost || cost > DEBUG_SECTION_MAX || (total += cost) > DEBUG_SECTIONS_MAX)
			return false;
	}
	return true;
}

/*
 * libdwfl found a module in the maps; open its file the safe way: the
 * mapped inode (map_files, else the path in the target's root, no links)
 * and read(2), not mmap(2).
 */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
		    char **file_name, Elf **elfp)
{
	struct unwinder *u = *userdata;
	const struct ls_mapping *m;
	Dwarf_Addr start = 0;
	int fd;

	(void)base;
	*file_name = NULL;
	*elfp = NULL;
	if (!u)
		return -1;
	if (!strcmp(name, "[vdso]")) {
		*elfp = u->vdso ? elf_memory(u->vdso, u->vdso_len) : NULL;
		return -1;
	}
	dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	m = ls_proc_maps_find(&u->maps, start);
	if (!m || m->start != start || !m->ino || strcmp(m->path, name))
		return -1;
	fd = ls_open_mapped(u->pid, u->root_fd, m->path, m->start, m->end, m->ino,
			    LS_MAPPED_FILE_MAX);
	if (fd >= 0)
		*elfp = elf_begin(fd, ELF_C_READ, NULL);
	if (*elfp && !debug_sections_bounded(*elfp)) {
		elf_end(*elfp);
		*elfp = NULL;
	}
	if (!*elfp) {
		if (fd >= 0)
			close(fd);
		u->st.file_errors++;
		return -1;
	}
	u->st.files++;
	return fd;
}

/* .eh_frame is in the file itself: no debug file is looked for (or opened). */
static int no_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			const char *file_name, const char *debuglink, GElf_Word crc, char **debug_name)
{
	(void)mod, (void)userdata, (void)modname, (void)base, (void)file_name;
	(void)debuglink, (void)crc;
	*debug_name = NULL;
	return -1;
}

static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = find_elf,
	.find_debuginfo = no_debuginfo,
};

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_arg)
{
	struct unwinder *u = arg;

	(void)dwfl;
	if (*thread_arg)
		return 0;
	*thread_arg = u;
	return (pid_t)u->dump->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_arg)
{
	(void)dwfl, (void)tid;
	*thread_arg = arg;
	return true;
}

/* Only the copy is memory: the target is never read. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct unwinder *u = arg;
	uint64_t sp = u->dump->regs[7], size = u->dump->size;

	(void)dwfl;
	if (addr < sp || addr - sp > size || size - (addr - sp) < sizeof(*result)) {
		if (addr >= sp + size && addr < u->dump->stack_end)
			u->read_past_copy = true;
		return false;
	}
	memcpy(result, u->stack + (addr - sp), sizeof(*result));
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct unwinder *u = arg;
	Dwarf_Word regs[LS_UNWIND_REGS];
	unsigned i;

	for (i = 0; i < LS_UNWIND_REGS; i++)
		regs[i] = u->dump->regs[i];
	dwfl_thread_state_register_pc(thread, regs[16]);
	return dwfl_thread_state_registers(thread, 0, LS_UNWIND_REGS, regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/* One module libdwfl knows by its address range, its file found by find_elf() with u. */
static void report_module(struct unwinder *u, const char *name, uint64_t start, uint64_t end)
{
	Dwfl_Module *mod = dwfl_report_module(u->dwfl, name, start, end);
	void **userdata = NULL;

	if (!mod)
		return;	/* overlapping or out of memory: its frames end stacks */
	dwfl_module_info(mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
	if (userdata)
		*userdata = u;
}

/*
 * Modules from our own parse of the maps, not libdwfl's (which gives up on
 * the whole file at a line it does not like, e.g. two names for one inode):
 * adjacent lines of one file (device, inode, path) are one module; a line
 * we cannot use is skipped, never the rest.
 */
static void report_modules(struct unwinder *u)
{
	const struct ls_mapping *m = u->maps.maps, *first;
	size_t i = 0, n = u->maps.n;

	while (i < n) {
		first = &m[i++];
		if (!strcmp(first->path, "[vdso]")) {
			report_module(u, "[vdso]", first->start, first->end);
			continue;
		}
		if (first->path[0] != '/' || !first->ino)
			continue;
		while (i < n && m[i].ino == first->ino && m[i].dev == first->dev &&
		       !strcmp(m[i].path, first->path))
			i++;
		report_module(u, first->path, first->start, m[i - 1].end);
	}
}

/* Modules as the maps now list them: libdwfl keeps the ones unchanged. */
static int reload_maps(struct unwinder *u)
{
	struct ls_proc_maps pm;
	int err = ls_proc_maps_read(&pm, u->pid);

	u->maps_ns = ls_monotonic_ns();
	if (err)
		return err;
	ls_proc_maps_free(&u->maps);
	u->maps = pm;
	u->st.maps_reloads++;
	dwfl_report_begin(u->dwfl);
	report_modules(u);
	dwfl_report_end(u->dwfl, NULL, NULL);
	u->nbuiltins = 0;	/* modules gone may be freed: their pointers mean nothing now */
	return 0;
}

struct unwinder *unwinder__new(pid_t pid)
{
	struct unwinder *u = calloc(1, sizeof(*u));
	char root[64];

	if (!u) {
		errno = ENOMEM;
		return NULL;
	}
	u->pid = pid;
	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	u->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	elf_version(EV_CURRENT);
	if (!copy_own_vdso(u))
		u->arch_elf = elf_memory(u->vdso, u->vdso_len);
	u->dwfl = dwfl_begin(&dwfl_callbacks);
	if (!u->dwfl || reload_maps(u) ||
	    !dwfl_attach_state(u->dwfl, u->arch_elf, pid, &thread_callbacks, u)) {
		unwinder__free(u);
		errno = ESRCH;
		return NULL;
	}
	return u;
}

struct frame_walk {
	struct unwinder *u;
	uint64_t *ips;
	struct unwound_frame *frames;
	unsigned n, max;
	uint64_t last_sp;
	uint64_t callee_pc;	/* the frame before: its CFI made this one */
	bool callee_activation;
	bool out_of_module;
	bool out_after_v8;	/* ... just past V8's code: maybe JIT code mapped since */
	bool guessed;
};

/*
 * V8's embedded builtins have no CFI and always keep frame pointers, like
 * its JIT code: there the walk is right. Their range is found once per
 * module (libdwfl's own address lookup scans all symbols on every call:
 * 27 ms a stack on node).
 */
static void find_builtins(Dwfl_Module *mod, struct builtins_range *r)
{
	r->mod = mod;
	v8_builtins_range(mod, &r->lo, &r->hi);
}

static bool in_v8_builtin(struct unwinder *u, Dwfl_Module *mod, uint64_t at)
{
	struct builtins_range *r = NULL;
	unsigned i;

	for (i = 0; i < u->nbuiltins; i++)
		if (u->builtins[i].mod == mod)
			r = &u->builtins[i];
	if (!r) {
		if (u->nbuiltins == BUILTINS_MODULES)
			return false;	/* more modules without CFI than any V8 process has */
		r = &u->builtins[u->nbuiltins++];
		find_builtins(mod, r);
	}
	return at >= r->lo && at < r->hi;
}

/*
 * The module holding at, and at as that module's address. V8 (11.x) maps
 * its embedded builtins a second time, from the node binary's file, next
 * to its JIT code (short calls): libdwfl takes the copy for a module of
 * its own, loaded where it is, so its symbols would be wrong there. An
 * address of such a copy (another executable mapping of the same file
 * holds its file offset) is moved to that offset in the first mapping.
 */
static Dwfl_Module *module_of(struct unwinder *u, const struct ls_mapping *m, uint64_t *at)
{
	const struct ls_mapping *maps = u->maps.maps;
	size_t first, i, n = u->maps.n;
	uint64_t off;

	if (!m || !m->ino)
		return dwfl_addrmodule(u->dwfl, *at);
	for (first = 0; first < n; first++)
		if (maps[first].ino == m->ino && maps[first].dev == m->dev)
			break;
	off = *at - m->start + m->pgoff;
	/* the file's first run of lines is the module report_modules() made */
	for (i = first; i < n && maps[i].ino == m->ino && maps[i].dev == m->dev; i++) {
		if (&maps[i] == m)
			break;	/* m is the module's own */
		if (maps[i].exec && off >= maps[i].pgoff && off - maps[i].pgoff < maps[i].end - maps[i].start) {
			*at = maps[i].start + (off - maps[i].pgoff);
			break;
		}
	}
	return dwfl_addrmodule(u->dwfl, *at);
}

/*
 * Whether libdwfl unwound out of the frame at pc by its CFI. Where there is
 * none, libdwfl falls back to the frame-pointer chain ([rbp+8]), which is
 * right only where code keeps frame pointers: a JIT's code (anonymous
 * executable memory: V8 keeps them) and V8's builtins, not a file's code
 * that has no unwind tables (musl, hand-written assembly), whose rbp is
 * anything.
 */
static bool unwound_by_rule(struct unwinder *u, uint64_t pc, bool activation)
{
	uint64_t at = activation ? pc : pc - 1;
	const struct ls_mapping *m = ls_proc_maps_find(&u->maps, at);
	Dwfl_Module *mod;
	Dwarf_Frame *frame;
	Dwarf_CFI *cfi;
	Dwarf_Addr bias;

	if (m && m->exec && !m->ino && m->path[0] != '[')
		return true;	/* JIT code: the frame-pointer walk is its rule */
	mod = module_of(u, m, &at);
	if (!mod)
		return false;
	cfi = dwfl_module_eh_cfi(mod, &bias);
	if (cfi && !dwarf_cfi_addrframe(cfi, at - bias, &frame)) {
		free(frame);
		return true;
	}
	return in_v8_builtin(u, mod, at);
}

/* What code pc (a return address unless activation) is in, for V8's frame reader. */
static enum unwound_code code_kind(struct unwinder *u, const struct ls_mapping *m, uint64_t pc,
				   bool activation)
{
	uint64_t at = activation ? pc : pc - 1;
	Dwfl_Module *mod;

	if (m->exec && !m->ino && m->path[0] != '[')
		return LS_CODE_JIT;
	mod = module_of(u, m, &at);
	return mod && in_v8_builtin(u, mod, at) ? LS_CODE_V8_BUILTIN : LS_CODE_NATIVE;
}

static void note_frame(struct frame_walk *w, Dwfl_Frame *frame, const struct ls_mapping *m,
		       uint64_t pc, bool activation)
{
	struct unwound_frame *f = &w->frames[w->n];
	Dwarf_Word fp = 0;

	f->code = code_kind(w->u, m, pc, activation);
	f->fp = f->code != LS_CODE_NATIVE && dwfl_frame_reg(frame, 6, &fp) == 0 ? fp : 0;
}

/*
 * One frame from libdwfl. A frame is taken only if its address is in an
 * executable mapping and its stack pointer is above its callee's: anything
 * else is where the unwinding went wrong, and the stack ends before it.
 */
static int on_frame(Dwfl_Frame *frame, void *arg)
{
	struct frame_walk *w = arg;
	const struct ls_mapping *m;
	Dwarf_Word sp = 0;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(frame, &pc, &activation))
		return DWARF_CB_ABORT;
	m = ls_proc_maps_find(&w->u->maps, activation ? pc : pc - 1);
	if (!m || !m->exec) {
		w->out_of_module = true;
		w->out_after_v8 = w->frames && w->n && w->frames[w->n - 1].code != LS_CODE_NATIVE;
		return DWARF_CB_ABORT;
	}
	if (dwfl_frame_reg(frame, 7, &sp) == 0) {
		if (w->n && sp <= w->last_sp)
			return DWARF_CB_ABORT;
		w->last_sp = sp;
	}
	if (w->n && !unwound_by_rule(w->u, w->callee_pc, w->callee_activation)) {
		w->guessed = true;
		return DWARF_CB_ABORT;
	}
	w->callee_pc = pc;
	w->callee_activation = activation;
	if (w->frames)
		note_frame(w, frame, m, pc, activation);
	w->ips[w->n++] = pc;
	return w->n < w->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

unsigned unwinder__unwind(struct unwinder *u, const struct ls_rec_ustack *dump,
			  const uint8_t *stack, uint64_t *ips, struct unwound_frame *frames,
			  unsigned max)
{
	struct frame_walk w = { .u = u, .ips = ips, .frames = frames, .max = max };
	uint64_t leaf = dump->regs[16], t0 = ls_monotonic_ns(), cpu0 = ls_thread_cpu_ns();
	uint64_t files0 = u->st.files;
	int rc;

	u->st.stacks++;
	if (!max)
		return 0;
	if (!ls_proc_maps_find(&u->maps, leaf) && ls_monotonic_ns() - u->maps_ns >= MAPS_RELOAD_NS)
		reload_maps(u);
	u->dump = dump;
	u->stack = stack;
	u->read_past_copy = false;
	rc = dwfl_getthread_frames(u->dwfl, (pid_t)dump->tid, on_frame, &w);
	if (w.out_after_v8 && ls_monotonic_ns() - u->maps_ns >= MAPS_RELOAD_NS && !reload_maps(u)) {
		/* a JIT's new code (V8 makes its reserved range executable as it fills it) */
		w = (struct frame_walk){ .u = u, .ips = ips, .frames = frames, .max = max };
		u->read_past_copy = false;
		rc = dwfl_getthread_frames(u->dwfl, (pid_t)dump->tid, on_frame, &w);
	}
	u->dump = NULL;
	u->stack = NULL;
	if (u->read_past_copy)
		u->st.at_copy_end++;
	else if (w.out_of_module)
		u->st.no_module++;
	else if (w.guessed || (rc == -1 && w.n < max))
		u->st.no_cfi++;
	u->st.frames += w.n;
	u->st.ns += ls_monotonic_ns() - t0;
	if (u->st.files != files0)	/* a one-time cost: fewer stacks would not save it */
		u->st.load_cpu_ns += ls_thread_cpu_ns() - cpu0;
	return w.n;
}

void unwinder__stats(const struct unwinder *u, struct unwinder_stats *st)
{
	*st = u->st;
}

void unwinder__free(struct unwinder *u)
{
	if (!u)
		return;
	if (u->dwfl)
		dwfl_end(u->dwfl);
	if (u->arch_elf)
		elf_end(u->arch_elf);
	free(u->vdso);
	ls_proc_maps_free(&u->maps);
	if (u->root_fd >= 0)
		close(u->root_fd);
	free(u);
}
