/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared by the libFuzzer harnesses and by tests/unit/test_fuzz_regressions.c.
 * Each harness defines one static entry point, fuzz_NAME(data, size), and a
 * LLVMFuzzerTestOneInput that calls it unless LS_FUZZ_NO_ENTRY is defined:
 * the unit test includes the harness sources with it defined and replays
 * the corpus and regression inputs through the same code.
 */
#ifndef LS_FUZZ_H
#define LS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#ifdef LS_FUZZ_NO_ENTRY
#define LS_FUZZ_ENTRY(fn)
#else
#define LS_FUZZ_ENTRY(fn)                                                  \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);      \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)       \
	{                                                                   \
		fn(data, size);                                             \
		return 0;                                                   \
	}
#endif

/* Writes all of buf to fd at offset off; 0 or -1. */
static inline int ls_fuzz_pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

#endif
