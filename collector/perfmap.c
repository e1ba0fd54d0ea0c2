/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Incremental perf-map reader; see perfmap.h.
 *
 * The file is untrusted input of unbounded size: lines are parsed from a
 * fixed buffer, a line longer than the buffer is skipped and counted, a
 * last line without its newline is left for the next update (the runtime
 * may be in the middle of writing it), and entries beyond max_entries are
 * counted instead of kept.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "perfmap.h"

#define PM_BUF		(64u << 10)
#define PM_DEF_MAX	(4u << 20)
#define PM_DEF_MAX_BYTES (64ull << 20)

int ls_perfmap__init(struct ls_perfmap *pm, const char *path, const struct ls_open_rules *rules,
		     size_t max_entries, uint64_t max_bytes)
{
	memset(pm, 0, sizeof(*pm));
	pm->syms.keep_all = true;	/* a JIT's older lines stay: which function was there, for checks */
	pm->path = strdup(path);
	pm->rules = rules ? *rules : ls_open_rules_default();
	pm->max_entries = max_entries ? max_entries : PM_DEF_MAX;
	pm->max_bytes = max_bytes ? max_bytes : PM_DEF_MAX_BYTES;
	return pm->path ? 0 : -ENOMEM;
}

/* Parses "START SIZE name"; 1 when added, 0 when the line is garbage, or -errno. */
static int parse_line(struct ls_perfmap *pm, char *line, size_t len)
{
	char *end, *name;
	uint64_t start, size;
	size_t nlen;

	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	start = strtoull(line, &end, 16);
	if (end == line || *end != ' ')
		return 0;
	name = end + 1;
	size = strtoull(name, &end, 16);
	if (end == name || *end != ' ' || !size || start + size < start)
		return 0;
	name = end + 1;
	nlen = len - (size_t)(name - line);
	if (!nlen || memchr(name, '\0', nlen))
		return 0;
	if (pm->syms.n >= pm->max_entries) {
		pm->dropped++;
		return 1;
	}
	/* Newest first at one address: the runtime reused that code space. */
	return symtab__add(&pm->syms, start, size, name, nlen, UINT32_MAX - pm->seq++) ?: 1;
}

/* Consumes the whole lines in buf[0..have); returns the bytes consumed or -errno. */
static ssize_t parse_lines(struct ls_perfmap *pm, char *buf, size_t have)
{
	char *p = buf, *nl;
	int r;

	while ((nl = memchr(p, '\n', have - (size_t)(p - buf)))) {
		*nl = '\0';
		if (pm->skipping) {
			pm->skipping = false;
		} else {
			r = parse_line(pm, p, (size_t)(nl - p));
			if (r < 0)
				return r;
			if (r)
				pm->entries++;
			else
				pm->bad_lines++;
		}
		p = nl + 1;
	}
	return p - buf;
}

/*
 * Up to max_bytes into the file, whatever its size says: a sparse or
 * ever-growing map costs bounded time and memory.
 */
static int read_from(struct ls_perfmap *pm, int fd)
{
	char *buf = malloc(PM_BUF);
	size_t have = 0, want;
	ssize_t n, used;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		want = PM_BUF - have;
		if ((uint64_t)pm->off + have >= pm->max_bytes) {
			pm->capped = true;
			break;
		}
		if ((uint64_t)pm->off + have + want > pm->max_bytes)
			want = (size_t)(pm->max_bytes - (uint64_t)pm->off - have);
		n = ls_read_bounded(fd, buf + have, want, pm->off + (off_t)have, NULL);
		if (n <= 0) {
			err = n < 0 ? (int)n : 0;
			break;
		}
		have += (size_t)n;
		used = parse_lines(pm, buf, have);
		if (used < 0) {
			err = (int)used;
			break;
		}
		pm->off += used;
		have -= (size_t)used;
		memmove(buf, buf + used, have);
		if (have == PM_BUF) {	/* no newline in a whole buffer */
			if (!pm->skipping)
				pm->bad_lines++;
			pm->skipping = true;
			pm->off += (off_t)have;
			have = 0;
		}
	}
	free(buf);
	return err;
}

int ls_perfmap__update(struct ls_perfmap *pm)
{
	struct stat st;
	int fd, err;

	fd = ls_open_untrusted(pm->path, &pm->rules, &st);
	if (fd < 0) {
		if (fd != -ENOENT && fd != -ESRCH)
			pm->refused = fd;
		return fd;
	}
	pm->found = true;
	if (st.st_ino != pm->ino || st.st_size < pm->off) {
		/* A new file (a new process with a reused pid): start over, keeping old names alive. */
		pm->syms.n = pm->syms.sorted = 0;
		pm->off = 0;
		pm->skipping = false;
		pm->capped = false;
		pm->ino = st.st_ino;
	}
	if (st.st_size == pm->off || pm->capped) {
		err = 0;
		goto out;
	}
	err = read_from(pm, fd);
	symtab__sort(&pm->syms);
out:
	close(fd);
	return err;
}

void ls_perfmap__free(struct ls_perfmap *pm)
{
	if (!pm)
		return;
	symtab__free(&pm->syms);
	free(pm->path);
	pm->path = NULL;
}
