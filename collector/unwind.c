// SPDX-License-Identifier: BSD-2-Clause
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>
#include "proc_maps.h"
#include "safe_open.h"
#include "unwind.h"

/* The maps are read again at most this often, when a leaf is in none. */
#define MAPS_RELOAD_NS	(100 * 1000000ull)

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
	struct unwinder_stats st;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The vDSO holds clock_gettime and friends, where loops spend real time;
 * it is not a file. Every 64-bit process of this kernel maps the same
 * image, so ours is read, never the target's memory.
 */
static int copy_own_vdso(struct unwinder *u)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
	size_t len;

	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return -ENOENT;
	len = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;	/* section headers come last */
	if (len < sizeof(*eh) || len > (1u << 20))
		return -EINVAL;
	u->vdso = malloc(len);
	if (!u->vdso)
		return -ENOMEM;
	memcpy(u->vdso, eh, len);
	u->vdso_len = len;
	return 0;
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

static int own_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
		      void *arg)
{
	(void)mod, (void)name, (void)start;
	*userdata = arg;
	return DWARF_CB_OK;
}

/* Modules as the maps now list them: libdwfl keeps the ones unchanged. */
static int reload_maps(struct unwinder *u)
{
	struct ls_proc_maps pm;
	FILE *f;
	size_t i;
	int err = ls_proc_maps_read(&pm, u->pid);

	u->maps_ns = now_ns();
	if (err)
		return err;
	ls_proc_maps_free(&u->maps);
	u->maps = pm;
	u->st.maps_reloads++;
	f = fmemopen(u->maps.raw, u->maps.len, "r");
	if (!f)
		return -errno;
	dwfl_report_begin(u->dwfl);
	err = dwfl_linux_proc_maps_report(u->dwfl, f);
	fclose(f);
	for (i = 0; !err && i < u->maps.n; i++)
		if (!strcmp(u->maps.maps[i].path, "[vdso]"))
			dwfl_report_module(u->dwfl, "[vdso]", u->maps.maps[i].start, u->maps.maps[i].end);
	if (dwfl_report_end(u->dwfl, NULL, NULL) || err)
		return -EINVAL;
	dwfl_getmodules(u->dwfl, own_module, u, 0);
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
	unsigned n, max;
	uint64_t last_sp;
	bool out_of_module;
};

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
		return DWARF_CB_ABORT;
	}
	if (dwfl_frame_reg(frame, 7, &sp) == 0) {
		if (w->n && sp <= w->last_sp)
			return DWARF_CB_ABORT;
		w->last_sp = sp;
	}
	w->ips[w->n++] = pc;
	return w->n < w->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

unsigned unwinder__unwind(struct unwinder *u, const struct ls_rec_ustack *dump,
			  const uint8_t *stack, uint64_t *ips, unsigned max)
{
	struct frame_walk w = { .u = u, .ips = ips, .max = max };
	uint64_t leaf = dump->regs[16], t0 = now_ns();
	int rc;

	u->st.stacks++;
	if (!max)
		return 0;
	if (!ls_proc_maps_find(&u->maps, leaf) && now_ns() - u->maps_ns >= MAPS_RELOAD_NS)
		reload_maps(u);
	u->dump = dump;
	u->stack = stack;
	u->read_past_copy = false;
	rc = dwfl_getthread_frames(u->dwfl, (pid_t)dump->tid, on_frame, &w);
	u->dump = NULL;
	u->stack = NULL;
	if (u->read_past_copy)
		u->st.at_copy_end++;
	else if (w.out_of_module)
		u->st.no_module++;
	else if (rc == -1 && w.n < max)
		u->st.no_cfi++;
	u->st.frames += w.n;
	u->st.ns += now_ns() - t0;
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
