/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A scratch directory for the unit tests that need files: made under /tmp,
 * removed when the test's child process exits (each test runs in its own).
 * One per test file: dir names it.
 */
#ifndef LS_TEST_SCRATCH_DIR_H
#define LS_TEST_SCRATCH_DIR_H

#include <stdio.h>
#include <stdlib.h>
#include "../harness.h"

static char dir[64];

static void remove_dir(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "# could not remove %s\n", dir);
}

/* prefix: /tmp/NAME-XXXXXX, at most 40 bytes */
static void make_scratch_dir(const char *prefix)
{
	snprintf(dir, sizeof(dir), "%s", prefix);
	ASSERT(mkdtemp(dir));
	atexit(remove_dir);
}

#endif
