/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The paths of regular-file fds (LS_REC_FD_PATH, made by cli/fd_paths.c),
 * by (pid, fd, ino, dev): a call names its file only when all four match,
 * so a reused fd number, or a path record for another file, never lends
 * a call a wrong path. Bounded: past LS_MAX_FD_PATHS a new path is not
 * kept (its calls are counted by fd) and counted in fd_paths_unkept.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "correlator.h"
#include "record.h"

#include "correlator_int.h"
#include "file_io.h"

#define LS_MAX_FD_PATHS		1024

struct fdp_key {		/* no padding: compared with memcmp */
	uint64_t ino;
	uint32_t pid;
	int32_t fd;
	uint32_t dev;
	uint32_t zero;
};

struct fdp_entry {
	struct fdp_key key;
	bool perf_map;
	struct ls_rec_fd_path rec;
};

struct fdp_run {
	struct ls_table paths;	/* struct fdp_entry, inline: no pointer outlives a call */
};

static bool entry_is(const void *entry, const void *key)
{
	return !memcmp(&((const struct fdp_entry *)entry)->key, key, sizeof(struct fdp_key));
}

static uint64_t key_hash(const struct fdp_key *k)
{
	return ls_hash_u64(((uint64_t)k->pid << 32 | (uint32_t)k->fd) ^ k->ino * 0x9e3779b97f4a7c15ull ^ k->dev);
}

int fdp_path_rec(struct correlator *c, const void *rec)
{
	const struct ls_rec_fd_path *r = rec;
	struct fdp_key key = { .pid = r->pid, .fd = r->fd, .dev = r->dev, .ino = r->ino };
	struct fdp_entry *e;
	bool created;

	if (!r->pid || r->fd < 0 || !r->ino || !r->len || r->len > LS_FD_PATH_MAX ||
	    memchr(r->path, 0, r->len))
		return -EINVAL;
	if (!c->fdp) {
		c->fdp = calloc(1, sizeof(*c->fdp));
		if (!c->fdp)
			return -ENOMEM;
		ls_table_init(&c->fdp->paths, sizeof(struct fdp_entry), 16, LS_MAX_FD_PATHS, entry_is);
	}
	e = ls_table_insert(&c->fdp->paths, key_hash(&key), &key, &created);
	if (!e) {
		c->summary.fd_paths_unkept++;
		return 0;
	}
	e->key = key;
	e->rec = *r;
	e->perf_map = !(r->flags & LS_FDP_CUT) && ls_path_is_perf_map(r->path, r->len);
	return 0;
}

const struct ls_rec_fd_path *fdp_find(const struct correlator *c, const struct ls_rec_syscall *r,
				      bool *perf_map)
{
	struct fdp_key key = { .pid = r->pid, .fd = r->fd, .dev = r->dev, .ino = r->ino };
	const struct fdp_entry *e;

	*perf_map = false;
	if (!c->fdp || !r->ino)
		return NULL;
	e = ls_table_find(&c->fdp->paths, key_hash(&key), &key);
	if (!e)
		return NULL;
	*perf_map = e->perf_map;
	return &e->rec;
}

void fdp_free(struct correlator *c)
{
	if (!c->fdp)
		return;
	ls_table_free(&c->fdp->paths);
	free(c->fdp);
	c->fdp = NULL;
}
