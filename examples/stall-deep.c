/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stall-deep: an epoll loop whose stall runs in a static function three
 * calls deep (stall_leaf <- stall_mid <- stall_top <- main), built
 * -O2 -fomit-frame-pointer -g: the fixture for stripped binaries whose
 * static functions are named only by a separate debug file
 * (tests/integration/test_debuginfo.sh strips it and splits that file off).
 *
 * Usage: stall-deep [STALL_MS [WAIT_MS]]   (default 200 ms busy, 20 ms wait)
 */
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>

static volatile unsigned long sink;

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * noipa: neither inlined nor cloned (a clone is named stall_leaf.constprop.0),
 * and the work after each call keeps it from becoming a tail jump, which
 * would leave its caller out of the stack.
 */
__attribute__((noipa)) static void stall_leaf(double ms)
{
	double end = now_s() + ms / 1e3;

	/* the clock is read once per 100k additions: samples land here, not in the vDSO */
	while (now_s() < end)
		for (int i = 0; i < 100000; i++)
			sink += (unsigned long)i;
}

__attribute__((noipa)) static void stall_mid(double ms)
{
	stall_leaf(ms);
	sink++;
}

__attribute__((noipa)) static void stall_top(double ms)
{
	stall_mid(ms);
	sink++;
}

int main(int argc, char **argv)
{
	double stall_ms = argc > 1 ? atof(argv[1]) : 200;
	int wait_ms = argc > 2 ? atoi(argv[2]) : 20;
	struct epoll_event ev;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		return 1;
	for (;;) {
		epoll_wait(ep, &ev, 1, wait_ms);
		stall_top(stall_ms);
	}
}
