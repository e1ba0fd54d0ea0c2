/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Exit codes of every loopscope command: the one place they are defined.
 * README.md ("Exit codes") and `loopscope help` document the same table.
 */
#ifndef LS_EXITCODES_H
#define LS_EXITCODES_H

enum ls_exit {
	LS_EXIT_OK = 0,		/* done; the output is complete */
	LS_EXIT_FAIL = 1,	/* runtime failure not covered below */
	LS_EXIT_USAGE = 2,	/* bad or conflicting options */
	LS_EXIT_TARGET = 3,	/* no such process, not traceable, or the command failed to start */
	LS_EXIT_PERM = 4,	/* not permitted: needs root or CAP_BPF + CAP_PERFMON */
	LS_EXIT_KERNEL = 5,	/* the kernel cannot run the probes (no BTF, load or attach failed) */
	LS_EXIT_OUTPUT = 6,	/* the output could not be written (path, permission, disk full) */
};

#define LS_EXIT_CODES_HELP \
	"EXIT STATUS:\n" \
	"  0  success               1  runtime failure\n" \
	"  2  usage error           3  target: no such process / could not start\n" \
	"  4  permission (CAP_BPF, CAP_PERFMON)  5  kernel unsupported (BTF, BPF)\n" \
	"  6  output not writable or disk full\n"

#endif
