/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The summary JSON reader on arbitrary bytes: `report` and `check` read
 * files they did not write. A document the reader accepts is also rendered
 * by `report` (to /dev/null) and its totals computed, since those walk the
 * histograms and loops the reader rebuilt.
 */
#include <stdio.h>
#include <string.h>
#include "collector/summary_read.h"
#include "viewer-export/report_text.h"
#include "fuzz.h"

static FILE *fuzz_sj_null;

static void fuzz_summary_json(const uint8_t *data, size_t size)
{
	struct summary_error err = {};
	struct summary_file *f = NULL;
	struct report_text_opts ro = { .name = "fuzz", .top = 0, .hist = true };
	volatile uint64_t sink;

	if (summary_read_buf((const char *)data, size, &f, &err)) {
		/* the message is printed as is: it must be a terminated string */
		sink = strlen(err.msg);
		(void)sink;
		return;
	}
	sink = summary_file_drops(f);
	(void)sink;
	if (!fuzz_sj_null)
		fuzz_sj_null = fopen("/dev/null", "we");
	if (fuzz_sj_null) {
		report_text__write(fuzz_sj_null, f, &ro);
		ro.top = 3;
		ro.hist = false;
		report_text__write(fuzz_sj_null, f, &ro);
	}
	summary_file_free(f);
}

LS_FUZZ_ENTRY(fuzz_summary_json)
