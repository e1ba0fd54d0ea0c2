/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Folded-stack aggregation and output; see folded.h.
 *
 * A stack is reduced to its output line (without the count) and that line
 * is the hash key, so aggregation and sanitising happen once per add.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "collector/table.h"
#include "folded.h"
#include "text_escape.h"

struct fold_entry {
	char *line;
	uint64_t count;
};

struct folded {
	struct folded_opts opts;
	struct ls_table lines;	/* of struct fold_entry, keyed by the line */
	char *buf;		/* the line being built */
	size_t len, cap;
};

static int buf_put(struct folded *f, const char *s, size_t len)
{
	if (f->len + len + 1 > f->cap) {
		size_t cap = f->cap ? f->cap : 256;
		char *b;

		while (cap < f->len + len + 1)
			cap *= 2;
		b = realloc(f->buf, cap);
		if (!b)
			return -ENOMEM;
		f->buf = b;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, s, len);
	f->len += len;
	f->buf[f->len] = '\0';
	return 0;
}

/* Appends one frame name, escaped for the format (text_escape.h): one frame, one line. */
static int put_esc(struct folded *f, const char *s)
{
	char step[LS_ESC_STEP_MAX];
	size_t n = strlen(s), used, len;
	int err = 0;

	while (n && !err) {
		used = ls_esc_step(LS_ESC_FOLDED, s, n, step, &len);
		err = buf_put(f, step, len);
		s += used;
		n -= used;
	}
	return err;
}

static int put_frame(struct folded *f, const char *name, const char *suffix)
{
	int err = 0;

	if (f->len)
		err = buf_put(f, ";", 1);
	if (!name || !*name)
		name = "[unknown]";
	if (!err)
		err = put_esc(f, name);
	if (!err && suffix)
		err = put_esc(f, suffix);
	return err;
}

static bool line_eq(const void *entry, const void *key)
{
	return !strcmp(((const struct fold_entry *)entry)->line, key);
}

/* Adds count to the line now in f->buf. */
static int commit_line(struct folded *f, uint64_t count)
{
	bool created;
	struct fold_entry *e = ls_table_insert(&f->lines, ls_hash_str(f->buf), f->buf, &created);

	if (!e)
		return -ENOMEM;
	if (created) {
		e->line = strdup(f->buf);
		if (!e->line) {
			ls_table_remove(&f->lines, e);
			return -ENOMEM;
		}
	}
	e->count += count;
	return 0;
}

int folded__add(struct folded *f, const char *const *names, size_t n, uint64_t count)
{
	size_t i;
	int err = 0;

	if (!n)
		return -EINVAL;
	f->len = 0;
	for (i = 0; i < n && !err; i++)
		err = put_frame(f, names[i], NULL);
	return err ? err : commit_line(f, count);
}

/* "[libc.so.6]" for an unnamed frame in a known file: better than nothing. */
static int put_unnamed(struct folded *f, const struct ls_frame_info *fi, const char *suffix)
{
	const char *base = fi->mapping ? strrchr(fi->mapping, '/') : NULL;
	char label[256];

	if (!fi->mapping || fi->mapping[0] == '[')
		return put_frame(f, fi->mapping ? fi->mapping : NULL, suffix);
	snprintf(label, sizeof(label), "[%s]", base ? base + 1 : fi->mapping);
	return put_frame(f, label, suffix);
}

int folded__add_frames(struct folded *f, const char *prefix, const struct ls_frame_info *frames,
		       size_t n, uint64_t count)
{
	const char *suffix;
	size_t i;
	int err = 0;

	if (!n)
		return -EINVAL;
	f->len = 0;
	if (prefix && *prefix)	/* already ';'-joined by the caller, each frame escaped */
		err = buf_put(f, prefix, strlen(prefix));
	for (i = n; i-- > 0 && !err;) {
		const struct ls_frame_info *fi = &frames[i];

		suffix = !f->opts.annotate ? NULL : fi->kind == LS_FRAME_KERNEL ? "_[k]" :
			 fi->kind == LS_FRAME_JIT ? "_[j]" : NULL;
		err = fi->function ? put_frame(f, fi->function, suffix) : put_unnamed(f, fi, suffix);
	}
	return err ? err : commit_line(f, count);
}

static int cmp_line(const void *a, const void *b)
{
	const struct fold_entry *const *x = a, *const *y = b;

	return strcmp((*x)->line, (*y)->line);
}

int folded__write(const struct folded *f, FILE *out)
{
	size_t n = ls_table_count(&f->lines), i, k = 0;
	struct fold_entry **v = n ? malloc(n * sizeof(*v)) : NULL;

	if (n && !v)
		return -ENOMEM;
	for (i = 0; i < ls_table_cap(&f->lines); i++) {
		struct fold_entry *e = ls_table_slot(&f->lines, i);

		if (e)
			v[k++] = e;
	}
	if (k)
		qsort(v, k, sizeof(*v), cmp_line);
	errno = 0;	/* what a failed write leaves, ENOSPC say, is the error to report */
	for (i = 0; i < k; i++)
		fprintf(out, "%s %llu\n", v[i]->line, (unsigned long long)v[i]->count);
	free(v);
	if (!fflush(out) && !ferror(out))
		return 0;
	return errno ? -errno : -EIO;
}

size_t folded__stacks(const struct folded *f)
{
	return ls_table_count(&f->lines);
}

struct folded *folded__new(const struct folded_opts *opts)
{
	struct folded *f = calloc(1, sizeof(*f));

	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	if (opts)
		f->opts = *opts;
	ls_table_init(&f->lines, sizeof(struct fold_entry), 128, SIZE_MAX, line_eq);
	return f;
}

void folded__free(struct folded *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < ls_table_cap(&f->lines); i++) {
		struct fold_entry *e = ls_table_slot(&f->lines, i);

		if (e)
			free(e->line);
	}
	ls_table_free(&f->lines);
	free(f->buf);
	free(f);
}
