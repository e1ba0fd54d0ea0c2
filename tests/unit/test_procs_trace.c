/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Perfetto trace of several processes, from records through the
 * correlator: a process track per pid named from the model (the root from
 * the opts), threads under their own process, a rename after an exec as a
 * ProcessTree entry, and a stack shared by two processes named once.
 *
 * LS_KEEP_TRACE=PATH also writes it to PATH.procs for perfetto-validate.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "../harness.h"
#include "collector/record.h"
#include "procs_stream.h"
#include "trace_decode.h"

#define PID_C	103	/* forked by A, exec'd into "helper" after its first event */

static unsigned asks_a, asks_b;

static int resolve(void *ctx, uint32_t pid, uint64_t ip, bool kernel, struct ls_frame_info *out)
{
	(void)ctx;
	(void)kernel;
	asks_a += pid == PS_PID_A && ip == 0x1000;
	asks_b += pid == PS_PID_B && ip == 0x1000;
	out->function = "fn";
	out->mapping = "/usr/sbin/nginx";
	out->kind = LS_FRAME_NATIVE;
	return 0;
}

static void feed(struct ls_sink *s)
{
	struct correlator_opts o = { .stall_threshold_ns = 50 * PS_MS, .sink = *s };
	struct correlator *c = correlator__new(&o);
	struct ls_rec_syscall r = {
		.type = LS_REC_SYSCALL, .pid = PID_C, .tid = PID_C, .ts = PS_T0 + 2 * PS_MS,
		.dur = 1000, .ret = 1, .arg = 10, .fd = 0, .sys = LS_SYS_READ, .fd_kind = LS_FD_PIPE,
	};

	ASSERT(c);
	ps_two_processes(c);
	ps_push_proc(c, LS_PROC_FORK, PID_C, PS_PID_A, "nginx", NULL, PS_T0 + PS_MS);
	ASSERT_EQ(correlator__push(c, &r, sizeof(r)), 0);
	ps_push_proc(c, LS_PROC_EXEC, PID_C, 0, "helper", NULL, PS_T0 + 3 * PS_MS);
	ps_push_proc(c, LS_PROC_INFO, PID_C, PS_PID_A, "helper", "helper --serve", PS_T0 + 4 * PS_MS);
	ps_push_proc(c, LS_PROC_EXIT, PID_C, 0, "helper", NULL, PS_T0 + 5 * PS_MS);
	correlator__finish(c);
	correlator__free(c);
}

static int export_to(int fd)
{
	struct pftrace_opts po = { 0 };
	struct trace_export_opts o = { .pid = PS_PID_A, .process_name = "nginx-root",
				       .cmdline = "nginx -g daemon off;", .stall_threshold_ns = 50 * PS_MS,
				       .resolve = resolve };

	return td_export(fd, &po, &o, NULL, NULL, feed);
}

static const Perfetto__Protos__TrackDescriptor *descriptor(const struct trace *t, uint64_t uuid)
{
	const Perfetto__Protos__TrackDescriptor *td, *found = NULL;
	size_t i;

	for (i = 0; i < t->npk; i++)
		if ((td = PAYLOAD(t->pk[i], TRACK_DESCRIPTOR, track_descriptor)) && td->uuid == uuid)
			found = td;	/* the last one: names may come late */
	if (!found)
		LS_FAIL("no descriptor of track %llu", (unsigned long long)uuid);
	return found;
}

static const char *tree_cmdline(const struct trace *t, int32_t pid, unsigned nth)
{
	const Perfetto__Protos__ProcessTree *pt;
	size_t i, k;

	for (i = 0; i < t->npk; i++)
		if ((pt = PAYLOAD(t->pk[i], PROCESS_TREE, process_tree)))
			for (k = 0; k < pt->n_processes; k++)
				if (pt->processes[k]->pid == pid && !nth--)
					return pt->processes[k]->n_cmdline ? pt->processes[k]->cmdline[0] : "";
	return NULL;
}

TEST(procs_trace_tracks_per_process)
{
	int fd = memfd_create("t", 0);
	struct trace *t = calloc(1, sizeof(*t));
	const Perfetto__Protos__TrackDescriptor *td;

	ASSERT(fd >= 0 && t);
	ASSERT_EQ(export_to(fd), 0);
	td_decode(fd, t);
	td = descriptor(t, pftrace__track_uuid(PFTRACE_UUID_PROCESS, PS_PID_A, 0));
	ASSERT_STR_EQ(td->process->process_name, "nginx-root");
	ASSERT_STR_EQ(td->process->cmdline[0], "nginx -g daemon off;");
	td = descriptor(t, pftrace__track_uuid(PFTRACE_UUID_PROCESS, PS_PID_B, 0));
	ASSERT_EQ(td->process->pid, PS_PID_B);
	ASSERT_STR_EQ(td->process->process_name, "nginx");
	ASSERT_EQ(td->process->n_cmdline, 1);
	ASSERT_STR_EQ(td->process->cmdline[0], "nginx: worker process");
	td = descriptor(t, pftrace__track_uuid(PFTRACE_UUID_THREAD, PS_PID_B, PS_PID_B + 2));
	ASSERT_EQ(td->thread->pid, PS_PID_B);
	ASSERT_STR_EQ(td->thread->thread_name, "nginx-aux");
	td = descriptor(t, pftrace__track_uuid(PFTRACE_UUID_THREAD, PS_PID_A, PS_PID_A));
	ASSERT_EQ(td->thread->pid, PS_PID_A);
	/* C was described as its parent's copy, then renamed by ProcessTree */
	td = descriptor(t, pftrace__track_uuid(PFTRACE_UUID_PROCESS, PID_C, 0));
	ASSERT_STR_EQ(td->process->process_name, "nginx");
	ASSERT_STR_EQ(tree_cmdline(t, PID_C, 0), "helper");
	ASSERT_STR_EQ(tree_cmdline(t, PID_C, 1), "helper --serve");
	ASSERT(!tree_cmdline(t, PS_PID_B, 0));
	/* the stack both stalls sampled: its callstack named once, in the first
	 * process that used it; B's stall's "cause" arg names its one frame in B */
	ASSERT(asks_a >= 1);
	ASSERT_EQ(asks_b, 1);
	td_free(t);
	free(t);
	close(fd);
}

TEST(procs_trace_keep_example)
{
	const char *path = getenv("LS_KEEP_TRACE");
	char p[4096];
	int fd;

	if (!path || !*path)
		return;
	snprintf(p, sizeof(p), "%s.procs", path);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT(fd >= 0);
	ASSERT_EQ(export_to(fd), 0);
	close(fd);
	fprintf(stderr, "# kept %s\n", p);
}
