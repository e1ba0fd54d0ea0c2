/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * thread-churn: an epoll loop whose every tick starts short-lived threads
 * and, now and then, forks a child (which may exec /bin/true). Each thread
 * does a few traced calls (pipe write and read) and exits, some of them
 * while a futex wait of theirs is still in flight. A fault target for the
 * tracer: tids come and go faster than any per-thread state can be kept,
 * and the tracer must neither crash nor lose data without counting it.
 *
 * USAGE: thread-churn [-d SECONDS] [-n THREADS] [-t THREADS_PER_TICK] [-f FORK_EVERY_N_TICKS] [-e]
 * -e: each thread also runs a short epoll loop of its own (two iterations),
 * so loop threads come and go too.
 * Stops after -d seconds (default 3) or once -n threads have been made.
 * Prints "churn: N threads, N forks, N ticks" at the end.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>

static int pipefd[2];
static unsigned futex_word;
static int loop_threads;

static void short_loop(void)
{
	struct epoll_event ev;
	int ep = epoll_create1(EPOLL_CLOEXEC), i;

	for (i = 0; ep >= 0 && i < 3; i++)
		epoll_wait(ep, &ev, 1, 0);
	if (ep >= 0)
		close(ep);
}

static void *worker(void *arg)
{
	char b = 'x';
	struct timespec ts = { 0, 200 * 1000 };

	if (loop_threads)
		short_loop();
	if (write(pipefd[1], &b, 1) != 1 || read(pipefd[0], &b, 1) != 1)
		return NULL;
	/* every other thread ends with a timed futex wait: the call ends with the thread */
	if ((long)arg & 1)
		syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
	return NULL;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void spawn_child(unsigned long n)
{
	pid_t pid = fork();
	char b = 'c';

	if (pid < 0)
		return;
	if (pid == 0) {
		if (n & 1)
			execl("/bin/true", "true", (char *)NULL);
		if (write(pipefd[1], &b, 1) != 1 || read(pipefd[0], &b, 1) != 1)
			_exit(1);
		_exit(0);
	}
}

int main(int argc, char **argv)
{
	struct itimerspec it = { { 0, 1000 * 1000 }, { 0, 1000 * 1000 } };
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned long threads = 0, forks = 0, ticks = 0, max_threads = 0;
	double duration = 3, end;
	int per_tick = 8, fork_every = 10, opt, ep, tfd, i;
	pthread_t tids[64];
	uint64_t exp;

	while ((opt = getopt(argc, argv, "d:n:t:f:e")) != -1) {
		switch (opt) {
		case 'd': duration = atof(optarg); break;
		case 'n': max_threads = strtoul(optarg, NULL, 10); break;
		case 't': per_tick = atoi(optarg); break;
		case 'f': fork_every = atoi(optarg); break;
		case 'e': loop_threads = 1; break;
		default:
			fprintf(stderr, "usage: thread-churn [-d SECONDS] [-n THREADS] [-t THREADS] [-f FORK_EVERY] [-e]\n");
			return 2;
		}
	}
	if (per_tick < 0 || per_tick > 64 || fork_every < 0 || !(duration > 0)) {
		fprintf(stderr, "thread-churn: -t 0..64, -f >= 0, -d > 0\n");
		return 2;
	}
	if (pipe(pipefd) || (ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)) < 0 ||
	    timerfd_settime(tfd, 0, &it, NULL) || epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev)) {
		perror("thread-churn: setup");
		return 1;
	}
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	end = now_s() + duration;
	while (now_s() < end && (!max_threads || threads < max_threads)) {
		if (epoll_wait(ep, &ev, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("thread-churn: epoll_wait");
			return 1;
		}
		if (read(tfd, &exp, sizeof(exp)) != sizeof(exp))
			continue;
		ticks++;
		for (i = 0; i < per_tick; i++)
			if (pthread_create(&tids[i], NULL, worker, (void *)(long)i))
				break;
		per_tick = i;	/* out of threads: go on with fewer */
		for (i = 0; i < per_tick; i++)
			pthread_join(tids[i], NULL);
		threads += (unsigned long)per_tick;
		if (fork_every && ticks % (unsigned long)fork_every == 0) {
			spawn_child(forks);
			forks++;
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	while (wait(NULL) > 0)
		;
	printf("churn: %lu threads, %lu forks, %lu ticks\n", threads, forks, ticks);
	return 0;
}
