// SPDX-License-Identifier: BSD-2-Clause
#include <stdio.h>
#include <time.h>
#include "wallclock.h"

const char *ls_wallclock(char *buf, size_t len, uint64_t ts, uint64_t unix_offset_ns,
			 enum ls_wall_style style)
{
	uint64_t unix_ns = ts + unix_offset_ns;
	time_t secs = (time_t)(unix_ns / 1000000000ull);
	unsigned ms = (unsigned)(unix_ns % 1000000000ull / 1000000ull);
	struct tm tm;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!unix_offset_ns || !gmtime_r(&secs, &tm))
		return buf;
	if (style == LS_WALL_ISO)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	else
		snprintf(buf, len, "%02d:%02d:%02d.%03u UTC", tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return buf;
}
