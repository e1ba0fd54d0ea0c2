/* SPDX-License-Identifier: BSD-2-Clause */
/* Deleting from an open-addressing table with linear probing, no tombstones. */
#ifndef LS_LINEAR_PROBE_H
#define LS_LINEAR_PROBE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * After slot `hole` is emptied, walk k = hole+1, hole+2, ... while occupied:
 * the member at k moves back into the hole (and k becomes the hole) unless
 * its home slot lies cyclically in (hole, k].
 */
static inline bool ls_probe_may_fill(size_t home, size_t hole, size_t k)
{
	return k > hole ? home <= hole || home > k : home <= hole && home > k;
}

#endif
