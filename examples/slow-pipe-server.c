/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * slow-pipe-server: an off-CPU stall fixture for loopscope (issue 5).
 *
 * A one-thread epoll server on 127.0.0.1. A request line starting with
 * "slow" makes the loop thread do a synchronous read() of a pipe that a
 * feeder thread fills only DELAY_MS later: the loop is blocked, not busy,
 * so the stall must be attributed off-CPU, to the read of a pipe. Any other
 * line is answered at once. Replies are "ok\n".
 *
 * USAGE: slow-pipe-server [PORT] [DELAY_MS]   (PORT 0, the default, picks one)
 * Prints "listening 127.0.0.1:PORT pid PID" when ready.
 *   printf 'slow\n' | nc -q1 127.0.0.1 PORT   # blocks the loop DELAY_MS
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static int req_pipe[2], slow_pipe[2];
static long delay_ms = 100;

/* Answers each token on req_pipe with one byte on slow_pipe, delay_ms later. */
static void *feeder(void *arg)
{
	struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };
	char c;

	(void)arg;
	while (read(req_pipe[0], &c, 1) == 1) {
		nanosleep(&ts, NULL);
		if (write(slow_pipe[1], &c, 1) != 1)
			break;
	}
	return NULL;
}

/* The blocking call the tracer must find on the loop thread's stack. */
__attribute__((noinline)) static int read_slow_pipe(void)
{
	char c = 's';

	if (write(req_pipe[1], &c, 1) != 1)
		return -1;
	return read(slow_pipe[0], &c, 1) == 1 ? 0 : -1;
}

static void handle(int ep, int fd)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n <= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
		close(fd);
		return;
	}
	if (n >= 4 && !memcmp(buf, "slow", 4))
		read_slow_pipe();
	if (write(fd, "ok\n", 3) != 3) {
		epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
		close(fd);
	}
}

static int listen_on(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	socklen_t len = sizeof(a);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		return -1;
	printf("listening 127.0.0.1:%d pid %d\n", ntohs(a.sin_port), (int)getpid());
	fflush(stdout);
	return fd;
}

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	int lfd, ep, i, n;
	pthread_t th;

	if (argc > 2)
		delay_ms = strtol(argv[2], NULL, 10);
	if (pipe(req_pipe) || pipe(slow_pipe) || pthread_create(&th, NULL, feeder, NULL)) {
		perror("slow-pipe-server: setup");
		return 1;
	}
	lfd = listen_on(argc > 1 ? atoi(argv[1]) : 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = lfd;
	if (lfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev)) {
		perror("slow-pipe-server: listen");
		return 1;
	}
	for (;;) {
		n = epoll_wait(ep, evs, 64, -1);
		if (n < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd != lfd) {
				handle(ep, fd);
				continue;
			}
			fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			ev.data.fd = fd;
			if (fd >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
				close(fd);
		}
	}
	perror("slow-pipe-server: epoll_wait");
	return 1;
}
