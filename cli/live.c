/* SPDX-License-Identifier: BSD-2-Clause */
/* What top and agent share (live.h). */
#include "collector/correlator.h"
#include "collector/debuginfo.h"
#include "live.h"
#include "proc_syms.h"
#include "session.h"
#include "tracer.h"
#include "uvprobes.h"

struct proc_syms *live_syms_open(struct debuginfo **dbg)
{
	struct symbolizer_opts so = { .sz = sizeof(so) };

	*dbg = debuginfo__new(&(struct debuginfo_opts){ .sz = sizeof(struct debuginfo_opts) });
	so.debuginfo = *dbg;
	return proc_syms__new(&so);
}

void live_syms_close(struct proc_syms *syms, struct debuginfo *dbg)
{
	proc_syms__free(syms);
	debuginfo__free(dbg);
}

void live_setup_process(struct session *s, struct proc_syms *syms, pid_t pid)
{
	const struct uvprobes *uv;

	if (syms)
		proc_syms__get(syms, pid);
	if (!tracer__attach_libuv(session__tracer(s), pid, false, NULL, &uv) && uv->found)
		correlator__set_libuv(session__correlator(s), uv->version);
}
