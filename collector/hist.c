/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include "hist.h"

void ls_hist_init(struct ls_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned ls_hist_bucket_of(uint64_t v)
{
	unsigned msb, shift;

	if (v < 2 * LS_HIST_SUB)
		return (unsigned)v;
	msb = 63 - (unsigned)__builtin_clzll(v);
	if (msb > LS_HIST_MAX_MSB)
		return LS_HIST_BUCKETS - 1;
	shift = msb - LS_HIST_SUB_BITS;
	return (shift + 1) * LS_HIST_SUB + (unsigned)((v >> shift) - LS_HIST_SUB);
}

uint64_t ls_hist_bucket_low(unsigned idx)
{
	unsigned shift;

	if (idx < 2 * LS_HIST_SUB)
		return idx;
	shift = idx / LS_HIST_SUB - 1;
	return (uint64_t)(LS_HIST_SUB + idx % LS_HIST_SUB) << shift;
}

void ls_hist_add_n(struct ls_hist *h, uint64_t v, uint64_t n)
{
	if (!n)
		return;
	h->buckets[ls_hist_bucket_of(v)] += n;
	h->count += n;
	h->sum += v * n;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void ls_hist_add(struct ls_hist *h, uint64_t v)
{
	ls_hist_add_n(h, v, 1);
}

void ls_hist_merge(struct ls_hist *dst, const struct ls_hist *src)
{
	unsigned i;

	if (!src->count)
		return;
	for (i = 0; i < LS_HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t ls_hist_quantile(const struct ls_hist *h, double q)
{
	uint64_t rank, seen = 0, lo, hi, mid;
	unsigned i;

	if (!h->count)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	/* nearest-rank: the smallest value with at least q*count values at or below it */
	rank = (uint64_t)(q * (double)h->count + 0.999999);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < LS_HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			break;
	}
	if (i >= LS_HIST_BUCKETS)
		return h->max;
	lo = ls_hist_bucket_low(i);
	hi = i + 1 < LS_HIST_BUCKETS ? ls_hist_bucket_low(i + 1) : lo;
	mid = lo + (hi > lo ? (hi - lo - 1) / 2 : 0);
	if (mid < h->min)
		mid = h->min;
	if (mid > h->max)
		mid = h->max;
	return mid;
}
