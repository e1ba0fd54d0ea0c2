/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The agent's stall log: JSON lines appended to standard output or a file
 * (opened as output__open_append() does: safe as root in a directory
 * others write to), reopened by path on SIGHUP for log rotation, at most
 * `rate` lines a second, the rest counted.
 */
#ifndef LS_CLI_AGENT_LOG_H
#define LS_CLI_AGENT_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct agent_log {
	const char *path;	/* "-": standard output */
	FILE *f;
	unsigned rate;		/* lines per second at most */
	uint64_t second;	/* the second of the last lines */
	unsigned lines;		/* lines written in it */
	uint64_t dropped;	/* stalls not logged: over the rate */
	uint64_t failed;	/* lines a write lost (a full disk) */
};

/* 0, or the exit code with one line said. */
int agent_log_open(struct agent_log *l, const char *path, unsigned rate);
/* The file again by its path (rotated away): the old one kept if that fails, said in one line. */
void agent_log_reopen(struct agent_log *l);
/* A line may go out in this second (CLOCK_BOOTTIME s); else it is counted as dropped. */
bool agent_log_admit(struct agent_log *l, uint64_t second);
/* The stream to write an admitted line to; agent_log_done() after it. */
FILE *agent_log_stream(struct agent_log *l);
void agent_log_done(struct agent_log *l, int err);
void agent_log_close(struct agent_log *l);

#endif
