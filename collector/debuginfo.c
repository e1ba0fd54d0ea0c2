/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Separate debug files by build-id, debuglink and debuginfod; see
 * debuginfo.h. The places and their order are gdb's ("Separate Debug
 * Files" in its manual) and elfutils' (libdwfl's find-debuginfo).
 */
#include <elfutils/debuginfod.h>
#include <errno.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "debuginfo.h"
#include "safe_open.h"

#define NOTE_GNU	"GNU"
#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID	3
#endif
#define CRC_CHUNK	(1u << 20)

struct lookup {
	uint8_t build_id[64];
	uint32_t build_id_len;
	char *module_key;		/* path + CRC for a module without a build-id */
	int fd;				/* kept open: dup()ed for each caller; -1 = none found */
	enum ls_debug_source src;
	char where[PATH_MAX];
};

struct debuginfo {
	const char *dirs[LS_DEBUG_MAX_DIRS + 1];
	char *dir_copies[LS_DEBUG_MAX_DIRS];
	bool use_debuginfod;
	double timeout_s;
	debuginfod_client *dfd;		/* begun on first use */
	struct timespec dfd_start;
	struct lookup *lookups;
	size_t nlookups;
	struct debuginfo_stats st;
};

uint32_t ls_elf_build_id(Elf *elf, uint8_t *buf, uint32_t cap)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, next, name_off, desc_off;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		while (d && (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == sizeof(NOTE_GNU) &&
			    !memcmp((char *)d->d_buf + name_off, NOTE_GNU, sizeof(NOTE_GNU)) &&
			    nh.n_descsz && nh.n_descsz <= cap) {
				memcpy(buf, (char *)d->d_buf + desc_off, nh.n_descsz);
				return nh.n_descsz;
			}
			off = next;
		}
	}
	return 0;
}

/* .gnu_debuglink: a NUL-terminated name, padding to 4 bytes, then the CRC32. */
static void read_debuglink(Elf *elf, struct debuginfo_module *m)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		Elf_Data *d;
		size_t len;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
		    !(name = elf_strptr(elf, shstrndx, sh.sh_name)) || strcmp(name, ".gnu_debuglink"))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			return;
		len = strnlen(d->d_buf, d->d_size);
		/* a name with a slash would leave the directories it is looked up in */
		if (!len || len >= sizeof(m->debuglink) || memchr(d->d_buf, '/', len) ||
		    ((len + 4) & ~3u) + 4 > d->d_size)
			return;
		memcpy(m->debuglink, d->d_buf, len);
		m->debuglink[len] = '\0';
		memcpy(&m->debuglink_crc, (char *)d->d_buf + ((len + 4) & ~3u), 4);
		return;
	}
}

void debuginfo__describe(Elf *elf, struct debuginfo_module *m)
{
	m->build_id_len = ls_elf_build_id(elf, m->build_id, sizeof(m->build_id));
	m->debuglink[0] = '\0';
	read_debuglink(elf, m);
}

static int file_crc(int fd, uint32_t *crc)
{
	unsigned char *buf = malloc(CRC_CHUNK);
	uLong c = crc32(0, NULL, 0);
	off_t off = 0;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	while ((n = ls_read_bounded(fd, buf, CRC_CHUNK, off, NULL)) > 0) {
		c = crc32(c, buf, (uInt)n);
		off += n;
	}
	free(buf);
	*crc = (uint32_t)c;
	return n < 0 ? (int)n : 0;
}

/*
 * Whether the file at fd is the module's debug file: an ELF file with the
 * module's build-id (when the module has one) and, for a debuglink, its CRC.
 */
static bool file_matches(struct debuginfo *d, int fd, const struct debuginfo_module *m,
			 bool check_crc)
{
	uint8_t id[64];
	uint32_t len = 0, crc;
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	bool is_elf = elf && elf_kind(elf) == ELF_K_ELF;

	if (is_elf)
		len = ls_elf_build_id(elf, id, sizeof(id));
	elf_end(elf);
	if (!is_elf) {
		d->st.refused_file++;
		return false;
	}
	if (m->build_id_len && (len != m->build_id_len || memcmp(id, m->build_id, len))) {
		d->st.refused_build_id++;
		return false;
	}
	if (check_crc && (file_crc(fd, &crc) || crc != m->debuglink_crc)) {
		d->st.refused_crc++;
		return false;
	}
	return true;
}

/* Opens path by the trust rules (inside root_fd unless -1) and checks it. */
static int try_file(struct debuginfo *d, const char *path, int root_fd,
		    const struct debuginfo_module *m, bool check_crc)
{
	struct ls_open_rules rules = ls_open_rules_default();
	int fd;

	rules.root_fd = root_fd;
	rules.max_size = LS_DEBUG_FILE_MAX;
	fd = ls_open_untrusted(path, &rules, NULL);
	if (fd < 0) {
		if (fd != -ENOENT && fd != -ENOTDIR)
			d->st.refused_file++;	/* a link, a FIFO, a device, too large */
		return fd;
	}
	if (!file_matches(d, fd, m, check_crc)) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

static int find_by_build_id(struct debuginfo *d, const struct debuginfo_module *m,
			    struct lookup *l)
{
	char hex[2 * 64 + 1];
	uint32_t i;
	int fd = -ENOENT;

	if (!m->build_id_len)
		return -ENOENT;
	for (i = 0; i < m->build_id_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", m->build_id[i]);
	for (i = 0; d->dirs[i] && fd < 0; i++) {
		snprintf(l->where, sizeof(l->where), "%s/.build-id/%.2s/%s.debug", d->dirs[i], hex,
			 hex + 2);
		fd = try_file(d, l->where, -1, m, false);
	}
	return fd;
}

/* gdb's places for a debuglink: beside the module, in .debug/ there, under each debug dir. */
static int find_by_debuglink(struct debuginfo *d, const struct debuginfo_module *m,
			     struct lookup *l)
{
	const char *slash = m->path ? strrchr(m->path, '/') : NULL;
	int dirlen, fd, i;

	if (!m->debuglink[0] || !slash || m->path[0] != '/')
		return -ENOENT;
	dirlen = (int)(slash - m->path);
	snprintf(l->where, sizeof(l->where), "%.*s/%s", dirlen, m->path, m->debuglink);
	/* the module itself carries the link: its own file is no debug file */
	fd = strcmp(l->where, m->path) ? try_file(d, l->where, m->root_fd, m, true) : -ENOENT;
	if (fd < 0) {
		snprintf(l->where, sizeof(l->where), "%.*s/.debug/%s", dirlen, m->path, m->debuglink);
		fd = try_file(d, l->where, m->root_fd, m, true);
	}
	for (i = 0; d->dirs[i] && fd < 0; i++) {
		snprintf(l->where, sizeof(l->where), "%s%.*s/%s", d->dirs[i], dirlen, m->path,
			 m->debuglink);
		fd = try_file(d, l->where, -1, m, true);
	}
	return fd;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* libdebuginfod calls this while it downloads; non-zero cancels the transfer. */
static int debuginfod_progress(debuginfod_client *c, long done, long total)
{
	struct debuginfo *d = debuginfod_get_user_data(c);

	(void)done, (void)total;
	return seconds_since(&d->dfd_start) >= d->timeout_s;
}

static int find_by_debuginfod(struct debuginfo *d, const struct debuginfo_module *m,
			      struct lookup *l)
{
	char *path = NULL;
	int fd;

	if (!d->use_debuginfod || !m->build_id_len)
		return -ENOENT;
	if (!d->dfd) {
		d->dfd = debuginfod_begin();
		if (!d->dfd)
			return -ENOENT;
		debuginfod_set_user_data(d->dfd, d);
		debuginfod_set_progressfn(d->dfd, debuginfod_progress);
	}
	d->st.debuginfod_queries++;
	clock_gettime(CLOCK_MONOTONIC, &d->dfd_start);
	fd = debuginfod_find_debuginfo(d->dfd, m->build_id, (int)m->build_id_len, &path);
	if (fd < 0) {
		d->st.debuginfod_timeouts += seconds_since(&d->dfd_start) >= d->timeout_s;
		free(path);
		return fd;
	}
	close(fd);
	/* its cache is root's own, but the file is checked like any other */
	fd = path ? try_file(d, path, -1, m, false) : -ENOENT;
	if (path)
		snprintf(l->where, sizeof(l->where), "%s", path);
	free(path);
	return fd;
}

static struct lookup *cached(struct debuginfo *d, const struct debuginfo_module *m,
			     const char *key)
{
	size_t i;

	for (i = 0; i < d->nlookups; i++) {
		struct lookup *l = &d->lookups[i];

		if (m->build_id_len ? l->build_id_len == m->build_id_len &&
				      !memcmp(l->build_id, m->build_id, m->build_id_len)
				    : l->module_key && !strcmp(l->module_key, key))
			return l;
	}
	return NULL;
}

/* Runs the three ways in order into a new cache entry. */
static struct lookup *look_up(struct debuginfo *d, const struct debuginfo_module *m,
			      const char *key)
{
	struct lookup *l, *tmp = realloc(d->lookups, (d->nlookups + 1) * sizeof(*tmp));
	int fd;

	if (!tmp)
		return NULL;
	d->lookups = tmp;
	l = &d->lookups[d->nlookups];
	memset(l, 0, sizeof(*l));
	memcpy(l->build_id, m->build_id, m->build_id_len);
	l->build_id_len = m->build_id_len;
	if (!m->build_id_len && !(l->module_key = strdup(key)))
		return NULL;
	d->nlookups++;
	l->src = LS_DEBUG_BUILD_ID;
	fd = find_by_build_id(d, m, l);
	if (fd < 0) {
		l->src = LS_DEBUG_DEBUGLINK;
		fd = find_by_debuglink(d, m, l);
	}
	if (fd < 0) {
		l->src = LS_DEBUG_DEBUGINFOD;
		fd = find_by_debuginfod(d, m, l);
	}
	l->fd = fd < 0 ? -1 : fd;
	if (fd < 0) {
		l->src = LS_DEBUG_NONE;
		l->where[0] = '\0';
	}
	return l;
}

int debuginfo__find(struct debuginfo *d, const struct debuginfo_module *m,
		    enum ls_debug_source *src, char *where, size_t where_len)
{
	char key[PATH_MAX + 16];
	struct lookup *l;
	int fd;

	if (!d || !m || !src)
		return -EINVAL;
	*src = LS_DEBUG_NONE;
	if (where && where_len)
		where[0] = '\0';
	if (!m->build_id_len && !m->debuglink[0])
		return -ENOENT;
	snprintf(key, sizeof(key), "%s:%08x", m->path ? m->path : "", m->debuglink_crc);
	d->st.lookups++;
	l = cached(d, m, key);
	if (!l) {
		l = look_up(d, m, key);
		if (!l)
			return -ENOMEM;
		d->st.found[l->src]++;
	}
	*src = l->src;
	if (where && where_len)
		snprintf(where, where_len, "%s", l->where);
	if (l->fd < 0)
		return -ENOENT;
	fd = dup(l->fd);
	return fd < 0 ? -errno : fd;
}

struct debuginfo *debuginfo__new(const struct debuginfo_opts *opts)
{
	struct debuginfo *d = calloc(1, sizeof(*d));
	size_t i, n = 0;

	if (!d)
		return NULL;
	for (i = 0; opts && i < LS_DEBUG_MAX_DIRS && opts->debug_dirs[i]; i++) {
		d->dir_copies[i] = strdup(opts->debug_dirs[i]);
		if (!d->dir_copies[i]) {
			debuginfo__free(d);
			return NULL;
		}
		d->dirs[n++] = d->dir_copies[i];
	}
	if (!n)
		d->dirs[0] = LS_DEBUG_DIR_DEFAULT;
	d->use_debuginfod = opts && opts->debuginfod;
	d->timeout_s = opts && opts->debuginfod_timeout_s > 0 ? opts->debuginfod_timeout_s
							      : LS_DEBUGINFOD_TIMEOUT_S;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		debuginfo__free(d);
		return NULL;
	}
	return d;
}

void debuginfo__free(struct debuginfo *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->nlookups; i++) {
		if (d->lookups[i].fd >= 0)
			close(d->lookups[i].fd);
		free(d->lookups[i].module_key);
	}
	free(d->lookups);
	for (i = 0; i < LS_DEBUG_MAX_DIRS; i++)
		free(d->dir_copies[i]);
	if (d->dfd)
		debuginfod_end(d->dfd);
	free(d);
}

void debuginfo__stats(const struct debuginfo *d, struct debuginfo_stats *st)
{
	*st = d->st;
}

const char *ls_debug_source_name(enum ls_debug_source src)
{
	switch (src) {
	case LS_DEBUG_BUILD_ID:
		return "build-id dir";
	case LS_DEBUG_DEBUGLINK:
		return "debuglink";
	case LS_DEBUG_DEBUGINFOD:
		return "debuginfod";
	default:
		return "none";
	}
}
