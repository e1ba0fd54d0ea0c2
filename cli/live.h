/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the live commands (top, agent) share: symbols read from the files
 * and local debug files only (nothing on the live path waits on a
 * network: no debuginfod), and each followed process set up with its
 * symbolizer and libuv's probes.
 */
#ifndef LS_CLI_LIVE_H
#define LS_CLI_LIVE_H

#include <sys/types.h>

struct debuginfo;
struct proc_syms;
struct session;

/* A symbolizer per process over local debug files, into *dbg; NULL when out of memory. */
struct proc_syms *live_syms_open(struct debuginfo **dbg);
void live_syms_close(struct proc_syms *syms, struct debuginfo *dbg);
/* pid's symbols while it lives (syms may be NULL), and its libuv probes (missing libuv is fine). */
void live_setup_process(struct session *s, struct proc_syms *syms, pid_t pid);

#endif
