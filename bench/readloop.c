/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * readloop: the micro-benchmark of `make bench`. One thread calls
 * read(/dev/zero, 1 byte) in a tight loop and prints, every interval, the
 * cost of one call as
 *
 *     wall_ns cpu_ns
 *
 * wall_ns is elapsed CLOCK_MONOTONIC per call. cpu_ns is the thread's own
 * CPU time per call (CLOCK_THREAD_CPUTIME_ID): with
 * CONFIG_PARAVIRT_TIME_ACCOUNTING the time the host steals from the vCPU is
 * left out of it, so on a noisy VM it is the steadier of the two; interrupt
 * work done on the thread's behalf (irq_work wakeups) stays in it, as
 * CONFIG_IRQ_TIME_ACCOUNTING is off on the kernels we measure.
 *
 * -B CPU forks a "bystander copy" first: a second process, pinned to CPU,
 * that reads one byte every millisecond. A tracer pointed at it is busy
 * tracing another process while the main loop measures what a process the
 * tracer does not trace pays for it (the reject path of every syscall).
 *
 * The first lines are "pid N" and, with -B, "bystander N", so a driver script
 * can attach tracers by PID. Stops on SIGINT/SIGTERM or after -t seconds and
 * then kills the bystander.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* sched_setaffinity */
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Calls between clock reads: keeps the vDSO clock cost under 1% of a call. */
#define BATCH 256

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"USAGE: readloop [-c CPU] [-i MS] [-t SECONDS] [-B CPU]\n"
		"  -c CPU      pin the measured loop to CPU\n"
		"  -i MS       print ns per call every MS milliseconds (default 200)\n"
		"  -t SECONDS  stop after this long (default: until SIGINT/SIGTERM)\n"
		"  -B CPU      also fork a bystander copy pinned to CPU (1 read per ms)\n"
		"Prints \"pid N\" (and \"bystander N\"), then \"wall_ns cpu_ns\" lines.\n");
	exit(2);
}

static long parse_long(const char *arg, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max) {
		fprintf(stderr, "readloop: invalid number '%s'\n", arg);
		usage();
	}
	return v;
}

static int pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "readloop: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
		return -1;
	}
	return 0;
}

static double ns_of(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The bystander copy: traced by the tracer under test, lightly busy. */
static void bystander(int fd, int cpu)
{
	struct timespec ms = { 0, 1000000 };
	char c;

	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	/* a parent killed with SIGKILL cannot kill us: the kernel does */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() == 1)
		_exit(1);
	if (pin(cpu))
		_exit(1);
	for (;;) {
		if (read(fd, &c, 1) != 1)
			_exit(1);
		nanosleep(&ms, NULL);
	}
}

int main(int argc, char **argv)
{
	int cpu = -1, by_cpu = -1, fd, opt, i, rc = 1;
	long interval_ms = 200, seconds = 0;
	double w0, c0, w, c, start, calls = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	pid_t by_pid = 0;
	char buf;

	while ((opt = getopt(argc, argv, "c:i:t:B:h")) != -1) {
		switch (opt) {
		case 'c': cpu = (int)parse_long(optarg, 0, CPU_SETSIZE - 1); break;
		case 'i': interval_ms = parse_long(optarg, 10, 60000); break;
		case 't': seconds = parse_long(optarg, 1, 86400); break;
		case 'B': by_cpu = (int)parse_long(optarg, 0, CPU_SETSIZE - 1); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "readloop: /dev/zero: %s\n", strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (by_cpu >= 0) {
		by_pid = fork();
		if (by_pid < 0) {
			fprintf(stderr, "readloop: fork: %s\n", strerror(errno));
			return 1;
		}
		if (by_pid == 0)
			bystander(fd, by_cpu);
	}
	if (pin(cpu))
		goto out_kill;
	printf("pid %d\n", (int)getpid());
	if (by_pid)
		printf("bystander %d\n", (int)by_pid);
	start = w0 = ns_of(CLOCK_MONOTONIC);
	c0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
	while (!exiting) {
		for (i = 0; i < BATCH; i++) {
			if (read(fd, &buf, 1) != 1) {
				fprintf(stderr, "readloop: read: %s\n", strerror(errno));
				goto out_kill;
			}
		}
		calls += BATCH;
		w = ns_of(CLOCK_MONOTONIC);
		if (w - w0 < interval_ms * 1e6)
			continue;
		c = ns_of(CLOCK_THREAD_CPUTIME_ID);
		printf("%.1f %.1f\n", (w - w0) / calls, (c - c0) / calls);
		calls = 0;
		w0 = w;
		c0 = c;
		if (seconds && w - start >= seconds * 1e9)
			break;
	}
	rc = 0;
out_kill:
	if (by_pid > 0) {
		kill(by_pid, SIGKILL);
		waitpid(by_pid, NULL, 0);
	}
	return rc;
}
