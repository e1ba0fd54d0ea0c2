// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "collector/clock.h"
#include "collector/proc_maps.h"
#include "collector/safe_open.h"
#include "collector/table.h"
#include "collector/v8_layout.h"
#include "js_frames.h"

#define V8_FILE_MAX	(1ull << 30)	/* node binaries are ~100 MiB */

enum js_proc_state {
	JS_PROC_V8 = 1,		/* a reader */
	JS_PROC_NONE,		/* no V8 metadata in what it maps: not node */
	JS_PROC_REFUSED,	/* V8, in a layout we do not know */
};

struct js_proc {
	uint32_t pid;
	enum js_proc_state state;
	struct v8_reader *reader;
	struct v8_layout l;
	int pidfd;		/* the process read: once it exits, its pid may be another's */
};

struct js_id {
	uint32_t pid;
	uint32_t id;
	char name[LS_JS_NAME_MAX];
};

struct js_id_key {
	uint32_t pid;
	const char *name;
};

/* A file's layout, read once for all the processes that map it (a cluster's workers). */
#define LAYOUT_CACHE	8

struct cached_layout {
	uint64_t dev, ino;
	int err;
	const char *missing;
	struct v8_layout l;
};

struct js_frames {
	struct cached_layout layouts[LAYOUT_CACHE];
	unsigned nlayouts;
	struct ls_table procs;		/* of struct js_proc, by pid */
	struct ls_table ids;		/* of struct js_id, by (pid, name) */
	uint32_t next_id;
	struct v8_reader_stats gone;	/* of the readers freed already */
	struct js_frames_stats st;
};

static bool proc_eq(const void *entry, const void *key)
{
	return ((const struct js_proc *)entry)->pid == *(const uint32_t *)key;
}

static bool id_eq(const void *entry, const void *key)
{
	const struct js_id *e = entry;
	const struct js_id_key *k = key;

	return e->pid == k->pid && !strcmp(e->name, k->name);
}

struct js_frames *js_frames__new(void)
{
	struct js_frames *jf = calloc(1, sizeof(*jf));

	if (!jf)
		return NULL;
	ls_table_init(&jf->procs, sizeof(struct js_proc), 8, LS_MAX_JS_PROCS, proc_eq);
	ls_table_init(&jf->ids, sizeof(struct js_id), 256, LS_MAX_JS_IDS, id_eq);
	return jf;
}

/* The target's memory: process_vm_readv, all of it or nothing. */
static int read_target(void *ctx, uint64_t addr, void *buf, size_t len)
{
	pid_t pid = (pid_t)(uintptr_t)ctx;
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };

	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

static bool maybe_v8_file(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strcmp(base, "node") || !strcmp(base, "nodejs") || !strncmp(base, "libnode.so", 10);
}

/* m's file's layout (and *err) if read already. */
static bool cached(const struct js_frames *jf, const struct ls_mapping *m, struct v8_layout *l,
		   const char **missing, int *err)
{
	unsigned i;

	for (i = 0; i < jf->nlayouts; i++)
		if (jf->layouts[i].dev == m->dev && jf->layouts[i].ino == m->ino) {
			*l = jf->layouts[i].l;
			*missing = jf->layouts[i].missing;
			*err = jf->layouts[i].err;
			return true;
		}
	return false;
}

static void keep(struct js_frames *jf, const struct ls_mapping *m, const struct v8_layout *l,
		 const char *missing, int err)
{
	struct cached_layout *c;

	if (jf->nlayouts == LAYOUT_CACHE)
		return;
	c = &jf->layouts[jf->nlayouts++];
	c->dev = m->dev;
	c->ino = m->ino;
	c->err = err;
	c->missing = missing;	/* a string constant of the layout reader's table */
	c->l = *l;
}

/* Reads the layout of the first node binary or libnode pid maps: 0, -ENOENT none, -ENOTSUP refused. */
static int find_layout(struct js_frames *jf, uint32_t pid, struct v8_layout *l)
{
	struct ls_proc_maps pm = { 0 };
	char root[64];
	const char *missing = NULL;
	int root_fd, err = -ENOENT;
	size_t i;

	memset(l, 0, sizeof(*l));
	if (ls_proc_maps_read(&pm, (pid_t)pid))
		return -ENOENT;
	snprintf(root, sizeof(root), "/proc/%u/root", pid);
	root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < pm.n && err == -ENOENT; i++) {
		const struct ls_mapping *m = &pm.maps[i];
		int fd;

		if (!m->exec || !m->ino || !maybe_v8_file(m->path))
			continue;
		if (cached(jf, m, l, &missing, &err))
			continue;
		fd = ls_open_mapped((pid_t)pid, root_fd, m->path, m->start, m->end, m->ino, V8_FILE_MAX);
		if (fd < 0)
			continue;
		err = v8_layout__read(fd, l, &missing);
		close(fd);
		keep(jf, m, l, missing, err);
	}
	if (err == -ENOTSUP && !jf->st.refusal[0])
		snprintf(jf->st.refusal, sizeof(jf->st.refusal),
			 "JS frame names unavailable for V8 %u.%u: missing %s", l->major, l->minor,
			 missing ? missing : "?");
	if (root_fd >= 0)
		close(root_fd);
	ls_proc_maps_free(&pm);
	return err;
}

/* pid's reader, looked for at its first V8 frame; NULL (or no reader) when it has none. */
static struct js_proc *proc_reader(struct js_frames *jf, uint32_t pid)
{
	struct js_proc *p = ls_table_find(&jf->procs, ls_hash_u64(pid), &pid);
	struct v8_layout l;
	uint64_t cpu0;
	bool created;
	int err;

	if (p)
		return p;
	cpu0 = ls_thread_cpu_ns();
	err = find_layout(jf, pid, &l);
	jf->st.layout_cpu_ns += ls_thread_cpu_ns() - cpu0;
	p = ls_table_insert(&jf->procs, ls_hash_u64(pid), &pid, &created);
	if (!p)
		return NULL;	/* past LS_MAX_JS_PROCS: its frames stay as unwound */
	p->pid = pid;
	p->l = l;
	p->pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	p->state = err == -ENOTSUP ? JS_PROC_REFUSED : err ? JS_PROC_NONE : JS_PROC_V8;
	jf->st.refused_procs += p->state == JS_PROC_REFUSED;
	if (p->state == JS_PROC_V8) {
		p->reader = v8_reader__new(&l, read_target, (void *)(uintptr_t)pid);
		jf->st.v8_procs += p->reader != NULL;
		if (!jf->st.version[0])
			snprintf(jf->st.version, sizeof(jf->st.version), "V8 %u.%u.%u", l.major, l.minor, l.build);
	}
	return p;
}

/* Whether p's process still runs: its memory is not another's that took its pid. */
static bool alive(const struct js_proc *p)
{
	return p->pidfd >= 0 && !syscall(SYS_pidfd_send_signal, p->pidfd, 0, NULL, 0);
}

/* The 8-byte slot at addr if the copy (from sp, size bytes) holds it. */
static bool copy_slot(const struct ls_rec_ustack *dump, const uint8_t *stack, uint64_t addr,
		      uint64_t *out)
{
	uint64_t sp = dump->regs[7];

	if (addr < sp || addr - sp > dump->size || dump->size - (addr - sp) < 8)
		return false;
	memcpy(out, stack + (addr - sp), 8);
	return true;
}

/* The frame at fp, its slots from the copy; false when the copy does not hold them all. */
static bool frame_slots(const struct v8_layout *l, const struct ls_rec_ustack *dump,
			const uint8_t *stack, uint64_t fp, struct v8_frame *f)
{
	return copy_slot(dump, stack, fp + (int64_t)l->fp_context, &f->context) &&
	       copy_slot(dump, stack, fp + (int64_t)l->fp_function, &f->function) &&
	       copy_slot(dump, stack, fp + (int64_t)l->fp_bytecode_array, &f->bytecode_array) &&
	       copy_slot(dump, stack, fp + (int64_t)l->fp_bytecode_offset, &f->bytecode_offset);
}

/* The address standing for pid's frame name, described by a record when new; 0 = none left. */
static uint64_t name_addr(struct js_frames *jf, uint32_t pid, const char *name, uint64_t pc,
			  js_frames_emit_fn emit, void *ctx, int *err)
{
	struct js_id_key key = { pid, name };
	struct ls_rec_js_frame rec = { .type = LS_REC_JS_FRAME, .pid = pid, .pc = pc };
	uint64_t hash = ls_hash_bytes(name, strlen(name)) ^ ls_hash_u64(pid);
	struct js_id *e = ls_table_find(&jf->ids, hash, &key);
	bool created;

	if (e)
		return LS_JS_FRAME_TAG | e->id;
	e = ls_table_insert(&jf->ids, hash, &key, &created);
	if (!e) {
		jf->st.ids_full++;
		return 0;
	}
	e->pid = pid;
	e->id = ++jf->next_id;
	snprintf(e->name, sizeof(e->name), "%s", name);
	rec.addr = LS_JS_FRAME_TAG | e->id;
	memcpy(rec.name, e->name, sizeof(rec.name));
	*err = emit(ctx, &rec, sizeof(rec));
	return rec.addr;
}

int js_frames__name_stack(struct js_frames *jf, uint32_t pid, const struct ls_rec_ustack *dump,
			  const uint8_t *stack, uint64_t *ips, const struct unwound_frame *frames,
			  unsigned n, js_frames_emit_fn emit, void *ctx)
{
	char name[LS_V8_NAME_MAX];
	struct js_proc *p = NULL;
	uint64_t t0 = 0;
	unsigned i;
	int err = 0;

	for (i = 0; i < n && !err; i++) {
		struct v8_frame f = { .pc = ips[i], .in_builtins = frames[i].code == LS_CODE_V8_BUILTIN };
		uint64_t addr;

		if (frames[i].code == LS_CODE_NATIVE || !frames[i].fp)
			continue;
		if (!p && (!(p = proc_reader(jf, pid)) || !p->reader || !alive(p)))
			return 0;
		if (!t0)
			t0 = ls_monotonic_ns();
		if (!frame_slots(&p->l, dump, stack, frames[i].fp, &f) ||
		    v8_reader__name(p->reader, &f, name))
			continue;	/* not a JavaScript frame, or not one we can name: as unwound */
		addr = name_addr(jf, pid, name, ips[i], emit, ctx, &err);
		if (addr)
			ips[i] = addr;
	}
	if (t0) {
		jf->st.stacks++;
		jf->st.ns += ls_monotonic_ns() - t0;
	}
	return err;
}

static void add_reader_stats(struct v8_reader_stats *to, const struct v8_reader *r)
{
	struct v8_reader_stats s;

	v8_reader__stats(r, &s);
	to->frames += s.frames;
	to->named += s.named;
	to->not_js += s.not_js;
	to->bad_object += s.bad_object;
	to->not_its_own += s.not_its_own;
	to->read_errors += s.read_errors;
	to->cache_hits += s.cache_hits;
	to->no_line += s.no_line;
}

void js_frames__forget(struct js_frames *jf, uint32_t pid)
{
	struct js_proc *p = ls_table_find(&jf->procs, ls_hash_u64(pid), &pid);

	if (!p)
		return;
	if (p->reader) {
		add_reader_stats(&jf->gone, p->reader);
		v8_reader__free(p->reader);
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	ls_table_remove(&jf->procs, p);
}

void js_frames__stats(const struct js_frames *jf, struct js_frames_stats *st)
{
	size_t i;

	*st = jf->st;
	st->reader = jf->gone;
	for (i = 0; i < ls_table_cap(&jf->procs); i++) {
		const struct js_proc *p = ls_table_slot(&jf->procs, i);

		if (p && p->reader)
			add_reader_stats(&st->reader, p->reader);
	}
}

void js_frames__free(struct js_frames *jf)
{
	size_t i;

	if (!jf)
		return;
	for (i = 0; i < ls_table_cap(&jf->procs); i++) {
		struct js_proc *p = ls_table_slot(&jf->procs, i);

		if (p) {
			v8_reader__free(p->reader);
			if (p->pidfd >= 0)
				close(p->pidfd);
		}
	}
	ls_table_free(&jf->procs);
	ls_table_free(&jf->ids);
	free(jf);
}
