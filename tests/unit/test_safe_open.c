/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * safe_open: the rules for files a target controls, on files made here:
 * links (last component and on the way), FIFOs that would block, owners,
 * size caps, resolution inside a root, and bounded reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../harness.h"
#include "scratch_dir.h"
#include "collector/safe_open.h"

static void make_dir(void)
{
	make_scratch_dir("/tmp/ls-safe-XXXXXX");
}

static const char *at(const char *name)
{
	static char paths[4][256];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

static void put(const char *name, const char *text)
{
	int fd = open(at(name), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ASSERT(fd >= 0);
	ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int try_open(const char *path, const struct ls_open_rules *r)
{
	int fd = ls_open_untrusted(path, r, NULL);

	if (fd >= 0)
		close(fd);
	return fd >= 0 ? 0 : fd;
}

TEST(safe_open_refuses_links_fifos_and_directories)
{
	make_dir();
	put("file", "hello\n");
	ASSERT_EQ(symlink(at("file"), at("link")), 0);
	ASSERT_EQ(mkdir(at("sub"), 0700), 0);
	put("sub/inner", "x");
	ASSERT_EQ(symlink(at("sub"), at("dirlink")), 0);
	ASSERT_EQ(mkfifo(at("fifo"), 0600), 0);

	ASSERT_EQ(try_open(at("file"), NULL), 0);
	ASSERT_EQ(try_open(at("link"), NULL), -ELOOP);
	ASSERT_EQ(try_open(at("dirlink/inner"), NULL), -ELOOP);	/* a link on the way */
	ASSERT_EQ(try_open(at("fifo"), NULL), -ENXIO);		/* and it did not block */
	ASSERT_EQ(try_open(at("sub"), NULL), -ENXIO);
	ASSERT_EQ(try_open("/dev/null", NULL), -ENXIO);
	ASSERT_EQ(try_open(at("missing"), NULL), -ENOENT);
	ASSERT_EQ(try_open("", NULL), -ENOENT);
	ASSERT(strstr(ls_refusal(-ELOOP), "symbolic link"));
	ASSERT(strstr(ls_refusal(-ENXIO), "not a regular file"));
}

TEST(safe_open_owner_and_size_cap)
{
	struct ls_open_rules r = ls_open_rules_default();
	struct stat st;
	int fd;

	make_dir();
	put("file", "0123456789");
	r.owner = getuid();
	fd = ls_open_untrusted(at("file"), &r, &st);
	ASSERT(fd >= 0);
	ASSERT_EQ(st.st_size, 10);
	ASSERT_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);	/* a plain blocking descriptor */
	close(fd);
	r.owner = getuid() + 1;
	ASSERT_EQ(try_open(at("file"), &r), -EPERM);
	r.owner = LS_ANY_OWNER;
	r.max_size = 9;
	ASSERT_EQ(try_open(at("file"), &r), -EFBIG);
	r.max_size = 10;
	ASSERT_EQ(try_open(at("file"), &r), 0);
}

TEST(safe_open_resolves_inside_a_root)
{
	struct ls_open_rules r = ls_open_rules_default();

	make_dir();
	ASSERT_EQ(mkdir(at("tmp"), 0700), 0);
	put("tmp/perf-1.map", "1000 10 f\n");
	/* an absolute link planted in the root must not escape it, nor be followed */
	ASSERT_EQ(symlink("/etc/passwd", at("tmp/perf-2.map")), 0);
	r.root_fd = open(dir, O_PATH | O_DIRECTORY);
	ASSERT(r.root_fd >= 0);
	ASSERT_EQ(try_open("/tmp/perf-1.map", &r), 0);
	ASSERT_EQ(try_open("tmp/perf-1.map", &r), 0);
	ASSERT_EQ(try_open("/../../tmp/perf-1.map", &r), 0);	/* ".." stops at the root */
	ASSERT_EQ(try_open("/tmp/perf-2.map", &r), -ELOOP);
	ASSERT_EQ(try_open("/etc/hostname", &r), -ENOENT);	/* ours, not the root's */
	close(r.root_fd);
}

TEST(safe_open_magic_links_only_when_asked)
{
	struct ls_open_rules r = ls_open_rules_default();
	char path[64];
	int fd;

	make_dir();
	put("file", "abc");
	fd = open(at("file"), O_RDONLY);
	ASSERT(fd >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ASSERT_EQ(try_open(path, &r), -ELOOP);
	r.magic_links = true;
	ASSERT_EQ(try_open(path, &r), 0);
	close(fd);
}

TEST(safe_open_small_file_and_bounded_read)
{
	volatile sig_atomic_t stop = 0;
	char *buf, small[4], status[64];
	size_t len;
	int fd;

	make_dir();
	put("cfg", "a = 1\n");
	ASSERT_EQ(ls_read_small_file(at("cfg"), NULL, 64, &buf, &len), 0);
	ASSERT_EQ(len, 6u);
	ASSERT(!strcmp(buf, "a = 1\n"));
	free(buf);
	ASSERT_EQ(ls_read_small_file(at("cfg"), NULL, 5, &buf, &len), -EFBIG);
	/* /proc files have st_size 0: read to their end, within the cap */
	snprintf(status, sizeof(status), "/proc/%d/status", (int)getpid());
	ASSERT_EQ(ls_read_small_file(status, NULL, 1 << 16, &buf, &len), 0);
	ASSERT(strstr(buf, "Uid:"));
	free(buf);
	ASSERT_EQ(ls_read_small_file(status, NULL, 16, &buf, &len), -EFBIG);
	ASSERT_EQ(ls_read_small_file("/proc/self/status", NULL, 1 << 16, &buf, &len), -ELOOP);

	fd = open(at("cfg"), O_RDONLY);
	ASSERT_EQ(ls_read_bounded(fd, small, sizeof(small), 0, &stop), 4);
	ASSERT(!memcmp(small, "a = ", 4));
	ASSERT_EQ(ls_read_bounded(fd, small, sizeof(small), 4, &stop), 2);	/* end of file */
	stop = 1;
	ASSERT_EQ(ls_read_bounded(fd, small, sizeof(small), 0, &stop), 0);
	close(fd);
}
