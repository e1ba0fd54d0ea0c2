/* SPDX-License-Identifier: BSD-2-Clause */
/* record's closing notes (record_notes.h), on stderr. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "collector/debuginfo.h"
#include "collector/symbolize.h"
#include "viewer-export/text_escape.h"
#include "proc_syms.h"
#include "procs.h"
#include "record_notes.h"
#include "tracer.h"
#include "user_stacks.h"

/* Where the names of the stripped modules came from: "libuv.so.1 from ...; redis-server: .dynsym only". */
static void print_symbol_sources(const struct record_notes *r)
{
	char line[2048], esc[LS_ESC_SIZE(2048)];
	int err = proc_syms__sources(r->syms, line, sizeof(line));

	struct debuginfo_stats ds;

	if (line[0])
		fprintf(stderr, "loopscope: symbols: %s%s\n",
			ls_esc_str(LS_ESC_TEXT, esc, sizeof(esc), line, strlen(line)),
			err == -ENOSPC ? "..." : "");
	if (!r->dbg)
		return;
	/* the trust rules' refusals are always said (README "Trust rules") */
	debuginfo__stats(r->dbg, &ds);
	if (ds.refused_build_id || ds.refused_crc || ds.refused_file)
		fprintf(stderr, "loopscope: symbols: debug files refused: %" PRIu64 " with another "
			"build-id, %" PRIu64 " with another CRC, %" PRIu64 " not a plain regular "
			"ELF file (a link, FIFO, device or too large)\n", ds.refused_build_id,
			ds.refused_crc, ds.refused_file);
	if (ds.debuginfod_timeouts)
		fprintf(stderr, "loopscope: symbols: debuginfod gave no answer within the timeout "
			"(%" PRIu64 " times): see --debuginfod-timeout\n", ds.debuginfod_timeouts);
}

/* A target file the trust rules refused, always; with -v, how to get missing names. */
static void print_symbol_note(const struct record_notes *r)
{
	struct symbolizer_stats st;
	const char *note;

	if (!r->syms)
		return;
	proc_syms__stats(r->syms, &st);
	note = r->verbose ? symbolizer__hint(&st) : symbolizer__refusal(&st);
	if (note)
		fprintf(stderr, "loopscope: symbols: %s\n", note);
	if (proc_syms__full(r->syms))
		fprintf(stderr, "loopscope: symbols: frames of %" PRIu64 " processes not named: "
			"symbols are read for %d processes at most\n", proc_syms__full(r->syms),
			LS_MAX_SYMBOLIZED_PROCS);
	print_symbol_sources(r);
}

/* Stacks cut short or missing are said, so a short stack is not taken for the whole. */
static void print_stack_note(const struct record_notes *r)
{
	const struct ls_stats *st = r->st;
	struct user_stacks_stats us;

	if (!tracer__user_stacks(r->tracer, &us))
		return;
	if (!r->verbose && !st->ustack_capped && !st->ustack_errors &&
	    !us.unwind.at_copy_end && !us.pending_missing && !us.ids_full)
		return;
	fprintf(stderr, "loopscope: stacks: %" PRIu64 " unwound from .eh_frame (%.1f us, %.1f frames"
		" each), %" PRIu64 " cut where the %u KiB copy ended, %" PRIu64 " not copied (over %u MiB/s"
		" per CPU), %" PRIu64 " unreadable, %" PRIu64 " lost\n", us.unwind.stacks,
		us.unwind.stacks ? us.unwind.ns / 1e3 / (double)us.unwind.stacks : 0.0,
		us.unwind.stacks ? (double)us.unwind.frames / (double)us.unwind.stacks : 0.0,
		us.unwind.at_copy_end,
		LS_MAX_STACK_COPY / 1024, (uint64_t)st->ustack_capped, LS_USTACK_BYTES_PER_SEC >> 20,
		(uint64_t)st->ustack_errors, us.pending_missing + us.ids_full);
}

/*
 * Which source named the JavaScript frames: the perf map (where the
 * target writes one), V8's heap objects, neither; and a layout refused.
 */
static void print_js_note(const struct record_notes *r)
{
	struct symbolizer_stats sy = { 0 };
	struct user_stacks_stats us;
	const struct js_frames_stats *js = &us.js;

	if (!tracer__user_stacks(r->tracer, &us))
		return;
	if (js->refusal[0])
		fprintf(stderr, "loopscope: %s (%u processes); the rest of the trace is complete\n",
			js->refusal, js->refused_procs);
	if (!js->v8_procs)
		return;
	if (r->syms)
		proc_syms__stats(r->syms, &sy);
	fprintf(stderr, "loopscope: JS frames (%s, %u processes, no perf map needed): %" PRIu64
		" named from V8's heap, %" PRIu64 " failed a check and stay unnamed (%.1f us a stack); in "
		"the output, %" PRIu64 " named by V8 alone, %" PRIu64 " by the perf map and V8 alike, %"
		PRIu64 " by V8 and an older perf-map line, %" PRIu64 " where the perf map names another "
		"function (V8's name shown)\n",
		js->version, js->v8_procs, js->reader.named, js->reader.bad_object + js->reader.not_its_own,
		js->stacks ? (double)js->ns / 1e3 / (double)js->stacks : 0.0,
		sy.js_by_v8, sy.js_agree, sy.js_agree_older, sy.js_disagree);
}

/* How many processes the set held, and any it could not take: never a silent cap. */
static void print_procs_note(const struct record_notes *r)
{
	const struct procs *ps = r->procs;
	const struct ls_stats *st = r->st;

	if (st->procs_full || ps->full)
		fprintf(stderr, "loopscope: processes: %" PRIu64 " not followed: %d traced at once at "
			"most; their loops are missing\n", (uint64_t)(st->procs_full + ps->full),
			LS_MAX_PROCS);
	if (ps->seen > 1 || r->verbose)
		fprintf(stderr, "loopscope: processes: %" PRIu64 " followed, %" PRIu64 " of them "
			"forked or joined while recording\n", ps->seen, (uint64_t)st->procs_followed);
}

void record_notes__print(const struct record_notes *n)
{
	print_symbol_note(n);
	print_stack_note(n);
	print_js_note(n);
	print_procs_note(n);
}
