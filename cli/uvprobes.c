/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <pthread.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "collector/debuginfo.h"
#include "collector/record.h"
#include "collector/safe_open.h"
#include "loopscope.skel.h"
#include "uvprobes.h"
#include "uvprobes_int.h"

enum probe_role {
	ROLE_PHASE, ROLE_SUBMIT, ROLE_QUEUE_WORK, ROLE_WORK, ROLE_DONE, ROLE_V8_OVERFLOW,
	ROLE_JS_CALLBACK, ROLE_VERSION,
};

struct probe_sym {
	const char *name;
	enum probe_role role;
	unsigned cookie;	/* enum ls_phase or enum ls_work_kind */
	uint64_t vaddr;		/* st_value, 0 = not found */
};

/* The functions ../shared/probe-map.md lists for libuv 1.44-1.46. */
static struct probe_sym syms_template[] = {
	{ "uv__run_timers", ROLE_PHASE, LS_PHASE_TIMERS },
	{ "uv__run_idle", ROLE_PHASE, LS_PHASE_IDLE },
	{ "uv__run_prepare", ROLE_PHASE, LS_PHASE_PREPARE },
	{ "uv__io_poll", ROLE_PHASE, LS_PHASE_POLL },
	{ "uv__run_check", ROLE_PHASE, LS_PHASE_CHECK },
	{ "uv__work_submit", ROLE_SUBMIT, 0 },
	{ "uv_queue_work", ROLE_QUEUE_WORK, 0 },
	{ "uv__fs_work", ROLE_WORK, LS_WORK_FS },
	{ "uv__queue_work", ROLE_WORK, LS_WORK_WORK },
	{ "uv__getaddrinfo_work", ROLE_WORK, LS_WORK_GETADDRINFO },
	{ "uv__getnameinfo_work", ROLE_WORK, LS_WORK_GETNAMEINFO },
	{ "uv__random_work", ROLE_WORK, LS_WORK_RANDOM },
	{ "uv__fs_done", ROLE_DONE, LS_WORK_FS },
	{ "uv__queue_done", ROLE_DONE, LS_WORK_WORK },
	{ "uv__getaddrinfo_done", ROLE_DONE, LS_WORK_GETADDRINFO },
	{ "uv__getnameinfo_done", ROLE_DONE, LS_WORK_GETNAMEINFO },
	{ "uv__random_done", ROLE_DONE, LS_WORK_RANDOM },
	/* node: where native code enters JS (--js-callbacks only: one trap per callback) */
	{ "_ZN4node20InternalMakeCallbackEPNS_11EnvironmentEN2v85LocalINS2_6ObjectEEES5_NS3_INS2_8FunctionEEEiPNS3_INS2_5ValueEEENS_13async_contextE",
	  ROLE_JS_CALLBACK, LS_PHASE_JS_CALLBACK },
	/* node: V8 calls this to throw "RangeError: Maximum call stack size exceeded" */
	{ "_ZN2v88internal7Isolate13StackOverflowEv", ROLE_V8_OVERFLOW, 0 },
	{ "uv_version", ROLE_VERSION, 0 },
};
#define NSYMS (sizeof(syms_template) / sizeof(syms_template[0]))


/* Fills vaddr of every wanted symbol found; .symtab first, .dynsym for the rest. */
static bool scan_symbols(Elf *elf, struct probe_sym *syms, size_t n)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	bool has_uv_run = false;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		while ((scn = elf_nextscn(elf, scn))) {
			Elf_Data *data;
			size_t i, k, count;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type != (pass ? SHT_DYNSYM : SHT_SYMTAB) ||
			    !sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
				continue;
			count = sh.sh_size / sh.sh_entsize;
			for (i = 0; i < count; i++) {
				GElf_Sym s;
				const char *name;

				if (!gelf_getsym(data, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
				    !s.st_value || !(name = elf_strptr(elf, sh.sh_link, s.st_name)))
					continue;
				if (!strcmp(name, "uv_run"))
					has_uv_run = true;
				for (k = 0; k < n; k++)
					if (!syms[k].vaddr && !strcmp(name, syms[k].name))
						syms[k].vaddr = s.st_value;
			}
		}
	}
	return has_uv_run;
}

/* ELF virtual address -> file offset, through the PT_LOAD segment holding it. */
static int64_t vaddr_to_offset(Elf *elf, uint64_t vaddr)
{
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n))
		return -1;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz)
			return (int64_t)(vaddr - ph.p_vaddr + ph.p_offset);
	}
	return -1;
}

/* uv_version() is "mov eax, imm32; ret" (after an optional endbr64): read the imm. */
static unsigned read_version(int fd, int64_t off)
{
	unsigned char b[12];
	unsigned i = 0;

	if (off < 0 || pread(fd, b, sizeof(b), off) != (ssize_t)sizeof(b))
		return 0;
	if (b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa)
		i = 4;
	if (b[i] != 0xb8)
		return 0;
	return (unsigned)b[i + 1] | (unsigned)b[i + 2] << 8 | (unsigned)b[i + 3] << 16;
}

/*
 * One line of /proc/PID/maps into cur: 0, or -1 for a line that is not an
 * executable file mapping, or whose path would not fit (never cut short:
 * a cut path names another file).
 */
static int parse_exec_mapping(char *line, struct mapping *cur)
{
	char perms[8];
	size_t len;
	int pos = 0;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %" SCNu64 " %n",
		   &cur->start, &cur->end, perms, &cur->pgoff, &cur->ino, &pos) < 5 || !pos ||
	    line[pos] != '/' || !strchr(perms, 'x'))
		return -1;
	len = strcspn(line + pos, "\n");
	if (len >= sizeof(cur->path))
		return -1;
	memcpy(cur->path, line + pos, len);
	cur->path[len] = '\0';
	return 0;
}

/* getline, not a fixed buffer: the tail of a long line is not another line. */
int uvp_read_exec_mappings(pid_t pid, struct mapping **out, size_t *n)
{
	struct mapping *m = NULL, *tmp, cur;
	char path[64], *line = NULL;
	size_t cap = 0, lcap = 0;
	int err = 0;
	FILE *f;

	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &lcap, f) > 0) {
		if (parse_exec_mapping(line, &cur))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			tmp = realloc(m, cap * sizeof(*m));
			if (!tmp) {
				err = -ENOMEM;
				break;
			}
			m = tmp;
		}
		m[(*n)++] = cur;
	}
	free(line);
	fclose(f);
	if (err) {
		free(m);
		*n = 0;
		return err;
	}
	*out = m;
	return 0;
}

static uint64_t runtime_addr(const struct mapping *maps, size_t n, const char *path, int64_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(maps[i].path, path) && (uint64_t)off >= maps[i].pgoff &&
		    (uint64_t)off < maps[i].pgoff + (maps[i].end - maps[i].start))
			return maps[i].start + ((uint64_t)off - maps[i].pgoff);
	return 0;
}

/*
 * One uprobe_multi link per program (Linux >= 6.6): all its offsets in one
 * link, so detaching costs one SRCU grace period per program instead of one
 * per probe (27 probes took 3.5 s to detach one by one). libbpf 1.1 predates
 * this link type, hence the raw bpf(2) call with the kernel's attr layout.
 */
struct link_create_uprobe_multi {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 multi_flags;
	__u32 pid;
	__u32 __pad;
};

#define LS_BPF_TRACE_UPROBE_MULTI 48
#define LS_BPF_F_UPROBE_MULTI_RETURN 1

static int attach_multi(struct bpf_program *prog, pid_t pid, const char *path,
			const struct probe_group *g, bool ret)
{
	struct link_create_uprobe_multi a = {
		.prog_fd = (__u32)bpf_program__fd(prog),
		.attach_type = LS_BPF_TRACE_UPROBE_MULTI,
		.path = (__u64)(uintptr_t)path,
		.offsets = (__u64)(uintptr_t)g->offsets,
		.cookies = (__u64)(uintptr_t)g->cookies,
		.cnt = g->n,
		.multi_flags = ret ? LS_BPF_F_UPROBE_MULTI_RETURN : 0,
		.pid = (__u32)pid,
	};
	int fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));

	return fd < 0 ? -errno : fd;
}

/* Older kernels: one perf-event uprobe per offset. */
static int attach_each(struct uvprobes *u, struct bpf_program *prog, pid_t pid, const char *path,
		       const struct probe_group *g, bool ret)
{
	unsigned i;

	for (i = 0; i < g->n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ret, .bpf_cookie = g->cookies[i]);
		struct bpf_link *l;

		if (u->nlinks >= LS_UV_MAX_LINKS)
			return -E2BIG;
		l = bpf_program__attach_uprobe_opts(prog, pid, path, (size_t)g->offsets[i], &uo);
		if (!l)
			return -errno;
		u->links[u->nlinks++] = l;
	}
	return 0;
}

int uvp_attach_group(struct uvprobes *u, struct bpf_program *prog, pid_t pid,
		     const char *path, const struct probe_group *g, bool ret)
{
	int fd;

	if (!g->n)
		return 0;
	if (!uvprobes__multi_supported())
		return attach_each(u, prog, pid, path, g, ret);
	if ((size_t)u->nlink_fds >= sizeof(u->link_fds) / sizeof(u->link_fds[0]))
		return -E2BIG;
	fd = attach_multi(prog, pid, path, g, ret);
	if (fd < 0)
		return fd;
	u->link_fds[u->nlink_fds++] = fd;
	return 0;
}

static void note_missing(struct uvprobes *u, const char *name)
{
	size_t len = strlen(u->missing);

	snprintf(u->missing + len, sizeof(u->missing) - len, "%s%s", len ? " " : "", name);
}

static void add_to_group(struct probe_group *g, uint64_t off, unsigned cookie)
{
	if (g->n < LS_UV_GROUP_MAX) {
		g->offsets[g->n] = off;
		g->cookies[g->n] = cookie;
		g->n++;
	}
}

/* Resolves everything found in the libuv file (open as elf/fd) and attaches it. */
static int attach_file(struct uvprobes *u, struct loopscope_bpf *skel, pid_t pid, Elf *elf,
		       int fd, struct probe_sym *syms, const struct mapping *maps, size_t nmaps,
		       const char *attach_path, bool js_callbacks)
{
	struct probe_group groups[ROLE_VERSION] = {};
	int map_fd = bpf_map__fd(skel->maps.work_kinds);
	size_t i;
	int err = 0;

	for (i = 0; i < NSYMS; i++) {
		int64_t off = syms[i].vaddr ? vaddr_to_offset(elf, syms[i].vaddr) : -1;

		if (off < 0) {
			if (syms[i].role != ROLE_V8_OVERFLOW && syms[i].role != ROLE_JS_CALLBACK)	/* node's */
				note_missing(u, syms[i].name);
			continue;
		}
		if (syms[i].role == ROLE_VERSION) {
			u->version = read_version(fd, off);
			continue;
		}
		if (syms[i].role == ROLE_WORK) {
			uint64_t addr = runtime_addr(maps, nmaps, u->path, off);
			uint32_t kind = syms[i].cookie;

			if (addr)
				bpf_map_update_elem(map_fd, &addr, &kind, BPF_ANY);
		}
		/* JS callbacks share the phase programs, which take the phase from the cookie */
		if (syms[i].role == ROLE_JS_CALLBACK && js_callbacks)
			add_to_group(&groups[ROLE_PHASE], (uint64_t)off, syms[i].cookie);
		else if (syms[i].role != ROLE_JS_CALLBACK)
			add_to_group(&groups[syms[i].role], (uint64_t)off, syms[i].cookie);
		u->js_callbacks |= syms[i].role == ROLE_JS_CALLBACK && js_callbacks;
	}
	/* entry probes before return probes: a return never comes without its entry */
	if (!err)
		err = uvp_attach_group(u, skel->progs.ls_uv_phase_enter, pid, attach_path, &groups[ROLE_PHASE], false);
	if (!err)
		err = uvp_attach_group(u, skel->progs.ls_uv_phase_exit, pid, attach_path, &groups[ROLE_PHASE], true);
	if (!err)
		u->nphases = groups[ROLE_PHASE].n - u->js_callbacks;
	if (!err)
		err = uvp_attach_group(u, skel->progs.ls_uv_work_enter, pid, attach_path, &groups[ROLE_WORK], false);
	if (!err)
		err = uvp_attach_group(u, skel->progs.ls_uv_work_exit, pid, attach_path, &groups[ROLE_WORK], true);
	if (!err)
		err = uvp_attach_group(u, skel->progs.ls_uv_done_enter, pid, attach_path, &groups[ROLE_DONE], false);
	if (!err)
		err = uvp_attach_group(u, skel->progs.ls_uv_done_exit, pid, attach_path, &groups[ROLE_DONE], true);
	if (!err)
		err = uvp_attach_group(u, skel->progs.ls_uv_submit, pid, attach_path, &groups[ROLE_SUBMIT], false);
	if (!err)
		err = uvp_attach_group(u, skel->progs.ls_uv_queue_work, pid, attach_path, &groups[ROLE_QUEUE_WORK], false);
	if (!err)
		err = uvp_attach_group(u, skel->progs.ls_v8_overflow, pid, attach_path, &groups[ROLE_V8_OVERFLOW], false);
	if (!err)
		u->v8_overflow = groups[ROLE_V8_OVERFLOW].n > 0;
	if (!err)
		u->nwork_fns = groups[ROLE_WORK].n;
	if (!err)
		u->nwork = groups[ROLE_WORK].n + groups[ROLE_DONE].n + groups[ROLE_SUBMIT].n +
			   groups[ROLE_QUEUE_WORK].n;
	return err;
}

/*
 * Debian's libuv.so.1 is stripped: its hidden phase and pool functions are
 * only in the .symtab its separate debug file keeps, at the library's own
 * ELF addresses (vaddr_to_offset() on the library maps them to offsets).
 * Says in u->symbols where the names came from.
 */
static void scan_debug_symbols(struct uvprobes *u, struct debuginfo *dbg, Elf *elf,
			       const struct mapping *m, int root_fd, struct probe_sym *syms)
{
	struct debuginfo_module mod = { .path = m->path, .root_fd = root_fd };
	enum ls_debug_source src = LS_DEBUG_NONE;
	char where[4200];
	bool missing = false;
	size_t i;
	Elf *debug;
	int fd;

	for (i = 0; i < NSYMS; i++)
		missing |= syms[i].role == ROLE_PHASE && !syms[i].vaddr;
	if (!missing)
		return;
	debuginfo__describe(elf, &mod);
	fd = dbg ? debuginfo__find(dbg, &mod, &src, where, sizeof(where)) : -ENOENT;
	if (fd < 0) {
		snprintf(u->symbols, sizeof(u->symbols), "stripped and no debug file found");
		return;
	}
	debug = elf_begin(fd, ELF_C_READ, NULL);
	if (debug && elf_kind(debug) == ELF_K_ELF)
		scan_symbols(debug, syms, NSYMS);
	elf_end(debug);
	close(fd);
	snprintf(u->symbols, sizeof(u->symbols), "from %s (%s)", where, ls_debug_source_name(src));
}

/*
 * Without a debuginfo context of the caller's: the default debug dir and
 * debuglinks, never debuginfod (the caller's --no-debuginfod is unknown here).
 */
int uvprobes__attach(struct uvprobes *u, struct loopscope_bpf *skel, pid_t pid, bool js_callbacks)
{
	struct debuginfo_opts o = { .sz = sizeof(o) };
	struct debuginfo *dbg = debuginfo__new(&o);
	int err = uvprobes__attach_debug(u, skel, pid, js_callbacks, dbg);

	debuginfo__free(dbg);
	return err;
}

/*
 * V8's StackOverflow where V8 is not in the file libuv is in: Debian's node
 * is a small program on libnode.so, which links the system's libuv.so.1.
 * The first mapped libnode.so* that exports it gets the probe.
 */
static int attach_v8_overflow(struct uvprobes *u, struct loopscope_bpf *skel, pid_t pid,
			      const struct mapping *maps, size_t nmaps, int root_fd)
{
	struct probe_sym sym = { "_ZN2v88internal7Isolate13StackOverflowEv", ROLE_V8_OVERFLOW, 0 };
	struct probe_group g = { 0 };
	char fpath[64];
	size_t i;
	int err = 0;

	for (i = 0; i < nmaps && !g.n; i++) {
		const char *base = strrchr(maps[i].path, '/');
		int64_t off;
		Elf *elf;
		int fd;

		if (!base || strncmp(base + 1, "libnode.so", 10))
			continue;
		fd = ls_open_mapped(pid, root_fd, maps[i].path, maps[i].start, maps[i].end, maps[i].ino,
				    LS_MAPPED_FILE_MAX);
		if (fd < 0)
			continue;
		snprintf(fpath, sizeof(fpath), "/proc/self/fd/%d", fd);
		elf = elf_begin(fd, ELF_C_READ, NULL);
		if (elf && elf_kind(elf) == ELF_K_ELF) {
			scan_symbols(elf, &sym, 1);
			off = sym.vaddr ? vaddr_to_offset(elf, sym.vaddr) : -1;
			if (off >= 0) {
				add_to_group(&g, (uint64_t)off, 0);
				err = uvp_attach_group(u, skel->progs.ls_v8_overflow, pid, fpath, &g, false);
				u->v8_overflow = !err;
			}
		}
		elf_end(elf);
		close(fd);
	}
	return err;
}

int uvprobes__attach_debug(struct uvprobes *u, struct loopscope_bpf *skel, pid_t pid,
			   bool js_callbacks, struct debuginfo *dbg)
{
	struct probe_sym syms[NSYMS];
	struct mapping *maps = NULL;
	size_t nmaps = 0, i, j;
	char fpath[4200];
	int err, root_fd;

	memset(u, 0, sizeof(*u));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	err = uvp_read_exec_mappings(pid, &maps, &nmaps);
	if (err)
		return err;
	snprintf(fpath, sizeof(fpath), "/proc/%d/root", (int)pid);
	root_fd = open(fpath, O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < nmaps && !u->found; i++) {
		Elf *elf;
		int fd;

		for (j = 0; j < i && strcmp(maps[j].path, maps[i].path); j++)
			;
		if (j < i)
			continue;	/* file already scanned */
		fd = ls_open_mapped(pid, root_fd, maps[i].path, maps[i].start, maps[i].end,
				    maps[i].ino, LS_MAPPED_FILE_MAX);
		if (fd < 0)
			continue;
		/*
		 * The uprobes go on the inode fd holds, the checked one: a path
		 * the kernel would look up again could be swapped meanwhile.
		 */
		snprintf(fpath, sizeof(fpath), "/proc/self/fd/%d", fd);
		elf = elf_begin(fd, ELF_C_READ, NULL);
		memcpy(syms, syms_template, sizeof(syms));
		if (elf && elf_kind(elf) == ELF_K_ELF && scan_symbols(elf, syms, NSYMS)) {
			u->found = true;
			snprintf(u->path, sizeof(u->path), "%s", maps[i].path);
			scan_debug_symbols(u, dbg, elf, &maps[i], root_fd, syms);
			err = attach_file(u, skel, pid, elf, fd, syms, maps, nmaps, fpath, js_callbacks);
		}
		elf_end(elf);
		close(fd);
	}
	if (!err && !u->v8_overflow)
		err = attach_v8_overflow(u, skel, pid, maps, nmaps, root_fd);
	free(maps);
	if (root_fd >= 0)
		close(root_fd);
	return err;
}

static void *destroy_link(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

/*
 * Each uprobe unregistration waits for an SRCU grace period (~130 ms here),
 * so 27 links take 3.5 s one after the other; in parallel, one period.
 */
bool uvprobes__multi_supported(void)
{
	static int cached = -1;
	struct utsname un;
	int major = 0, minor = 0;

	if (cached < 0) {
		cached = !uname(&un) && sscanf(un.release, "%d.%d", &major, &minor) == 2 &&
			 (major > 6 || (major == 6 && minor >= 6));
	}
	return cached;
}

void uvprobes__detach(struct uvprobes *u)
{
	pthread_t th[LS_UV_MAX_LINKS];
	bool started[LS_UV_MAX_LINKS];
	int i;

	for (i = 0; i < u->nlink_fds; i++)
		close(u->link_fds[i]);
	u->nlink_fds = 0;
	for (i = 0; i < u->nlinks; i++)
		started[i] = !pthread_create(&th[i], NULL, destroy_link, u->links[i]);
	for (i = 0; i < u->nlinks; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			bpf_link__destroy(u->links[i]);
	}
	u->nlinks = 0;
}
