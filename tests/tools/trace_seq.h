/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * For the test decoders: what trace_processor resolves from a sequence's
 * state before it reads a packet. Timestamps on the incremental clock of a
 * ClockSnapshot (or the sequence's default clock) become BOOTTIME ns, and
 * track events without a track uuid get TrackEventDefaults' one. Our writer
 * uses one sequence, so one state is enough.
 */
#ifndef LS_TRACE_SEQ_H
#define LS_TRACE_SEQ_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "perfetto_trace.pb-c.h"

#define TRACE_SEQ_BOOTTIME	6

struct trace_seq {
	uint32_t default_clock;		/* 0 = none: BOOTTIME */
	uint64_t default_track;
	uint32_t delta_clock;		/* 0 = none defined */
	uint64_t delta_value;		/* last value on delta_clock */
	int64_t delta_offset;		/* BOOTTIME - delta_clock, at the snapshot */
};

/* Resolves p in place; -1 if it uses a clock nothing defined. */
static inline int trace_seq_resolve(struct trace_seq *s, Perfetto__Protos__TracePacket *p)
{
	const Perfetto__Protos__TracePacketDefaults *d = p->trace_packet_defaults;
	uint32_t clock;
	size_t i;

	if (p->has_sequence_flags && (p->sequence_flags & 1))
		memset(s, 0, sizeof(*s));
	if (d) {
		s->default_clock = d->has_timestamp_clock_id ? d->timestamp_clock_id : 0;
		s->default_track = d->track_event_defaults && d->track_event_defaults->has_track_uuid ?
				   d->track_event_defaults->track_uuid : 0;
	}
	if (p->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_CLOCK_SNAPSHOT) {
		const Perfetto__Protos__ClockSnapshot *cs = p->clock_snapshot;
		uint64_t boot = 0, delta = 0;
		uint32_t id = 0;

		for (i = 0; i < cs->n_clocks; i++) {
			if (cs->clocks[i]->clock_id == TRACE_SEQ_BOOTTIME)
				boot = cs->clocks[i]->timestamp;
			else if (cs->clocks[i]->is_incremental)
				id = cs->clocks[i]->clock_id, delta = cs->clocks[i]->timestamp;
		}
		if (id) {
			s->delta_clock = id;
			s->delta_value = delta;
			s->delta_offset = (int64_t)(boot - delta);
		}
	}
	if (p->has_timestamp) {
		clock = p->has_timestamp_clock_id ? p->timestamp_clock_id : s->default_clock;
		if (clock && clock == s->delta_clock) {
			s->delta_value += p->timestamp;
			p->timestamp = s->delta_value + (uint64_t)s->delta_offset;
		} else if (clock && clock != TRACE_SEQ_BOOTTIME) {
			return -1;
		}
		p->has_timestamp_clock_id = 0;
	}
	if (p->data_case == PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_EVENT &&
	    !p->track_event->has_track_uuid && s->default_track) {
		p->track_event->has_track_uuid = 1;
		p->track_event->track_uuid = s->default_track;
	}
	return 0;
}

#endif
