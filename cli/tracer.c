/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collector/record.h"
#include "loopscope.skel.h"
#include "tracer.h"

struct tracer {
	struct tracer_opts opts;
	struct loopscope_bpf *skel;
	struct ring_buffer *rb;
	struct uvprobes uv;
};

static int verbosity;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if ((level == LIBBPF_WARN && verbosity < 1) || (level == LIBBPF_DEBUG && verbosity < 2) ||
	    (level == LIBBPF_INFO && verbosity < 2))
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* uprobe_multi links need the programs loaded with that attach type. */
static void set_uprobe_multi(struct loopscope_bpf *skel)
{
	struct bpf_program *progs[] = {
		skel->progs.ls_uv_phase_enter, skel->progs.ls_uv_phase_exit, skel->progs.ls_uv_submit,
		skel->progs.ls_uv_work_enter, skel->progs.ls_uv_work_exit,
		skel->progs.ls_uv_done_enter, skel->progs.ls_uv_done_exit, skel->progs.ls_uv_queue_work,
	};
	size_t i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		bpf_program__set_expected_attach_type(progs[i], 48 /* BPF_TRACE_UPROBE_MULTI */);
}

int tracer__start(struct tracer **out, const struct tracer_opts *opts)
{
	struct tracer *t;
	int err;

	verbosity = opts->verbose;
	libbpf_set_print(libbpf_print);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->opts = *opts;
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = opts->btf_path);

	t->skel = loopscope_bpf__open_opts(&oo);
	if (!t->skel) {
		err = -errno;
		goto out_free;
	}
	t->skel->rodata->targ_tgid = (__u32)opts->pid;
	if (uvprobes__multi_supported())
		set_uprobe_multi(t->skel);
	err = loopscope_bpf__load(t->skel);
	if (err)
		goto out_free;
	err = loopscope_bpf__attach(t->skel);
	if (err)
		goto out_free;
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events),
				 (ring_buffer_sample_fn)opts->on_record, opts->ctx, NULL);
	if (!t->rb) {
		err = -errno;
		goto out_free;
	}
	*out = t;
	return 0;
out_free:
	tracer__free(t);
	return err < 0 ? err : -EINVAL;
}

int tracer__poll(struct tracer *t, int timeout_ms)
{
	int n = ring_buffer__poll(t->rb, timeout_ms);

	if (n == -EINTR)
		n = 0;
	if (n < 0)
		return n;
	/* records submitted without a wakeup do not make epoll ready: take them too */
	return ring_buffer__consume(t->rb);
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int report_open_calls(struct tracer *t)
{
	int fd = bpf_map__fd(t->skel->maps.inflight);
	__u32 key, next, *prev = NULL;
	uint64_t now = boottime_ns();
	struct ls_inflight v;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v) || !v.active || v.ts > now)
			continue;
		struct ls_rec_syscall r = {
			.type = LS_REC_SYSCALL, .flags = LS_SYSF_OPEN, .pid = (__u32)t->opts.pid,
			.tid = key, .ts = v.ts, .dur = now - v.ts, .arg = v.arg, .fd = v.fd,
			.sys = v.sys, .fd_kind = v.fd_kind,
		};
		t->opts.on_record(t->opts.ctx, &r, sizeof(r));
	}
	return 0;
}

int tracer__attach_libuv(struct tracer *t, const struct uvprobes **out)
{
	int err = uvprobes__attach(&t->uv, t->skel, t->opts.pid);

	*out = &t->uv;
	return err;
}

int tracer__stop(struct tracer *t)
{
	int err;

	uvprobes__detach(&t->uv);
	loopscope_bpf__detach(t->skel);
	err = ring_buffer__consume(t->rb);
	if (err < 0)
		return err;
	return report_open_calls(t);
}

void tracer__stats(const struct tracer *t, struct ls_stats *st)
{
	/* .bss is mmap'ed: these are the kernel's counters, read live */
	memcpy(st, (const void *)&t->skel->bss->stats, sizeof(*st));
}

void tracer__free(struct tracer *t)
{
	if (!t)
		return;
	uvprobes__detach(&t->uv);
	ring_buffer__free(t->rb);
	loopscope_bpf__destroy(t->skel);
	free(t);
}
