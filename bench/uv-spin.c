// SPDX-License-Identifier: BSD-2-Clause
/*
 * uv-spin: what the libuv probes cost per loop iteration. A libuv loop
 * (statically linked, so every phase function can be probed) kept alive by
 * an active check handle runs uv_run(UV_RUN_NOWAIT) in a tight loop: each
 * call is one iteration through timers, idle, prepare, poll (no fds: no
 * syscall) and check, i.e. 5 probed functions. Prints "pid N", then every
 * 200 ms the wall ns per iteration. With -s it spins on the CPU without
 * libuv (for the sampling cost): ns per 1000 loop turns.
 * Usage: uv-spin [-s] [-t SECONDS]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define BATCH 1000

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_check(uv_check_t *h)
{
	(void)h;
}

static void spin_batch(void)
{
	static volatile unsigned long sink;
	int i;

	for (i = 0; i < BATCH; i++)
		sink += (unsigned long)i * 2654435761u;
}

int main(int argc, char **argv)
{
	uv_loop_t *loop = uv_default_loop();
	double end = 1e18, last;
	unsigned long n = 0;
	uv_check_t check;
	int plain = 0, c;

	while ((c = getopt(argc, argv, "st:")) != -1) {
		if (c == 's')
			plain = 1;
		else if (c == 't')
			end = now_s() + atof(optarg);
		else
			return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	uv_check_init(loop, &check);
	uv_check_start(&check, on_check);
	for (last = now_s(); !stop && last < end;) {
		if (plain)
			spin_batch();
		else
			uv_run(loop, UV_RUN_NOWAIT);
		if (++n % 1000 == 0) {
			double t = now_s();

			if (t - last >= 0.2) {
				printf("%.1f\n", (t - last) * 1e9 / (double)n);
				fflush(stdout);
				n = 0;
				last = t;
			}
		}
	}
	return 0;
}
