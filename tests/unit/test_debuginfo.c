/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * debuginfo: separate debug files by build-id and debuglink, on files made
 * here: the build-id path layout, a file with another build-id or CRC
 * refused, links and FIFOs planted in place refused without a hang, the
 * per-build-id cache. The test binary itself stands in for a module (gcc
 * on Debian links every binary with a build-id).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "../harness.h"
#include "scratch_dir.h"
#include "collector/debuginfo.h"
#include "collector/symbolize.h"

static void make_dir(void)
{
	make_scratch_dir("/tmp/ls-debuginfo-XXXXXX");
}

static void run(const char *fmt, const char *a, const char *b)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	ASSERT(system(cmd) == 0);
}

/* The test binary (not the shell's cp: /proc/self in system() is cp's) to dst. */
static void copy_self(const char *dst)
{
	char self[64];

	snprintf(self, sizeof(self), "/proc/%d/exe", (int)getpid());
	run("cp '%s' '%s'", self, dst);
}

/* The test binary as a module: its build-id, no debuglink. */
static void describe_self(struct debuginfo_module *m)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	Elf *elf;

	ASSERT(fd >= 0);
	ASSERT(elf_version(EV_CURRENT) != EV_NONE);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	ASSERT(elf);
	memset(m, 0, sizeof(*m));
	debuginfo__describe(elf, m);
	elf_end(elf);
	close(fd);
	m->root_fd = -1;
	ASSERT_EQ(m->build_id_len, 20);
}

/* <dir>/debug/.build-id/xx/rest.debug for m, its directory made. */
static const char *build_id_path(const struct debuginfo_module *m)
{
	static char path[512];
	char hex[41];
	uint32_t i;

	for (i = 0; i < m->build_id_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", m->build_id[i]);
	snprintf(path, sizeof(path), "%s/debug/.build-id/%.2s", dir, hex);
	run("mkdir -p '%s'%s", path, "");
	snprintf(path, sizeof(path), "%s/debug/.build-id/%.2s/%s.debug", dir, hex, hex + 2);
	return path;
}

static struct debuginfo *new_ctx(void)
{
	struct debuginfo_opts o = { .sz = sizeof(o) };
	static char ddir[128];
	struct debuginfo *d;

	snprintf(ddir, sizeof(ddir), "%s/debug", dir);
	o.debug_dirs[0] = ddir;
	d = debuginfo__new(&o);
	ASSERT(d);
	return d;
}

TEST(debuginfo_build_id_path_layout)
{
	struct debuginfo_module m;
	enum ls_debug_source src;
	struct debuginfo_stats st;
	struct debuginfo *d;
	char where[512];
	const char *want;
	int fd;

	make_dir();
	describe_self(&m);
	want = build_id_path(&m);
	copy_self(want);
	d = new_ctx();
	fd = debuginfo__find(d, &m, &src, where, sizeof(where));
	ASSERT(fd >= 0);
	close(fd);
	ASSERT_EQ(src, LS_DEBUG_BUILD_ID);
	if (strcmp(where, want))
		LS_FAIL("where: %s, want %s", where, want);
	/* cached: found again with the file gone, and the file system not asked */
	ASSERT(unlink(want) == 0);
	fd = debuginfo__find(d, &m, &src, NULL, 0);
	ASSERT(fd >= 0);
	close(fd);
	debuginfo__stats(d, &st);
	ASSERT_U64_EQ(st.lookups, 2);
	ASSERT_U64_EQ(st.found[LS_DEBUG_BUILD_ID], 1);
	ASSERT_U64_EQ(st.debuginfod_queries, 0);
	debuginfo__free(d);
}

TEST(debuginfo_wrong_build_id_refused)
{
	struct debuginfo_module m;
	enum ls_debug_source src;
	struct debuginfo_stats st;
	struct debuginfo *d;

	make_dir();
	describe_self(&m);
	/* another ELF file (another build-id) at this build-id's path */
	run("cp /bin/true '%s'%s", build_id_path(&m), "");
	d = new_ctx();
	ASSERT_EQ(debuginfo__find(d, &m, &src, NULL, 0), -ENOENT);
	ASSERT_EQ(src, LS_DEBUG_NONE);
	debuginfo__stats(d, &st);
	ASSERT_U64_EQ(st.refused_build_id, 1);
	ASSERT_U64_EQ(st.found[LS_DEBUG_NONE], 1);
	debuginfo__free(d);
}

/* A module without a build-id whose debuglink names "mod.debug" beside it. */
static void debuglink_module(struct debuginfo_module *m, uint32_t crc)
{
	static char path[256];

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "%s/lib/mod.so", dir);
	snprintf(m->debuglink, sizeof(m->debuglink), "mod.debug");
	m->debuglink_crc = crc;
	m->path = path;
	m->root_fd = -1;
}

static uint32_t crc_of(const char *path)
{
	unsigned char buf[65536];
	uLong c = crc32(0, NULL, 0);
	ssize_t n;
	int fd = open(path, O_RDONLY);

	ASSERT(fd >= 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		c = crc32(c, buf, (uInt)n);
	close(fd);
	return (uint32_t)c;
}

TEST(debuginfo_debuglink_crc_checked)
{
	struct debuginfo_module m;
	enum ls_debug_source src;
	struct debuginfo_stats st;
	struct debuginfo *d;
	char where[512], dbg[256];
	int fd;

	make_dir();
	snprintf(dbg, sizeof(dbg), "%s/lib/.debug/mod.debug", dir);
	run("mkdir -p '%s/lib/.debug' && cp /bin/true '%s'", dir, dbg);
	/* the right CRC: found in .debug/ beside the module */
	debuglink_module(&m, crc_of(dbg));
	d = new_ctx();
	fd = debuginfo__find(d, &m, &src, where, sizeof(where));
	ASSERT(fd >= 0);
	close(fd);
	ASSERT_EQ(src, LS_DEBUG_DEBUGLINK);
	ASSERT(!strcmp(where, dbg));
	debuginfo__free(d);
	/* another CRC: refused, and counted */
	debuglink_module(&m, crc_of(dbg) ^ 1);
	d = new_ctx();
	ASSERT_EQ(debuginfo__find(d, &m, &src, NULL, 0), -ENOENT);
	debuginfo__stats(d, &st);
	ASSERT_U64_EQ(st.refused_crc, 1);
	debuginfo__free(d);
}

TEST(debuginfo_planted_link_and_fifo_refused)
{
	struct debuginfo_module m;
	enum ls_debug_source src;
	struct debuginfo_stats st;
	struct debuginfo *d;
	char dbg[256];

	make_dir();
	describe_self(&m);
	/* a link to the right file: still refused (root follows no planted link) */
	ASSERT(symlink("/proc/self/exe", build_id_path(&m)) == 0);
	d = new_ctx();
	ASSERT_EQ(debuginfo__find(d, &m, &src, NULL, 0), -ENOENT);
	debuginfo__stats(d, &st);
	ASSERT_U64_EQ(st.refused_file, 1);
	debuginfo__free(d);
	/* a FIFO as the debuglink file: refused without waiting for a writer */
	snprintf(dbg, sizeof(dbg), "%s/lib", dir);
	ASSERT(mkdir(dbg, 0700) == 0);
	snprintf(dbg, sizeof(dbg), "%s/lib/mod.debug", dir);
	ASSERT(mkfifo(dbg, 0600) == 0);
	debuglink_module(&m, 0);
	d = new_ctx();
	ASSERT_EQ(debuginfo__find(d, &m, &src, NULL, 0), -ENOENT);
	debuginfo__stats(d, &st);
	ASSERT_U64_EQ(st.refused_file, 1);
	debuginfo__free(d);
}

TEST(debuginfo_nothing_to_look_up)
{
	struct debuginfo_module m = { .root_fd = -1 };
	enum ls_debug_source src;
	struct debuginfo *d = debuginfo__new(NULL);

	ASSERT(d);
	src = LS_DEBUG_DEBUGINFOD;
	ASSERT_EQ(debuginfo__find(d, &m, &src, NULL, 0), -ENOENT);
	ASSERT_EQ(src, LS_DEBUG_NONE);
	ASSERT_EQ(debuginfo__find(NULL, &m, &src, NULL, 0), -EINVAL);
	ASSERT(!strcmp(ls_debug_source_name(LS_DEBUG_DEBUGINFOD), "debuginfod"));
	debuginfo__free(d);
	debuginfo__free(NULL);
}

/* Unnamed frames: module+0xaddr, never the absolute address when a mapping is known. */
TEST(frame_label_is_module_plus_offset)
{
	struct ls_frame_info fi = { .ip = 0x55bf4a9434fe, .mapping = "/usr/bin/redis-server",
				    .map_start = 0x55bf4a800000, .map_end = 0x55bf4aa00000,
				    .rel_pc = 0x1434fe, .kind = LS_FRAME_NATIVE };
	char buf[128];

	ASSERT(!strcmp(ls_frame_label(&fi, buf, sizeof(buf)), "redis-server+0x1434fe"));
	fi.mapping = "[vdso]";
	ASSERT(!strcmp(ls_frame_label(&fi, buf, sizeof(buf)), "[vdso]+0x1434fe"));
	fi.function = "evalGenericCommand";
	ASSERT(!strcmp(ls_frame_label(&fi, buf, sizeof(buf)), "evalGenericCommand"));
	memset(&fi, 0, sizeof(fi));
	fi.ip = 0x1234;		/* in no mapping: the address is all there is */
	ASSERT(!strcmp(ls_frame_label(&fi, buf, sizeof(buf)), "0x1234"));
}
