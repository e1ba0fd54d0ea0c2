/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The thread pool of a stripped libuv (Debian's libuv.so.1 under node 18 or
 * a C program): uv__queue_work and uv__queue_done are hidden, so items
 * were seen submitted and never run. The callbacks uv_queue_work was
 * given are the same two steps one call further in: work_cb(req) on a
 * worker, after_work_cb(req, status) on the loop. Their addresses come
 * with each submit (ls_rec_uv_work.work_fn, done_fn); the first submit of
 * a pair gets them probed, in whatever file maps them (node 18: libnode.so).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "collector/record.h"
#include "collector/safe_open.h"
#include "loopscope.skel.h"
#include "uvprobes.h"
#include "uvprobes_int.h"

/* The mapping of pid holding addr, or NULL. */
static const struct mapping *mapping_of(const struct mapping *maps, size_t n, uint64_t addr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (addr >= maps[i].start && addr < maps[i].end)
			return &maps[i];
	return NULL;
}

/* One program at addr, a function entry in pid; its return probe as well when ret is given. */
static int attach_at(struct uvprobes *u, pid_t pid, const struct mapping *maps, size_t nmaps,
		     int root_fd, uint64_t addr, struct bpf_program *entry, struct bpf_program *ret)
{
	const struct mapping *m = mapping_of(maps, nmaps, addr);
	struct probe_group g = { .n = 1, .cookies = { LS_WORK_WORK } };
	char fpath[64];
	int fd, err;

	if (!m)
		return -ENOENT;
	g.offsets[0] = addr - m->start + m->pgoff;
	fd = ls_open_mapped(pid, root_fd, m->path, m->start, m->end, m->ino, LS_MAPPED_FILE_MAX);
	if (fd < 0)
		return fd;
	/* the probes go on the inode fd holds, the checked one, not a path looked up again */
	snprintf(fpath, sizeof(fpath), "/proc/self/fd/%d", fd);
	err = uvp_attach_group(u, entry, pid, fpath, &g, false);
	if (!err)
		err = uvp_attach_group(u, ret, pid, fpath, &g, true);
	close(fd);
	return err;
}

static bool probed(const struct uvprobes *u, uint64_t work_fn, uint64_t done_fn)
{
	unsigned i;

	for (i = 0; i < u->ncallbacks; i++)
		if (u->callbacks[i][0] == work_fn && u->callbacks[i][1] == done_fn)
			return true;
	return false;
}

int uvprobes__attach_callbacks(struct uvprobes *u, struct loopscope_bpf *skel, pid_t pid,
			       uint64_t work_fn, uint64_t done_fn)
{
	struct mapping *maps = NULL;
	size_t nmaps = 0;
	char root[64];
	int err, root_fd;

	if (!u->found || u->nwork_fns || !work_fn || !done_fn || probed(u, work_fn, done_fn))
		return 0;
	if (u->ncallbacks == LS_UV_MAX_CALLBACKS) {
		u->callbacks_full++;
		return 0;
	}
	/* tried once, whatever happens: a pair that fails is not retried on every submit */
	u->callbacks[u->ncallbacks][0] = work_fn;
	u->callbacks[u->ncallbacks][1] = done_fn;
	u->ncallbacks++;
	err = uvp_read_exec_mappings(pid, &maps, &nmaps);
	if (err)
		return err;
	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	err = attach_at(u, pid, maps, nmaps, root_fd, work_fn, skel->progs.ls_uv_req_work_enter,
			skel->progs.ls_uv_work_exit);
	if (!err)
		err = attach_at(u, pid, maps, nmaps, root_fd, done_fn, skel->progs.ls_uv_req_done_enter,
				skel->progs.ls_uv_done_exit);
	if (!err)
		u->nwork += 4;
	free(maps);
	if (root_fd >= 0)
		close(root_fd);
	return err ? err : 1;
}
