/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The symbolizer: /proc/PID/maps routing to the ELF, kallsyms and perf-map
 * readers; see symbolize.h for the contract.
 *
 * Cost model: stacks arrive at up to ~1000 samples per second with tens of
 * frames each, so a resolve is a binary search over the maps and one over
 * a cached symbol table. Anything that touches the file system (re-reading
 * maps after a miss, polling the perf map for new JIT code) is rate-limited
 * to once per LS_SYM_RELOAD_NS, and ELF files are read once per inode.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include "clock.h"
#include "bpf/loopscope.h"
#include "elf_syms.h"
#include "js_names.h"
#include "kallsyms.h"
#include "perfmap.h"
#include "proc_maps.h"
#include "safe_open.h"
#include "symbolize.h"
#include "symbolize_int.h"

#define LS_SYM_RELOAD_NS	(100 * 1000000ull)
#define KERNEL_MAPPING		"[kernel.kallsyms]"

/* Paths are kept for the symbolizer's lifetime: frames point at them. */
const char *sym_intern_path(struct symbolizer *s, const char *p)
{
	const char **paths, *copy;
	size_t i;

	for (i = 0; i < s->npaths; i++)
		if (!strcmp(s->paths[i], p))
			return s->paths[i];
	copy = symtab__strdup(&s->strs, p, strlen(p));
	paths = copy ? realloc(s->paths, (s->npaths + 1) * sizeof(*paths)) : NULL;
	if (!paths)
		return NULL;
	s->paths = paths;
	s->paths[s->npaths++] = copy;
	return copy;
}

static int parse_maps_line(struct symbolizer *s, char *line, struct ls_map *m)
{
	unsigned long start, end, pgoff, ino;
	unsigned maj, min;
	char perms[5];
	int pos = 0;
	size_t len;

	if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &start, &end, perms, &pgoff,
		   &maj, &min, &ino, &pos) < 7 || !pos || end <= start)
		return -EINVAL;
	len = strlen(line + pos);
	while (len && line[pos + len - 1] == '\n')
		line[pos + --len] = '\0';
	m->start = start, m->end = end, m->pgoff = pgoff;
	m->dev = (uint64_t)maj << 32 | min;
	m->ino = ino;
	m->exec = strchr(perms, 'x') != NULL;
	m->elf = -1;
	m->path = sym_intern_path(s, line + pos);
	return m->path ? 0 : -ENOMEM;
}

static int load_maps(struct symbolizer *s)
{
	char path[64], *line = NULL;
	struct ls_map *maps = NULL, *tmp;
	size_t n = 0, cap = 0, lcap = 0;
	int err = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)s->pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (getline(&line, &lcap, f) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 128;
			tmp = realloc(maps, cap * sizeof(*maps));
			if (!tmp) {
				err = -ENOMEM;
				break;
			}
			maps = tmp;
		}
		err = parse_maps_line(s, line, &maps[n]);
		if (err == -ENOMEM)
			break;
		n += !err;
		err = 0;
	}
	free(line);
	fclose(f);
	if (!err && !n)		/* a zombie has no maps: keep what we had */
		err = -ESRCH;
	if (err) {
		free(maps);
		return err;
	}
	free(s->maps);
	s->maps = maps;
	s->nmaps = n;		/* /proc lists maps sorted by address */
	s->st.maps_reloads++;
	s->last_maps_ns = ls_monotonic_ns();
	return 0;
}

static struct ls_map *find_map(struct symbolizer *s, uint64_t ip)
{
	size_t lo = 0, hi = s->nmaps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ip < s->maps[mid].start)
			hi = mid;
		else if (ip >= s->maps[mid].end)
			lo = mid + 1;
		else
			return &s->maps[mid];
	}
	return NULL;
}

static struct elf_entry *elf_for_map(struct symbolizer *s, struct ls_map *m)
{
	struct elf_entry *e, *tmp;
	size_t i;
	int fd;

	if (m->elf >= 0)
		return &s->elfs[m->elf];
	for (i = 0; i < s->nelfs; i++) {
		if (s->elfs[i].dev == m->dev && s->elfs[i].ino == m->ino) {
			m->elf = (int)i;
			return &s->elfs[i];
		}
	}
	tmp = realloc(s->elfs, (s->nelfs + 1) * sizeof(*tmp));
	if (!tmp)
		return NULL;	/* not cached: a later frame may have the memory */
	s->elfs = tmp;
	e = &s->elfs[s->nelfs];
	memset(e, 0, sizeof(*e));
	e->dev = m->dev, e->ino = m->ino;
	m->elf = (int)s->nelfs++;
	fd = !strcmp(m->path, "[vdso]") ? ls_own_vdso_fd() :
	     ls_open_mapped(s->pid, s->root_fd, m->path, m->start, m->end, m->ino,
			    LS_MAPPED_FILE_MAX);
	e->err = fd < 0 ? fd : ls_elf__load(&e->elf, fd);
	if (fd >= 0)
		close(fd);
	e->path = m->path;
	if (e->err == -ESTALE)
		s->st.file_mismatch++;
	else if (e->err)
		s->st.file_errors++;
	else
		s->st.files++;
	if (!e->err)
		sym_add_debug_symbols(s, e);
	return e;
}

static const char *sym_name(struct symbolizer *s, struct ls_sym *sym, struct ls_symtab *t)
{
	char buf[4096];

	if (!(sym->flags & LS_SYM_DEMANGLED) && !s->opts.no_demangle &&
	    !strncmp(sym->name, "_Z", 2) && ls_demangle(sym->name, buf, sizeof(buf))) {
		const char *d = symtab__strdup(t, buf, strlen(buf));

		if (d)
			sym->name = d;
	}
	sym->flags |= LS_SYM_DEMANGLED;
	return sym->name;
}

static int resolve_native(struct symbolizer *s, struct ls_map *m, uint64_t ip,
			  struct ls_frame_info *out)
{
	uint64_t file_off = ip - m->start + m->pgoff, vaddr, bias;
	struct elf_entry *e = m->ino || !strcmp(m->path, "[vdso]") ? elf_for_map(s, m) : NULL;
	struct ls_sym *sym;

	out->kind = LS_FRAME_NATIVE;
	out->rel_pc = file_off;
	if (!e || e->err)
		goto unnamed;
	memcpy(out->build_id, e->elf.build_id, e->elf.build_id_len);
	out->build_id_len = e->elf.build_id_len;
	if (ls_elf__vaddr(&e->elf, file_off, &vaddr, &bias))
		goto unnamed;
	out->rel_pc = vaddr;
	out->load_bias = bias;
	sym = symtab__find(&e->elf.syms, vaddr);
	if (!sym)
		goto unnamed;
	out->function = sym_name(s, sym, &e->elf.syms);
	out->offset = vaddr - sym->addr;
	s->st.named++;
	return 0;
unnamed:
	s->st.unnamed_native++;
	return -ENOENT;
}

void sym_update_perfmap(struct symbolizer *s, bool force)
{
	uint64_t now = ls_monotonic_ns();

	if (!force && now - s->last_pmap_ns < LS_SYM_RELOAD_NS && s->last_pmap_ns)
		return;
	s->last_pmap_ns = now;
	ls_perfmap__update(&s->pmap);	/* missing file: JIT frames stay unnamed, counted */
}

/*
 * JIT code: anonymous executable memory named only by the perf map. Also
 * tried for addresses in no mapping, since a JIT region may have been
 * unmapped (or the process gone) by the time we symbolize. Not counted here.
 */
int sym_resolve_jit(struct symbolizer *s, struct ls_map *m, uint64_t ip, struct ls_frame_info *out)
{
	struct ls_sym *sym = symtab__find_newest(&s->pmap.syms, ip);

	if (!sym) {
		sym_update_perfmap(s, false);
		sym = symtab__find_newest(&s->pmap.syms, ip);
	}
	out->kind = LS_FRAME_JIT;
	if (m) {
		out->map_start = m->start, out->map_end = m->end;
		out->mapping = m->path[0] ? m->path : "[anon]";
	} else if (sym) {
		out->map_start = sym->addr, out->map_end = sym->addr + sym->size;
	}
	out->rel_pc = ip - out->map_start;
	if (!sym)
		return -ENOENT;
	out->mapping = s->pmap_name;
	out->function = sym_name(s, sym, &s->pmap.syms);
	out->offset = ip - sym->addr;
	return 0;
}

static int resolve_kernel(struct symbolizer *s, uint64_t ip, struct ls_frame_info *out)
{
	struct ls_sym *sym = NULL;

	if (s->ksyms_err == 1)
		s->ksyms_err = ls_kallsyms__load(&s->ksyms, s->opts.kallsyms_path);
	out->kind = LS_FRAME_KERNEL;
	out->mapping = KERNEL_MAPPING;
	out->rel_pc = ip;
	if (!s->ksyms_err && !s->ksyms.hidden)
		sym = symtab__find(&s->ksyms.syms, ip);
	if (!sym) {
		s->st.unnamed_kernel++;
		return -ENOENT;
	}
	out->function = sym->name;
	out->offset = ip - sym->addr;
	s->st.named++;
	return 0;
}

int symbolizer__resolve(struct symbolizer *s, uint64_t ip, bool kernel, struct ls_frame_info *out)
{
	struct ls_map *m;

	if (!s || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->ip = ip;
	s->st.frames++;
	if (kernel)
		return resolve_kernel(s, ip, out);
	if (LS_IS_JS_FRAME(ip))
		return sym_resolve_js(s, ip, out);
	m = find_map(s, ip);
	if (!m && ls_monotonic_ns() - s->last_maps_ns >= LS_SYM_RELOAD_NS && !load_maps(s))
		m = find_map(s, ip);	/* new code: dlopen, JIT, or a reused range */
	if (m && (m->path[0] == '/' || !strcmp(m->path, "[vdso]")))
		goto native;	/* the vDSO's names come from our own copy of it */
	if (m && m->path[0] == '[' && strncmp(m->path, "[anon", 5)) {
		/* [vdso], [vsyscall], [heap], [stack]: no file to read names from */
		out->kind = LS_FRAME_NATIVE;
		out->mapping = m->path;
		out->map_start = m->start, out->map_end = m->end;
		out->rel_pc = ip - m->start;
		s->st.unnamed_native++;
		return -ENOENT;
	}
	if (!sym_resolve_jit(s, m, ip, out)) {
		s->st.named++;
		return 0;
	}
	if (m) {
		s->st.unnamed_jit++;
	} else {
		s->st.unmapped++;
		out->kind = LS_FRAME_UNKNOWN;
	}
	return -ENOENT;
native:
	out->mapping = m->path;
	out->map_start = m->start, out->map_end = m->end, out->map_pgoff = m->pgoff;
	return resolve_native(s, m, ip, out);
}

int symbolizer__refresh(struct symbolizer *s)
{
	int err = load_maps(s);

	sym_update_perfmap(s, true);
	return err;
}

/*
 * From the target's status: its pid in its own namespace (the perf map is
 * named by it) and its effective uid. Kernel text, but bounded all the same.
 */
static void read_status(pid_t pid, long *nspid, uid_t *uid)
{
	char path[64], *buf, *line, *p;
	unsigned long r, e;
	size_t len;

	*nspid = pid;
	*uid = LS_ANY_OWNER;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (ls_read_small_file(path, NULL, 64 << 10, &buf, &len))
		return;
	for (line = buf; line && *line; line = p ? p + 1 : NULL) {
		p = strchr(line, '\n');
		if (p)
			*p = '\0';
		if (!strncmp(line, "NSpid:", 6) && strrchr(line, '\t'))
			*nspid = strtol(strrchr(line, '\t') + 1, NULL, 10);
		else if (sscanf(line, "Uid: %lu %lu", &r, &e) == 2)
			*uid = (uid_t)e;
	}
	free(buf);
}

/*
 * The perf map is written by the target in its own mount and pid
 * namespace: opened inside its root, named in frames as the target knows
 * it, and read only when it is a regular file of the target's own user
 * (as perf does): a root-only file linked or renamed there is not ours
 * to show.
 */
static int init_perf_map(struct symbolizer *s)
{
	struct ls_open_rules rules = ls_open_rules_default();
	const char *path = s->opts.perf_map_path;
	char name[64];
	long nspid;

	read_status(s->pid, &nspid, &s->uid);
	if (!path) {
		snprintf(name, sizeof(name), "/tmp/perf-%ld.map", nspid);
		path = name;
		rules.root_fd = s->root_fd;
		rules.owner = s->uid;
		/* no root to read it in, or no uid to check (the target is gone): root's own only */
		if (s->root_fd < 0 || s->uid == LS_ANY_OWNER)
			rules.owner = 0;
	}
	s->pmap_name = sym_intern_path(s, path);
	if (!s->pmap_name)
		return -ENOMEM;
	return ls_perfmap__init(&s->pmap, path, &rules, s->opts.max_perf_map_entries,
				s->opts.max_perf_map_bytes);
}

struct symbolizer *symbolizer__new(pid_t pid, const struct symbolizer_opts *opts)
{
	struct symbolizer *s;
	char root[64];
	int err;

	if (pid <= 0) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->pid = pid;
	s->ksyms_err = 1;
	if (opts)
		memcpy(&s->opts, opts, opts->sz && opts->sz < sizeof(s->opts) ? opts->sz : sizeof(s->opts));
	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	s->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	err = init_perf_map(s);
	/* The caller's strings are not ours to keep. */
	s->opts.perf_map_path = NULL;
	if (!err && s->opts.kallsyms_path) {
		s->opts.kallsyms_path = sym_intern_path(s, s->opts.kallsyms_path);
		err = s->opts.kallsyms_path ? 0 : -ENOMEM;
	}
	if (!err)
		err = load_maps(s);
	if (err) {
		symbolizer__free(s);
		errno = -err;
		return NULL;
	}
	return s;
}

void symbolizer__free(struct symbolizer *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nelfs; i++)
		ls_elf__free(&s->elfs[i].elf);
	free(s->elfs);
	free(s->maps);
	free(s->paths);
	symtab__free(&s->strs);
	ls_kallsyms__free(&s->ksyms);
	ls_perfmap__free(&s->pmap);
	js_names__free(s->js);
	if (s->root_fd >= 0)
		close(s->root_fd);
	free(s);
}

void symbolizer__stats(const struct symbolizer *s, struct symbolizer_stats *st)
{
	*st = s->st;
	st->perf_map_entries = s->pmap.entries;
	st->perf_map_bad_lines = s->pmap.bad_lines;
	st->perf_map_dropped = s->pmap.dropped;
	st->perf_map_found = s->pmap.found;
	st->perf_map_capped = s->pmap.capped;
	st->perf_map_refused = s->pmap.refused;
	st->kernel_hidden = s->ksyms_err != 1 && (s->ksyms_err || s->ksyms.hidden);
}

