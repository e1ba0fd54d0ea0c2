/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pftrace_stacks: a trace with callstacks, PerfSamples and a stall slice is
 * decoded back; every interned entry must be defined once, in or before the
 * packet that first uses it, and every link (callstack -> frame -> mapping
 * -> path/build id, frame -> function name) must resolve.
 */
#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../harness.h"
#include "tests/tools/trace_seq.h"
#include "viewer-export/pftrace_stacks.h"

#define MAX_IID 256

enum { T_PATH, T_BUILD, T_FUNC, T_MAP, T_FRAME, T_STACK, T_MAX };

/* What the decoder has seen defined so far, by table and iid. */
struct seen {
	const void *def[T_MAX][MAX_IID];
	size_t defined[T_MAX];
};

static void define(struct seen *s, int t, uint64_t iid, const void *msg)
{
	ASSERT(iid > 0 && iid < MAX_IID);
	if (s->def[t][iid])
		LS_FAIL("table %d iid %llu defined twice", t, (unsigned long long)iid);
	ASSERT_U64_EQ(iid, s->defined[t] + 1);	/* dense, in order */
	s->def[t][iid] = msg;
	s->defined[t]++;
}

static const void *use(const struct seen *s, int t, uint64_t iid)
{
	ASSERT(iid > 0 && iid < MAX_IID);
	if (!s->def[t][iid])
		LS_FAIL("table %d iid %llu used before its definition", t, (unsigned long long)iid);
	return s->def[t][iid];
}

static void learn(struct seen *s, const Perfetto__Protos__InternedData *id)
{
	size_t i;

	for (i = 0; id && i < id->n_mapping_paths; i++)
		define(s, T_PATH, id->mapping_paths[i]->iid, id->mapping_paths[i]);
	for (i = 0; id && i < id->n_build_ids; i++)
		define(s, T_BUILD, id->build_ids[i]->iid, id->build_ids[i]);
	for (i = 0; id && i < id->n_function_names; i++)
		define(s, T_FUNC, id->function_names[i]->iid, id->function_names[i]);
	for (i = 0; id && i < id->n_mappings; i++)
		define(s, T_MAP, id->mappings[i]->iid, id->mappings[i]);
	for (i = 0; id && i < id->n_frames; i++)
		define(s, T_FRAME, id->frames[i]->iid, id->frames[i]);
	for (i = 0; id && i < id->n_callstacks; i++)
		define(s, T_STACK, id->callstacks[i]->iid, id->callstacks[i]);
}

/* "fn@path" of each frame of a callstack, root first, checking every link. */
static void stack_names(const struct seen *s, uint64_t iid, char *out, size_t len)
{
	const Perfetto__Protos__Callstack *cs = use(s, T_STACK, iid);
	size_t i, off = 0;

	ASSERT(cs->n_frame_ids > 0);
	out[0] = '\0';
	for (i = 0; i < cs->n_frame_ids; i++) {
		const Perfetto__Protos__Frame *f = use(s, T_FRAME, cs->frame_ids[i]);
		const Perfetto__Protos__Mapping *m = use(s, T_MAP, f->mapping_id);
		const Perfetto__Protos__InternedString *fn = NULL, *path;

		ASSERT(f->has_rel_pc && f->kind_field_case);
		ASSERT_EQ(m->n_path_string_ids, 1);
		path = use(s, T_PATH, m->path_string_ids[0]);
		if (m->build_id)
			use(s, T_BUILD, m->build_id);
		if (f->function_name_id)
			fn = use(s, T_FUNC, f->function_name_id);
		off += (size_t)snprintf(out + off, len - off, "%s%.*s@%.*s", i ? ";" : "",
					fn ? (int)fn->str.len : 1, fn ? (char *)fn->str.data : "?",
					(int)path->str.len, (char *)path->str.data);
	}
}

static Perfetto__Protos__TracePacket **decode(int fd, size_t *n)
{
	struct stat st;
	uint8_t *buf;
	size_t pos = 0, cap = 64, len;
	Perfetto__Protos__TracePacket **pk = malloc(cap * sizeof(*pk));
	struct trace_seq seq = { 0 };

	ASSERT(fstat(fd, &st) == 0 && pk);
	buf = malloc((size_t)st.st_size);
	ASSERT(buf && pread(fd, buf, (size_t)st.st_size, 0) == st.st_size);
	*n = 0;
	while (pos < (size_t)st.st_size) {
		unsigned shift = 0;

		ASSERT_EQ(buf[pos++], 0x0A);
		for (len = 0; buf[pos] & 0x80; shift += 7)
			len |= (size_t)(buf[pos++] & 0x7f) << shift;
		len |= (size_t)buf[pos++] << shift;
		ASSERT(*n < cap);
		pk[*n] = perfetto__protos__trace_packet__unpack(NULL, len, buf + pos);
		ASSERT(pk[*n]);
		ASSERT(trace_seq_resolve(&seq, pk[*n]) == 0);
		(*n)++;
		pos += len;
	}
	free(buf);
	return pk;
}

static struct ls_frame_info frame(const char *fn, const char *map, uint64_t ip, int kind)
{
	struct ls_frame_info f = { .ip = ip, .function = fn, .mapping = map, .kind = kind };

	if (kind == LS_FRAME_NATIVE) {
		f.map_start = 0x400000, f.map_end = 0x500000, f.map_pgoff = 0x1000;
		f.rel_pc = ip - f.map_start + f.map_pgoff;
		f.build_id_len = 4;
		memcpy(f.build_id, "\x01\x00\xab\xff", 4);	/* raw bytes, NUL included */
	} else {
		f.rel_pc = ip;
	}
	return f;
}

static void write_trace(struct pftrace *w, struct pftrace_stacks *s, uint64_t *a, uint64_t *b)
{
	/* Leaf first, as bpf_get_stack() gives them. */
	struct ls_frame_info fa[] = {
		frame("schedule", "[kernel.kallsyms]", 0xffffffff81001234, LS_FRAME_KERNEL),
		frame("hash;Sync", "/usr/bin/app", 0x401000, LS_FRAME_NATIVE),
		frame("main", "/usr/bin/app", 0x400800, LS_FRAME_NATIVE),
	};
	struct ls_frame_info fb[] = {
		frame("JS:*hashPasswordsSync", "/tmp/perf-1.map", 0x7f00, LS_FRAME_JIT),
		frame(NULL, NULL, 0x1234, LS_FRAME_UNKNOWN),
		frame("main", "/usr/bin/app", 0x400800, LS_FRAME_NATIVE),
	};
	struct pftrace_sample smp = { .ts = 1000, .pid = 10, .tid = 11, .cpu = 1, .timebase_count = 5 };
	struct pftrace_event ev = { .type = PFTRACE_SLICE_BEGIN, .ts = 1500, .track_uuid = 7,
				    .name = "STALL 80 ms" };
	uint64_t again;

	ASSERT_EQ(pftrace_stacks__callstack(s, fa, 3, a), 0);
	smp.kernel = true;
	smp.callstack_iid = *a;
	ASSERT_EQ(pftrace_stacks__sample(s, &smp), 0);
	ASSERT_EQ(pftrace_stacks__callstack(s, fb, 3, b), 0);
	ASSERT_EQ(pftrace_stacks__callstack(s, fa, 3, &again), 0);
	ASSERT_U64_EQ(again, *a);
	smp.ts = 2000, smp.kernel = false, smp.callstack_iid = *b, smp.timebase_count = 6;
	ASSERT_EQ(pftrace_stacks__sample(s, &smp), 0);
	ev.callstack_iid = *b;
	ev.callstack_weight = 80e6;
	ASSERT_EQ(pftrace__event(w, &ev), 0);
	smp.ts = 3000, smp.callstack_iid = *a;
	ASSERT_EQ(pftrace_stacks__sample(s, &smp), 0);
	ASSERT_EQ(pftrace_stacks__callstack(s, fa, 0, &again), -EINVAL);
	smp.callstack_iid = 99;
	ASSERT_EQ(pftrace_stacks__sample(s, &smp), -EINVAL);
}

TEST(pftrace_stacks_interning_and_samples)
{
	int fd = memfd_create("t", 0);
	struct pftrace *w = pftrace__new(fd, NULL);
	struct pftrace_stacks *s = pftrace_stacks__new(w);
	struct seen *seen = calloc(1, sizeof(*seen));
	Perfetto__Protos__TracePacket **pk;
	struct pftrace_stacks_stats st;
	uint64_t a, b;
	size_t n, i;
	char names[512];

	ASSERT(w && s && seen);
	write_trace(w, s, &a, &b);
	pftrace_stacks__stats(s, &st);
	ASSERT_U64_EQ(st.callstacks, 2);
	ASSERT_U64_EQ(st.frames, 5);	/* "main" is shared */
	ASSERT_U64_EQ(st.samples, 3);
	ASSERT_EQ(pftrace__finish(w), 0);
	pk = decode(fd, &n);
	ASSERT_EQ(n, 1 + 4);
	ASSERT_EQ(pk[0]->data_case, PERFETTO__PROTOS__TRACE_PACKET__DATA_CLOCK_SNAPSHOT);
	ASSERT(!pk[0]->interned_data);	/* entries ride on the packet that uses them */
	for (i = 0; i < n; i++) {
		learn(seen, pk[i]->interned_data);	/* TP reads interned_data first */
		ASSERT(pk[i]->sequence_flags & 2);
		ASSERT_U64_EQ(pk[i]->trusted_packet_sequence_id, PFTRACE_SEQ_ID);
	}
	ASSERT(!pk[4]->interned_data);	/* stack A was already known */
	ASSERT_EQ(pk[1]->data_case, PERFETTO__PROTOS__TRACE_PACKET__DATA_PERF_SAMPLE);
	ASSERT_EQ(pk[1]->perf_sample->pid, 10);
	ASSERT_EQ(pk[1]->perf_sample->tid, 11);
	ASSERT_EQ(pk[1]->perf_sample->cpu, 1);
	ASSERT_EQ(pk[1]->perf_sample->cpu_mode, PERFETTO__PROTOS__PROFILING__CPU_MODE__MODE_KERNEL);
	ASSERT_EQ(pk[2]->perf_sample->cpu_mode, PERFETTO__PROTOS__PROFILING__CPU_MODE__MODE_USER);
	ASSERT_U64_EQ(pk[2]->perf_sample->timebase_count, 6);
	ASSERT_U64_EQ(pk[2]->timestamp, 2000);
	stack_names(seen, pk[1]->perf_sample->callstack_iid, names, sizeof(names));
	ASSERT_STR_EQ(names, "main@/usr/bin/app;hash;Sync@/usr/bin/app;schedule@[kernel.kallsyms]");
	stack_names(seen, pk[2]->perf_sample->callstack_iid, names, sizeof(names));
	ASSERT_STR_EQ(names, "main@/usr/bin/app;?@[unknown];JS:*hashPasswordsSync@/tmp/perf-1.map");
	ASSERT_EQ(pk[3]->track_event->callstack_field_case,
		  PERFETTO__PROTOS__TRACK_EVENT__CALLSTACK_FIELD_CALLSTACK_IID);
	ASSERT_U64_EQ(pk[3]->track_event->callstack_iid, b);
	ASSERT_NEAR(pk[3]->track_event->callstack_weight, 80e6, 1);
	/* The build id is stored as its raw bytes, NUL byte included. */
	ASSERT_EQ(((const Perfetto__Protos__InternedString *)use(seen, T_BUILD, 1))->str.len, 4);
	ASSERT_EQ(seen->defined[T_BUILD], 1);
	ASSERT_EQ(seen->defined[T_MAP], 4);	/* app, kernel, perf map, unknown */
	for (i = 0; i < n; i++)
		perfetto__protos__trace_packet__free_unpacked(pk[i], NULL);
	free(pk);
	free(seen);
	pftrace_stacks__free(s);
	pftrace__free(w);
	close(fd);
}

/* Without pftrace_stacks the writer's output is unchanged: the hook is additive. */
TEST(pftrace_stacks_unhooks_on_free)
{
	int fd = memfd_create("t", 0);
	struct pftrace *w = pftrace__new(fd, NULL);
	struct pftrace_stacks *s = pftrace_stacks__new(w);
	struct ls_frame_info f = frame("main", "/bin/x", 0x400800, LS_FRAME_NATIVE);
	struct pftrace_event ev = { .type = PFTRACE_INSTANT, .ts = 1, .track_uuid = 7, .name = "x" };
	Perfetto__Protos__TracePacket **pk;
	uint64_t iid;
	size_t n;

	ASSERT(s);
	ASSERT_EQ(pftrace_stacks__callstack(s, &f, 1, &iid), 0);
	pftrace_stacks__free(s);	/* the pending entries are dropped with it */
	ASSERT_EQ(pftrace__event(w, &ev), 0);
	ASSERT_EQ(pftrace__finish(w), 0);
	pk = decode(fd, &n);
	ASSERT_EQ(n, 1 + 1);	/* the clock snapshot first */
	ASSERT_EQ(pk[1]->interned_data->n_callstacks, 0);
	ASSERT_EQ(pk[1]->interned_data->n_event_names, 1);
	perfetto__protos__trace_packet__free_unpacked(pk[0], NULL);
	perfetto__protos__trace_packet__free_unpacked(pk[1], NULL);
	free(pk);
	pftrace__free(w);
	close(fd);
}
