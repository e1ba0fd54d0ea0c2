/* SPDX-License-Identifier: BSD-2-Clause */
/* The agent's stall log (stall_log.h). */
#include <errno.h>
#include <inttypes.h>
#include "collector/cause.h"
#include "summary_json_int.h"
#include "wallclock.h"
#include "stall_log.h"

int stall_log_write(FILE *f, const struct stall_log_event *e)
{
	const struct ls_iteration *it = e->it;
	char utc[48];

	fputs("{\"time\":", f);
	if (e->unix_offset_ns)
		sj_str(f, ls_wallclock(utc, sizeof(utc), it->start, e->unix_offset_ns, LS_WALL_ISO), sizeof(utc));
	else
		fputs("null", f);
	fprintf(f, ",\"boottime_ns\":%" PRIu64 ",\"pid\":%u,\"tid\":%u,\"comm\":", it->start, it->pid, it->tid);
	sj_str(f, e->thread->comm, sizeof(e->thread->comm));
	fprintf(f, ",\"iteration\":%" PRIu64 ",\"busy_ms\":%.3f,\"samples\":%u,\"offcpu_ms\":%.3f", it->seq,
		ls_iteration_busy(it) / NS_PER_MS, it->nsamples, it->offcpu_ns / NS_PER_MS);
	if (e->cause)
		sj_stall_cause(f, e->cause);
	else
		fputs(",\"cause\":null", f);
	fputs("}\n", f);
	return fflush(f) || ferror(f) ? -EIO : 0;
}
