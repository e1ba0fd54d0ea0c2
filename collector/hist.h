/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A log-linear latency histogram (HDR style): values below 2^7 are exact,
 * above that each power of two is split into 64 linear buckets, so any
 * recorded value is known within 1/64 (1.6%) of itself. Fixed size, no
 * allocation, mergeable by adding bucket counts.
 */
#ifndef LS_HIST_H
#define LS_HIST_H

#include <stdint.h>

#define LS_HIST_SUB_BITS	6
#define LS_HIST_SUB		(1u << LS_HIST_SUB_BITS)
#define LS_HIST_MAX_MSB		47	/* 2^48 ns = 78 hours; larger values clamp */
#define LS_HIST_BUCKETS		((LS_HIST_MAX_MSB - LS_HIST_SUB_BITS + 2) * LS_HIST_SUB)

struct ls_hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint64_t buckets[LS_HIST_BUCKETS];
};

void ls_hist_init(struct ls_hist *h);
void ls_hist_add(struct ls_hist *h, uint64_t v);
/* n values of v at once (summary mode's log2 buckets, added at their midpoints). */
void ls_hist_add_n(struct ls_hist *h, uint64_t v, uint64_t n);
void ls_hist_merge(struct ls_hist *dst, const struct ls_hist *src);
/* The value at quantile q (0..1): a bucket midpoint, clamped to [min, max]. */
uint64_t ls_hist_quantile(const struct ls_hist *h, double q);
unsigned ls_hist_bucket_of(uint64_t v);
uint64_t ls_hist_bucket_low(unsigned idx);

#endif
