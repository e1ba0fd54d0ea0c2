/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Finds libuv inside a target (statically in node or a C program, or as
 * libuv.so), resolves its internal functions with libelf and attaches the
 * uvloop BPF programs to them. What is missing is reported, never fatal.
 */
#ifndef LS_UVPROBES_H
#define LS_UVPROBES_H

#include <stdbool.h>
#include <sys/types.h>

struct loopscope_bpf;
struct debuginfo;
struct bpf_link;

#define LS_UV_MAX_LINKS 64

struct uvprobes {
	bool found;			/* a mapped file exports uv_run */
	char path[4096];		/* that file, as the target maps it */
	unsigned version;		/* UV_VERSION_HEX (0x012e00 = 1.46.0), 0 unknown */
	unsigned nphases;		/* phase functions attached */
	unsigned nwork;			/* pool functions attached */
	bool v8_overflow;		/* node: V8's stack-overflow function probed */
	bool js_callbacks;		/* node: InternalMakeCallback probed */
	char missing[512];		/* names not found, space-separated */
	char symbols[4300];		/* where hidden names came from ("from PATH (build-id dir)"), "" = its .symtab */
	int nlinks;			/* perf-event uprobes (kernels before 6.6) */
	struct bpf_link *links[LS_UV_MAX_LINKS];
	int nlink_fds;			/* uprobe_multi links, one per program */
	int link_fds[8];
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

#endif
