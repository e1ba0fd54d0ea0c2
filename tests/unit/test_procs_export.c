/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Exporters of a session of several processes: the JSON "processes" and its
 * reading back, the text summary and `report` grouped by process (and
 * unchanged for one), Perfetto process tracks named from the model, and the
 * pid each frame is resolved in.
 *
 * LS_KEEP_TRACE=PATH also writes the two-process trace to PATH.procs for
 * perfetto-validate / pftrace-dump.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "../harness.h"
#include "collector/json.h"
#include "collector/record.h"
#include "collector/summary_read.h"
#include "viewer-export/report_text.h"
#include "viewer-export/summary_json.h"
#include "viewer-export/summary_text.h"
#include "procs_stream.h"
#include "trace_decode.h"

/* ---- a resolver that remembers which process it was asked about ---- */

#define MAX_ASKS 256
static struct { uint32_t pid; uint64_t ip; } asks[MAX_ASKS];
static unsigned nasks;

static int resolve(void *ctx, uint32_t pid, uint64_t ip, bool kernel, struct ls_frame_info *out)
{
	(void)ctx;
	if (nasks < MAX_ASKS)
		asks[nasks].pid = pid, asks[nasks++].ip = ip;
	out->kind = kernel ? LS_FRAME_KERNEL : LS_FRAME_NATIVE;
	out->function = ip == 0x1000 ? (pid == PS_PID_A ? "master_fn" : "worker_fn") : "main";
	out->mapping = "/usr/sbin/nginx";
	return 0;
}

static unsigned asked(uint32_t pid, uint64_t ip)
{
	unsigned i, n = 0;

	for (i = 0; i < nasks; i++)
		n += asks[i].pid == pid && asks[i].ip == ip;
	return n;
}

static struct correlator *two_processes(void)
{
	struct correlator_opts o = { .stall_threshold_ns = 50 * PS_MS };
	struct correlator *c = correlator__new(&o);

	ASSERT(c);
	ps_two_processes(c);
	return c;
}

/* One process, with (INFO first) or without process records: the same loops. */
static struct correlator *one_process(bool with_procs)
{
	struct correlator_opts o = { .stall_threshold_ns = 50 * PS_MS };
	struct correlator *c = correlator__new(&o);

	struct ls_rec_stack st = { .type = LS_REC_STACK, .id = 9, .nframes = 1, .ips = { 1 } };

	ASSERT(c);
	if (with_procs)
		ps_push_proc(c, LS_PROC_INFO, PS_PID_A, 1, "nginx", "nginx: master process", 1);
	else	/* a record all the same: the counts of records stay equal */
		ASSERT_EQ(correlator__push(c, &st, sizeof(st)), 0);
	ps_push_thread(c, PS_PID_A, PS_PID_A, "nginx", LS_REC_THREAD);
	ps_loop(c, PS_PID_A, PS_PID_A, PS_T0, 3);
	ps_loop(c, PS_PID_A, PS_PID_A + 1, PS_T0, 2);
	return c;
}

static char *json_of(const struct correlator *c, size_t *len)
{
	struct summary_json_meta m = { .pid = PS_PID_A, .command = "nginx", .corr = c,
				       .resolve = resolve };
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	ASSERT(f);
	ASSERT_EQ(summary_json__write(f, correlator__summary(c), &m), 0);
	fclose(f);
	return buf;
}

static char *text_of(const struct correlator *c)
{
	struct summary_text_meta m = { .duration_s = 1, .corr = c, .resolve = resolve };
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	ASSERT(f);
	summary_text__write(f, correlator__summary(c), &m);
	fclose(f);
	return buf;
}

static char *report_of(const char *json, size_t len)
{
	struct report_text_opts o = { .name = "x.json" };
	struct summary_file *sf;
	struct summary_error err;
	char *buf = NULL;
	size_t n;
	FILE *f;

	if (summary_read_buf(json, len, &sf, &err))
		LS_FAIL("summary_read_buf: %s", err.msg);
	f = open_memstream(&buf, &n);
	ASSERT(f);
	report_text__write(f, sf, &o);
	fclose(f);
	summary_file_free(sf);
	return buf;
}

/* ---- JSON ---- */

static const struct json_value *at(const struct json_value *a, unsigned i)
{
	const struct json_value *e = a->child;

	while (e && i--)
		e = e->next;
	ASSERT(e);
	return e;
}

TEST(procs_json_processes_array)
{
	struct correlator *c = two_processes();
	struct json_limits lim = { 0 };
	const struct json_value *root, *procs, *p, *loops;
	struct json_doc *doc;
	struct json_error je;
	size_t len;
	char *js = json_of(c, &len);

	ASSERT_EQ(json_parse(js, len, &lim, &doc, &je), 0);
	root = json_root(doc);
	procs = json_get(root, "processes");
	ASSERT(procs && procs->type == JSON_ARRAY);
	ASSERT_EQ(procs->len, 2);
	p = at(procs, 1);
	ASSERT_EQ(json_get(p, "pid")->u64, PS_PID_B);
	ASSERT_EQ(json_get(p, "ppid")->u64, PS_PID_A);
	ASSERT_STR_EQ(json_get(p, "comm")->str, "nginx");
	ASSERT_STR_EQ(json_get(p, "command")->str, "nginx: worker process");
	ASSERT(!json_get(p, "exited")->boolean);
	ASSERT_EQ(json_get(p, "loops")->u64, 2);
	ASSERT_EQ(json_get(root, "processes_seen")->u64, 2);
	ASSERT_EQ(json_get(root, "processes_merged")->u64, 0);
	loops = json_get(root, "loops");
	ASSERT_EQ(loops->len, 3);
	ASSERT_EQ(json_get(at(loops, 2), "pid")->u64, PS_PID_B);
	ASSERT_STR_EQ(json_get(at(loops, 2), "comm")->str, "nginx-aux");
	ASSERT_STR_EQ(json_get(at(loops, 2), "process_comm")->str, "nginx");
	/* each stall's stack named in its own loop's process */
	ASSERT(asked(PS_PID_A, 0x1000) && asked(PS_PID_B, 0x1000));
	ASSERT(strstr(js, "\"frames\":[\"master_fn\""));
	ASSERT(strstr(js, "\"frames\":[\"worker_fn\""));
	json_free(doc);
	free(js);
	correlator__free(c);
}

TEST(procs_json_reads_back)
{
	struct correlator *c = two_processes();
	struct summary_file *sf;
	struct summary_error err;
	size_t len;
	char *js = json_of(c, &len);
	const struct ls_process *p;

	if (summary_read_buf(js, len, &sf, &err))
		LS_FAIL("summary_read_buf: %s", err.msg);
	ASSERT_EQ(sf->s.nprocs, 2);
	p = ls_summary_proc(&sf->s, PS_PID_A);
	ASSERT(p);
	ASSERT_EQ(p->ppid, 1);
	ASSERT_EQ(p->loops, 1);
	ASSERT_EQ(p->cmdline_len, strlen("nginx: master process"));
	ASSERT(!memcmp(p->cmdline, "nginx: master process", p->cmdline_len));
	ASSERT_EQ(sf->s.procs_seen, 2);
	ASSERT_EQ(ls_summary_loop_pids(&sf->s), 2);
	summary_file_free(sf);
	/* damage is named */
	js[strstr(js, "\"exited\":false") - js + 9] = '1';	/* "exited":1alse */
	ASSERT_EQ(summary_read_buf(js, len, &sf, &err), -EINVAL);
	free(js);
	correlator__free(c);
}

/* ---- text ---- */

TEST(procs_text_grouped_by_process)
{
	struct correlator *c = two_processes();
	char *txt = text_of(c), *a, *b, *aux;

	a = strstr(txt, "  PID 101 nginx: nginx: master process\n  loop nginx[101]:");
	b = strstr(txt, "  PID 102 nginx: nginx: worker process\n  loop nginx[102]:");
	aux = strstr(txt, "  loop nginx-aux[104]:");
	ASSERT(a && b && aux);
	ASSERT(a < b && b < aux);
	ASSERT(strstr(txt, "on CPU: 1/1 samples in worker_fn <- main"));
	free(txt);
	correlator__free(c);
}

TEST(procs_text_one_process_unchanged)
{
	struct correlator *with = one_process(true), *without = one_process(false);
	char *a = text_of(with), *b = text_of(without);

	ASSERT(!strstr(a, "PID "));
	ASSERT_STR_EQ(a, b);
	free(a);
	free(b);
	correlator__free(with);
	correlator__free(without);
}

TEST(procs_text_header_escaped)
{
	struct correlator_opts o = { .stall_threshold_ns = 50 * PS_MS };
	struct correlator *c = correlator__new(&o);
	char *txt;

	ASSERT(c);
	ps_push_proc(c, LS_PROC_INFO, 7, 1, "ev\x1b[2J", "srv \x1b]0;pwned\x07\nPID 1 fake", 1);
	ps_loop(c, 7, 7, PS_T0, 2);
	ps_loop(c, 8, 8, PS_T0, 2);
	txt = text_of(c);
	ASSERT(strstr(txt, "  PID 7 ev\\x1b[2J: srv \\x1b]0;pwned\\x07\\x0aPID 1 fake\n"));
	ASSERT(strstr(txt, "  PID 8 ?\n"));	/* no record, no name: its loop's thread had none */
	ASSERT(!strchr(txt, '\x1b'));
	free(txt);
	correlator__free(c);
}

/* ---- report ---- */

TEST(procs_report_grouped_by_process)
{
	struct correlator *c = two_processes();
	size_t len;
	char *js = json_of(c, &len), *rep = report_of(js, len), *a, *b;

	a = strstr(rep, "PID 101 nginx: nginx: master process\n101 ");
	b = strstr(rep, "PID 102 nginx: nginx: worker process\n102 ");
	ASSERT(a && b);
	ASSERT(strstr(b, "\n104 "));
	ASSERT(strstr(rep, "procs    2 with loops, 2 seen, 2 listed, 0 with loops not listed\n"));
	ASSERT(strstr(rep, "\nPID 102 nginx: nginx: worker process\n\nLOOP nginx[102]") ||
	       strstr(rep, "\nPID 102 nginx: nginx: worker process\nLOOP nginx[102]"));
	free(rep);
	free(js);
	correlator__free(c);
}

TEST(procs_report_one_process_unchanged)
{
	struct correlator *with = one_process(true), *without = one_process(false);
	size_t la, lb;
	char *ja = json_of(with, &la), *jb = json_of(without, &lb);
	char *a = report_of(ja, la), *b = report_of(jb, lb);

	ASSERT(!strstr(a, "\nPID ") && !strstr(a, "\nprocs "));
	ASSERT_STR_EQ(a, b);
	free(a);
	free(b);
	free(ja);
	free(jb);
	correlator__free(with);
	correlator__free(without);
}
