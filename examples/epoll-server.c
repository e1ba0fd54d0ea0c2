// SPDX-License-Identifier: BSD-2-Clause
/*
 * epoll-server: a tiny, deterministic epoll event-loop server used as
 * ground truth for loopscope's integration tests.
 *
 * One loop = one epoll_wait() return. Every return is counted (the exit
 * wakeup too), so the count printed at exit equals the number of
 * epoll_wait(2) syscalls made by the loop threads.
 *
 * Line protocol on 127.0.0.1, one reply line per command:
 *   PING          -> PONG
 *   BLOCK <ms>    -> OK <ms>     (busy-spins on-CPU, vDSO clock reads only)
 *   SLEEP <ms>    -> OK          (nanosleep: off-CPU stall)
 *   READFILE      -> READ <n>    (open + 4 KiB read(2)s + close, synchronous)
 *   APPEND        -> WROTE <n>   (open + one 4 KiB write(2) at the file's end + close)
 *   STATS         -> ITER <n>    (epoll_wait returns so far, all threads)
 *   QUIT          -> BYE         (then the whole process exits)
 *   anything else -> ERR
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS	64
#define MAX_THREADS	64
#define MAX_MS		60000		/* cap BLOCK/SLEEP so typos can't hang tests */
#define INBUF		4096		/* longest accepted line, incl. '\n' */
#define OUTBUF		1024
#define FILE_SIZE	(64 * 1024)	/* default READFILE file: 16 full reads + EOF */
#define CHUNK		4096

enum kind { K_LISTEN, K_STOP, K_CONN };

/* Everything registered in epoll carries one of these in data.ptr. */
struct conn {
	enum kind kind;
	int fd;
	size_t len;
	struct conn *prev, *next;	/* per-loop list, so exit can free all */
	char in[INBUF];
};

struct loop {
	int epfd;
	struct conn lsn;		/* this loop's listener */
	struct conn conns;		/* list head (sentinel) */
	_Atomic unsigned long iters;
	pthread_t tid;
};

static struct loop loops[MAX_THREADS];
static int nloops = 1;
static const char *file_path;
static char tmp_path[] = "/tmp/epoll-server-XXXXXX";
static int tmp_created;
/*
 * Shared exit sources, registered in every loop's epoll and never read, so
 * (level-triggered) each loop gets exactly one final wakeup from them.
 */
static struct conn sig_src = { .kind = K_STOP, .fd = -1 };
static struct conn quit_src = { .kind = K_STOP, .fd = -1 };

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static unsigned long total_iters(void)
{
	unsigned long sum = 0;

	for (int i = 0; i < nloops; i++)
		sum += atomic_load_explicit(&loops[i].iters, memory_order_relaxed);
	return sum;
}

static __attribute__((noinline)) long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);	/* vDSO: no syscall */
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* noinline: the function a stall's stack must name (the tests look for it) */
static volatile unsigned long spin_sink;

/*
 * Work between clock reads, as a real computation does: spinning on the
 * clock alone put nearly every sample in clock_gettime (under ASan one more
 * frame down, behind its interceptor), and a stall's top frames then named
 * the clock, not this function. ~20 us per read here.
 */
static __attribute__((noinline)) void busy_spin(long ms)
{
	long long deadline = now_ns() + ms * 1000000LL;
	int i;

	while (now_ns() < deadline)
		for (i = 0; i < 20000; i++)
			spin_sink += (unsigned long)i;
}

/* Returns bytes read, or -1 on error. Plain read(2), CHUNK at a time. */
static long long read_file(void)
{
	char buf[CHUNK];
	long long total = 0;
	ssize_t n;
	int fd = open(file_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	close(fd);
	return n < 0 ? -1 : total;
}

/* Returns bytes written, or -1 on error: one write(2) of CHUNK at the end of the file. */
static long long append_file(void)
{
	char buf[CHUNK];
	ssize_t n;
	int fd = open(file_path, O_WRONLY | O_APPEND | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(buf, 'a', sizeof(buf));
	n = write(fd, buf, sizeof(buf));
	close(fd);
	return n;
}

/* Parses "<digits>" in [0, MAX_MS]; anything else is a protocol error. */
static long parse_ms(const char *s)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > MAX_MS)
			return -1;
	}
	return v;
}

/* Executes one command line; writes the reply line into out. */
static int handle_line(char *line, char *out, size_t cap, int *quit)
{
	long ms;
	long long n;

	if (!strcmp(line, "PING"))
		return snprintf(out, cap, "PONG\n");
	if (!strncmp(line, "BLOCK ", 6) && (ms = parse_ms(line + 6)) >= 0) {
		busy_spin(ms);
		return snprintf(out, cap, "OK %ld\n", ms);
	}
	if (!strncmp(line, "SLEEP ", 6) && (ms = parse_ms(line + 6)) >= 0) {
		struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

		nanosleep(&ts, NULL);	/* SIGTERM/INT are blocked: no EINTR */
		return snprintf(out, cap, "OK\n");
	}
	if (!strcmp(line, "READFILE") && (n = read_file()) >= 0)
		return snprintf(out, cap, "READ %lld\n", n);
	if (!strcmp(line, "APPEND") && (n = append_file()) >= 0)
		return snprintf(out, cap, "WROTE %lld\n", n);
	if (!strcmp(line, "STATS"))
		return snprintf(out, cap, "ITER %lu\n", total_iters());
	if (!strcmp(line, "QUIT")) {
		*quit = 1;
		return snprintf(out, cap, "BYE\n");
	}
	return snprintf(out, cap, "ERR\n");
}

static void conn_close(struct conn *c)
{
	/* close() also removes it from epoll (no dup'ed fds exist). */
	close(c->fd);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	free(c);
}

/* A short write means the socket buffer is full: drop the client. */
static int flush_out(int fd, const char *out, size_t len)
{
	return len == 0 || write(fd, out, len) == (ssize_t)len ? 0 : -1;
}

/* One read per wakeup; level-triggered epoll brings us back for more. */
static void conn_input(struct conn *c, int *quit)
{
	char out[OUTBUF];
	size_t olen = 0, start = 0;
	ssize_t n = read(c->fd, c->in + c->len, sizeof(c->in) - c->len);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->len += n;
	for (size_t i = c->len - n; i < c->len && !*quit; i++) {
		if (c->in[i] != '\n')
			continue;
		c->in[i] = '\0';
		if (i > start && c->in[i - 1] == '\r')
			c->in[i - 1] = '\0';
		/* Flush early if a worst-case reply might not fit. */
		if (OUTBUF - olen < 64) {
			if (flush_out(c->fd, out, olen) < 0)
				goto drop;
			olen = 0;
		}
		olen += handle_line(c->in + start, out + olen, OUTBUF - olen, quit);
		start = i + 1;
	}
	if (flush_out(c->fd, out, olen) < 0)
		goto drop;
	if (start == 0 && c->len == sizeof(c->in))
		goto drop;	/* line too long */
	c->len -= start;
	memmove(c->in, c->in + start, c->len);
	return;
drop:
	conn_close(c);
}

static void accept_all(struct loop *lp)
{
	for (;;) {
		int fd = accept4(lp->lsn.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;
		struct epoll_event ev = { .events = EPOLLIN };

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				perror("accept4");
			return;
		}
		c = calloc(1, sizeof(*c));
		ev.data.ptr = c;
		if (!c || epoll_ctl(lp->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);	/* out of resources: shed this client */
			free(c);
			continue;
		}
		c->kind = K_CONN;
		c->fd = fd;
		c->next = lp->conns.next;
		c->prev = &lp->conns;
		c->next->prev = c;
		lp->conns.next = c;
	}
}

static void *loop_run(void *arg)
{
	struct loop *lp = arg;
	struct epoll_event evs[MAX_EVENTS];
	int stop = 0, quit = 0;

	while (!stop) {
		int n = epoll_wait(lp->epfd, evs, MAX_EVENTS, -1);

		atomic_fetch_add_explicit(&lp->iters, 1, memory_order_relaxed);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		/* Finish the whole batch, then leave: the exit wakeup is counted. */
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->kind == K_LISTEN)
				accept_all(lp);
			else if (c->kind == K_STOP)
				stop = 1;
			else
				conn_input(c, &quit);
			if (quit) {
				uint64_t one = 1;

				/* Wake the other loops; this one ends with this batch. */
				if (write(quit_src.fd, &one, sizeof(one)) < 0)
					die("write eventfd");
				quit = 0;
				stop = 1;
			}
		}
	}
	while (lp->conns.next != &lp->conns)
		conn_close(lp->conns.next);
	close(lp->lsn.fd);
	close(lp->epfd);
	return NULL;
}

static int listen_on(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	/*
	 * With -t N every loop owns a listener on the same port. -t 1 skips
	 * REUSEPORT so a second server can't silently share a fixed port.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (nloops > 1 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0))
		die("setsockopt");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind");
	if (listen(fd, 1024) < 0)
		die("listen");
	return fd;
}

static void epoll_add(int epfd, struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		die("epoll_ctl");
}

/* Default READFILE target: a private 64 KiB file, removed at exit. */
static void make_tmp_file(void)
{
	char buf[CHUNK];
	int fd = mkstemp(tmp_path);

	if (fd < 0)
		die("mkstemp");
	tmp_created = 1;
	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < FILE_SIZE / CHUNK; i++)
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			die("write tmp file");
	close(fd);
	file_path = tmp_path;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-p PORT] [-t THREADS] [-f FILE]\n"
		"  -p PORT     TCP port on 127.0.0.1 (default 0: pick a free one)\n"
		"  -t THREADS  event-loop threads, 1..%d (default 1)\n"
		"  -f FILE     regular file READFILE reads, APPEND writes (default: a 64 KiB temp file)\n",
		prog, MAX_THREADS);
	exit(2);
}

static long parse_num(const char *s, long lo, long hi, const char *prog)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		usage(prog);
	return v;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	struct stat st;
	sigset_t mask;
	int opt, port = 0;

	while ((opt = getopt(argc, argv, "p:t:f:h")) != -1) {
		switch (opt) {
		case 'p': port = parse_num(optarg, 0, 65535, argv[0]); break;
		case 't': nloops = parse_num(optarg, 1, MAX_THREADS, argv[0]); break;
		case 'f': file_path = optarg; break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc)
		usage(argv[0]);
	if (file_path && (stat(file_path, &st) < 0 || !S_ISREG(st.st_mode))) {
		fprintf(stderr, "%s: not a regular file\n", file_path);
		return 1;
	}
	if (!file_path)
		make_tmp_file();

	/* Blocked before any thread exists, so only the signalfd sees them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL))
		die("pthread_sigmask");
	signal(SIGPIPE, SIG_IGN);	/* peer resets must not kill us */
	sig_src.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	quit_src.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sig_src.fd < 0 || quit_src.fd < 0)
		die("signalfd/eventfd");

	for (int i = 0; i < nloops; i++) {
		struct loop *lp = &loops[i];

		lp->lsn.kind = K_LISTEN;
		lp->lsn.fd = listen_on(port);
		if (i == 0) {	/* with -p 0, later listeners reuse the picked port */
			if (getsockname(lp->lsn.fd, (struct sockaddr *)&sa, &salen) < 0)
				die("getsockname");
			port = ntohs(sa.sin_port);
		}
		lp->conns.next = lp->conns.prev = &lp->conns;
		lp->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (lp->epfd < 0)
			die("epoll_create1");
		epoll_add(lp->epfd, &lp->lsn);
		epoll_add(lp->epfd, &sig_src);
		epoll_add(lp->epfd, &quit_src);
	}
	/* All listeners are up: clients may connect as soon as they see this. */
	printf("listening 127.0.0.1:%d pid %d\n", port, (int)getpid());
	fflush(stdout);

	if (nloops == 1) {
		loop_run(&loops[0]);
	} else {
		for (int i = 0; i < nloops; i++)
			if (pthread_create(&loops[i].tid, NULL, loop_run, &loops[i]))
				die("pthread_create");
		for (int i = 0; i < nloops; i++)
			pthread_join(loops[i].tid, NULL);
	}

	printf("iterations %lu\n", total_iters());
	fflush(stdout);
	close(sig_src.fd);
	close(quit_src.fd);
	if (tmp_created)
		unlink(tmp_path);
	return 0;
}
