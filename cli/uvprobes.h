/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Finds libuv inside a target (statically in node or a C program, or as
 * libuv.so), resolves its internal functions with libelf and attaches the
 * uvloop BPF programs to them. What is missing is reported, never fatal.
 */
#ifndef LS_UVPROBES_H
#define LS_UVPROBES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct loopscope_bpf;
struct debuginfo;
struct bpf_link;

#define LS_UV_MAX_LINKS 64
#define LS_UV_MAX_CALLBACKS 4	/* uv_queue_work callback pairs probed per process */

struct uvprobes {
	bool found;			/* a mapped file exports uv_run */
	char path[4096];		/* that file, as the target maps it */
	unsigned version;		/* UV_VERSION_HEX (0x012e00 = 1.46.0), 0 unknown */
	unsigned nphases;		/* phase functions attached */
	unsigned nwork;			/* pool functions attached */
	unsigned nwork_fns;		/* of them libuv's own work functions (uv__queue_work...) */
	unsigned ncallbacks;		/* uv_queue_work callback pairs probed (stripped libuv) */
	uint64_t callbacks[LS_UV_MAX_CALLBACKS][2];	/* their work_cb, after_work_cb */
	unsigned callbacks_full;	/* pairs past the cap, not probed */
	bool v8_overflow;		/* node: V8's stack-overflow function probed */
	bool js_callbacks;		/* node: InternalMakeCallback probed */
	char missing[512];		/* names not found, space-separated */
	char symbols[4300];		/* where hidden names came from ("from PATH (build-id dir)"), "" = its .symtab */
	int nlinks;			/* perf-event uprobes (kernels before 6.6) */
	struct bpf_link *links[LS_UV_MAX_LINKS];
	int nlink_fds;			/* uprobe_multi links, one per program */
	int link_fds[8 + 4 * LS_UV_MAX_CALLBACKS];
};

/* Whether this kernel has uprobe_multi links: decides how programs are loaded. */
bool uvprobes__multi_supported(void);

/* 0 (also when there is no libuv: see ->found) or -errno of an attach failure. */
int uvprobes__attach(struct uvprobes *u, struct loopscope_bpf *skel, pid_t pid, bool js_callbacks);
/*
 * The same, finding the debug file of a stripped libuv through dbg (the
 * caller's, NULL = none). uvprobes__attach() uses a context of its own:
 * LS_DEBUG_DIR_DEFAULT and debuglinks, no debuginfod.
 */
int uvprobes__attach_debug(struct uvprobes *u, struct loopscope_bpf *skel, pid_t pid,
			   bool js_callbacks, struct debuginfo *dbg);
void uvprobes__detach(struct uvprobes *u);
/*
 * A libuv whose own work functions could not be probed (stripped, no debug
 * file): probes work_fn and done_fn, the callbacks a uv_queue_work submit
 * was given (uvcallbacks.c), once per pair, at most LS_UV_MAX_CALLBACKS.
 * 1 when probed now, 0 when there was nothing to do, else -errno (the pair
 * is not retried).
 */
int uvprobes__attach_callbacks(struct uvprobes *u, struct loopscope_bpf *skel, pid_t pid,
			       uint64_t work_fn, uint64_t done_fn);

#endif
