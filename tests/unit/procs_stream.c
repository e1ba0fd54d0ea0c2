/* SPDX-License-Identifier: BSD-2-Clause */
#include "../harness.h"
#include "collector/record.h"
#include "procs_stream.h"

void ps_push_proc(struct correlator *c, uint32_t event, uint32_t pid, uint32_t ppid,
		  const char *comm, const char *cmdline, uint64_t ts)
{
	struct ls_rec_proc r = { .type = LS_REC_PROC, .event = event, .pid = pid, .ppid = ppid,
				 .ts = ts };

	strncpy(r.comm, comm, sizeof(r.comm) - 1);
	if (cmdline) {
		r.cmdline_len = (uint32_t)strlen(cmdline);
		memcpy(r.cmdline, cmdline, r.cmdline_len);	/* not NUL-terminated */
	}
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
}

int ps_push_proc_raw(struct correlator *c, uint32_t event, uint32_t pid, uint32_t ppid,
		     uint32_t cmdline_len)
{
	struct ls_rec_proc r = { .type = LS_REC_PROC, .event = event, .pid = pid, .ppid = ppid,
				 .ts = 1, .cmdline_len = cmdline_len };

	return correlator__push(c, &r, sizeof(r));
}

void ps_push_thread(struct correlator *c, uint32_t pid, uint32_t tid, const char *comm,
		    uint32_t type)
{
	struct ls_rec_thread r = { .type = type, .pid = pid, .tid = tid, .ts = 1 };

	strncpy(r.comm, comm, sizeof(r.comm) - 1);
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
}

static void push_wait(struct correlator *c, uint32_t pid, uint32_t tid, uint64_t ts, uint64_t dur)
{
	struct ls_rec_syscall r = {
		.type = LS_REC_SYSCALL, .pid = pid, .tid = tid, .ts = ts, .dur = dur,
		.ret = 1, .arg = -1, .fd = 3, .sys = LS_SYS_EPOLL_WAIT, .fd_kind = LS_FD_EPOLL,
	};

	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
}

static void push_sample(struct correlator *c, uint32_t pid, uint32_t tid, uint64_t ts)
{
	struct ls_rec_sample r = {
		.type = LS_REC_SAMPLE, .pid = pid, .tid = tid, .ts = ts, .user_stack = PS_STACK,
		.kern_stack = -1, .stack_used = 4096, .stack_size = 8 << 20,
	};

	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
}

static void loop(struct correlator *c, uint32_t pid, uint32_t tid, uint64_t t0, unsigned n,
		 bool stall)
{
	uint64_t ts = t0;
	unsigned i;

	push_wait(c, pid, tid, ts, PS_MS);
	ts += PS_MS;
	for (i = 0; i < n; i++) {
		uint64_t busy = stall && !i ? 60 * PS_MS : PS_MS;

		if (stall && !i)
			push_sample(c, pid, tid, ts + PS_MS);
		push_wait(c, pid, tid, ts + busy, PS_MS);
		ts += busy + PS_MS;
	}
}

void ps_loop(struct correlator *c, uint32_t pid, uint32_t tid, uint64_t t0, unsigned n)
{
	loop(c, pid, tid, t0, n, false);
}

void ps_loop_stall(struct correlator *c, uint32_t pid, uint32_t tid, uint64_t t0, unsigned n)
{
	loop(c, pid, tid, t0, n, true);
}

void ps_two_processes(struct correlator *c)
{
	struct ls_rec_stack st = { .type = LS_REC_STACK, .id = PS_STACK, .nframes = 2,
				   .ips = { 0x1000, 0x2000 } };

	ASSERT_EQ(correlator__push(c, &st, sizeof(st)), 0);
	ps_push_proc(c, LS_PROC_INFO, PS_PID_A, 1, "nginx", "nginx: master process", PS_T0 - 10);
	ps_push_thread(c, PS_PID_A, PS_PID_A, "nginx", LS_REC_THREAD);
	ps_push_proc(c, LS_PROC_FORK, PS_PID_B, PS_PID_A, "nginx", NULL, PS_T0 - 5);
	ps_push_proc(c, LS_PROC_INFO, PS_PID_B, PS_PID_A, "nginx", "nginx: worker process",
		     PS_T0 - 4);
	ps_push_thread(c, PS_PID_B, PS_PID_B, "nginx", LS_REC_THREAD);
	ps_push_thread(c, PS_PID_B, PS_PID_B + 2, "nginx-aux", LS_REC_THREAD);
	ps_loop_stall(c, PS_PID_A, PS_PID_A, PS_T0, 3);
	ps_loop_stall(c, PS_PID_B, PS_PID_B, PS_T0 + PS_MS / 2, 3);
	ps_loop(c, PS_PID_B, PS_PID_B + 2, PS_T0 + PS_MS, 2);
}
