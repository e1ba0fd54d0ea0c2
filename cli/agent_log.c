/* SPDX-License-Identifier: BSD-2-Clause */
/* The agent's stall log (agent_log.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "agent_log.h"
#include "cli_util.h"
#include "output.h"

/* A line-buffered stream on path, or NULL with *err set. */
static FILE *open_stream(const char *path, int *err)
{
	struct output out;
	FILE *f;

	*err = output__open_append(&out, path);
	if (*err)
		return NULL;
	f = fdopen(out.fd, "a");
	if (!f) {
		*err = -errno;
		output__abort(&out);
		return NULL;
	}
	out.fd = -1;		/* the stream owns it now */
	output__abort(&out);	/* only the directory is left to close */
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

int agent_log_open(struct agent_log *l, const char *path, unsigned rate)
{
	int err;

	memset(l, 0, sizeof(*l));
	l->path = path;
	l->rate = rate;
	l->f = open_stream(path, &err);
	if (l->f)
		return 0;
	fprintf(stderr, "loopscope agent: cannot write the stall log %s: %s\n", path, output__strerror(err));
	return cli_write_exit(err);
}

void agent_log_reopen(struct agent_log *l)
{
	FILE *f;
	int err;

	if (!l->f || !strcmp(l->path, "-"))
		return;
	f = open_stream(l->path, &err);
	if (!f) {
		fprintf(stderr, "loopscope agent: SIGHUP: cannot reopen %s: %s (still writing the old file)\n",
			l->path, output__strerror(err));
		return;
	}
	fclose(l->f);
	l->f = f;
	fprintf(stderr, "loopscope agent: SIGHUP: reopened %s\n", l->path);
}

bool agent_log_admit(struct agent_log *l, uint64_t second)
{
	if (!l->f)
		return false;
	if (second != l->second) {
		l->second = second;
		l->lines = 0;
	}
	if (l->lines >= l->rate) {
		l->dropped++;
		return false;
	}
	l->lines++;
	return true;
}

FILE *agent_log_stream(struct agent_log *l)
{
	return l->f;
}

void agent_log_done(struct agent_log *l, int err)
{
	if (err) {
		l->failed++;
		clearerr(l->f);
	}
}

void agent_log_close(struct agent_log *l)
{
	if (l->f)
		fclose(l->f);
	l->f = NULL;
}
