/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Synthetic streams of several processes for the unit tests: process
 * records, thread records, loops with an optional stall, and the fixture
 * of two processes (an nginx master and its worker with two loops).
 */
#ifndef LS_TEST_PROCS_STREAM_H
#define LS_TEST_PROCS_STREAM_H

#include <stdbool.h>
#include <stdint.h>
#include "collector/correlator.h"

#define PS_MS		1000000ull
#define PS_T0		(1000 * PS_MS)
#define PS_PID_A	101	/* "nginx: master process", ppid 1, loop 101 (stalls) */
#define PS_PID_B	102	/* "nginx: worker process", ppid 101, loops 102 (stalls), 104 "nginx-aux" */
#define PS_STACK	1	/* the user stack both stalls sampled: ips 0x1000, 0x2000 */

/* A process record; cmdline NULL = none. Fails the test if rejected. */
void ps_push_proc(struct correlator *c, uint32_t event, uint32_t pid, uint32_t ppid,
		  const char *comm, const char *cmdline, uint64_t ts);
/* The same, returning correlator__push()'s result. */
int ps_push_proc_raw(struct correlator *c, uint32_t event, uint32_t pid, uint32_t ppid,
		     uint32_t cmdline_len);
void ps_push_thread(struct correlator *c, uint32_t pid, uint32_t tid, const char *comm,
		    uint32_t type);
/* n iterations of 1 ms busy, 1 ms wait from t0. */
void ps_loop(struct correlator *c, uint32_t pid, uint32_t tid, uint64_t t0, unsigned n);
/* The same, the first busy part a 60 ms stall with one sample on PS_STACK. */
void ps_loop_stall(struct correlator *c, uint32_t pid, uint32_t tid, uint64_t t0, unsigned n);
void ps_two_processes(struct correlator *c);

#endif
