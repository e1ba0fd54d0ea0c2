/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * recurse: a stack-overflow fixture for loopscope (issue 5).
 *
 * Recurses through two noinline functions, f -> g -> f -> ..., each with a
 * fixed-size frame, on a thread whose stack size is chosen with a pthread
 * attribute (or on the main thread, whose limit is ulimit -s). Without -n the
 * recursion has no bound and the process dies of SIGSEGV in the stack guard,
 * which is what the overflow diagnosis must explain ("recursion: f -> g -> f").
 * With -n the recursion stops at a known depth and sleeps there, for the
 * stack high-water-mark test.
 *
 * It prints, before recursing, one line the tests parse:
 *   pid PID tid TID stack_size BYTES pair_bytes BYTES
 * where pair_bytes is the stack one f+g pair uses, measured at run time.
 *
 * USAGE: recurse [-m] [-s STACK_KIB] [-n PAIRS] [-w WAIT_MS] [-p PAUSE_MS]
 *   -m           recurse on the main thread instead of a new thread
 *   -s KIB       thread stack size (default 256 KiB; ignored with -m)
 *   -n PAIRS     stop after PAIRS f+g pairs instead of overflowing
 *   -w MS        wait before recursing, so a tracer can attach (-p PID)
 *   -p MS        with -n: time to stay at the deepest point (default 500)
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define FRAME_PAD	200	/* bytes of locals per frame: makes depth easy to compute */

struct cfg {
	long stack_kib;
	long pairs;		/* 0 = unbounded */
	long wait_ms;
	long pause_ms;
	int main_thread;
};

static struct cfg cfg = { .stack_kib = 256, .pause_ms = 500 };
/* Addresses of f's locals at depths 0 and 1, from a short calibration run. */
static uintptr_t f_addr[2];

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* On CPU, so a sampling profiler sees the stack at its deepest. */
static void spin_ms(long ms)
{
	struct timespec now, end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
}

__attribute__((noinline)) static long g(long depth);

/*
 * The recursion. The padding is volatile and used after the call, so the
 * compiler can neither drop the frame nor turn the call into a tail call.
 */
__attribute__((noinline)) static long f(long depth)
{
	volatile char pad[FRAME_PAD];
	long r;

	pad[0] = (char)depth;
	if (depth < 2)
		f_addr[depth] = (uintptr_t)pad;
	if (cfg.pairs && depth >= cfg.pairs) {
		spin_ms(cfg.pause_ms);	/* the deepest point, on CPU: sample here */
		return 0;
	}
	r = g(depth);
	return r + pad[0];
}

__attribute__((noinline)) static long g(long depth)
{
	volatile char pad[FRAME_PAD];
	long r;

	pad[0] = (char)depth;
	r = f(depth + 1);
	return r + pad[FRAME_PAD - 1];
}

/* Prints the line the tests parse, after measuring one f+g pair for real. */
static void report(size_t stack_size)
{
	struct cfg saved = cfg;

	cfg.pairs = 1, cfg.pause_ms = 0;
	f(0);
	cfg = saved;
	printf("pid %d tid %d stack_size %zu pair_bytes %lu\n", (int)getpid(), (int)gettid(),
	       stack_size, (unsigned long)(f_addr[0] - f_addr[1]));
	fflush(stdout);
}

static void *run(void *arg)
{
	size_t stack_size = *(size_t *)arg;
	long r;

	report(stack_size);
	sleep_ms(cfg.wait_ms);
	r = f(0);
	printf("returned from depth %ld pairs (%ld)\n", cfg.pairs, r);
	fflush(stdout);
	return NULL;
}

static int parse(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "ms:n:w:p:")) != -1) {
		long *dst = c == 's' ? &cfg.stack_kib : c == 'n' ? &cfg.pairs :
			    c == 'w' ? &cfg.wait_ms : c == 'p' ? &cfg.pause_ms : NULL;
		char *end;

		if (c == 'm') {
			cfg.main_thread = 1;
			continue;
		}
		if (!dst)
			return -1;
		errno = 0;
		*dst = strtol(optarg, &end, 10);
		if (errno || *end || *dst < 0)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	pthread_attr_t attr;
	pthread_t th;
	struct rlimit rl;
	size_t size;
	int err;

	if (parse(argc, argv)) {
		fprintf(stderr, "usage: recurse [-m] [-s STACK_KIB] [-n PAIRS] [-w WAIT_MS] [-p PAUSE_MS]\n");
		return 2;
	}
	if (cfg.main_thread) {
		size = getrlimit(RLIMIT_STACK, &rl) == 0 ? (size_t)rl.rlim_cur : 0;
		run(&size);
		return 0;
	}
	size = (size_t)cfg.stack_kib << 10;
	if (size < (size_t)PTHREAD_STACK_MIN)
		size = (size_t)PTHREAD_STACK_MIN;
	pthread_attr_init(&attr);
	err = pthread_attr_setstacksize(&attr, size);
	if (!err)
		err = pthread_create(&th, &attr, run, &size);
	pthread_attr_destroy(&attr);
	if (err) {
		fprintf(stderr, "recurse: thread with a %zu-byte stack: %s\n", size, strerror(err));
		return 1;
	}
	pthread_join(th, NULL);
	return 0;
}
