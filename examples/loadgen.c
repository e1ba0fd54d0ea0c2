// SPDX-License-Identifier: BSD-2-Clause
/*
 * loadgen: closed-loop load driver for examples/epoll-server.
 *
 * Request i (1-based) goes to connection (i-1) % CONNS, each connection has
 * at most one request outstanding, so the per-connection order is fixed and
 * the request mix is fully determined by the command line:
 *   BLOCK <ms> if --block-every divides i, else READFILE if --readfile-every
 *   divides i, else PING.
 * Load connections stay open until after --stats/--quit, so the server sees
 * their EOFs only after answering STATS (keeps ITER reproducible).
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS	1024
#define TIMEOUT_NS	(10 * 1000000000LL)	/* per reply */
#define LINE_MAX_LEN	256

struct cx {
	int fd;
	int busy, dead;
	long next;			/* next request index for this connection */
	long long sent_ns;
	char expect[32];		/* exact reply, or "READ " prefix */
	size_t len;
	char buf[LINE_MAX_LEN];
};

static int port = -1;
static long nconns = 4, nreqs = 1000, rate, block_every, block_ms = -1, rf_every;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int connect_server(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "loadgen: connect 127.0.0.1:%d: %s\n", port, strerror(errno));
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/*
 * Reads what is available into c->buf. Returns 1 when a full line is there
 * (newline stripped), 0 if more is needed, -1 on EOF/error/garbage.
 */
static int read_line(struct cx *c)
{
	char *nl;
	ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);

	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0)
		return -1;
	c->len += n;
	c->buf[c->len] = '\0';
	nl = memchr(c->buf, '\n', c->len);
	if (!nl)
		return c->len == sizeof(c->buf) - 1 ? -1 : 0;
	/* One request outstanding: anything after the reply is a protocol error. */
	if (nl != c->buf + c->len - 1)
		return -1;
	*nl = '\0';
	c->len = 0;
	return 1;
}

/* Sends one line on a fresh connection and waits for the reply line. */
static int oneshot(const char *line, char *reply)
{
	struct cx c = { .fd = connect_server() };
	long long deadline = now_ns() + TIMEOUT_NS;
	int r = 0;

	if (dprintf(c.fd, "%s\n", line) < 0)
		r = -1;
	while (r == 0) {
		struct pollfd pfd = { .fd = c.fd, .events = POLLIN };
		long long left = deadline - now_ns();

		if (left <= 0 || poll(&pfd, 1, left / 1000000 + 1) < 0) {
			r = -1;
			break;
		}
		if (pfd.revents)
			r = read_line(&c);
	}
	close(c.fd);
	if (r < 0) {
		fprintf(stderr, "loadgen: no reply to '%s'\n", line);
		return -1;
	}
	strcpy(reply, c.buf);
	return 0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile over sorted samples, in microseconds. */
static long long pct_us(const long long *s, long n, int p)
{
	long idx = (n * p + 99) / 100 - 1;

	return n ? s[idx < 0 ? 0 : idx] / 1000 : 0;
}

static void send_next(struct cx *c, long long now)
{
	char line[64];
	int len;

	if (block_every && c->next % block_every == 0) {
		len = snprintf(line, sizeof(line), "BLOCK %ld\n", block_ms);
		snprintf(c->expect, sizeof(c->expect), "OK %ld", block_ms);
	} else if (rf_every && c->next % rf_every == 0) {
		len = snprintf(line, sizeof(line), "READFILE\n");
		strcpy(c->expect, "READ ");
	} else {
		len = snprintf(line, sizeof(line), "PING\n");
		strcpy(c->expect, "PONG");
	}
	c->busy = 1;
	c->sent_ns = now;
	if (write(c->fd, line, len) != len)
		c->dead = 1;
}

static int reply_ok(const struct cx *c)
{
	if (strcmp(c->expect, "READ "))
		return !strcmp(c->buf, c->expect);
	return !strncmp(c->buf, "READ ", 5) && c->buf[5] &&
	       strspn(c->buf + 5, "0123456789") == strlen(c->buf + 5);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: loadgen -p PORT [-c CONNS] [-n REQUESTS] [-r RATE_PER_S]\n"
		"               [--block-every K --block-ms MS] [--readfile-every K]\n"
		"               [--stats] [--quit]\n"
		"       loadgen -p PORT --cmd LINE\n"
		"Prints: requests <answered> errors <e> elapsed_ms <t> p50_us <x> p99_us <y> max_us <z>\n"
		"(--stats prints the server's 'ITER <n>' line before it; --cmd prints the reply only).\n"
		"Exits 1 on connection failure, timeout (10 s per reply) or unexpected reply.\n");
	exit(2);
}

static long num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "block-every", required_argument, NULL, 'B' },
		{ "block-ms", required_argument, NULL, 'M' },
		{ "readfile-every", required_argument, NULL, 'F' },
		{ "stats", no_argument, NULL, 'S' },
		{ "quit", no_argument, NULL, 'Q' },
		{ "cmd", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *cmd = NULL;
	int opt, stats = 0, quit = 0, failed = 0;
	char reply[LINE_MAX_LEN];
	struct pollfd *pfds;
	struct cx *cs;
	long long *lat, t0, elapsed;
	long done = 0, errors = 0, alive;

	while ((opt = getopt_long(argc, argv, "p:c:n:r:h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'p': port = num(optarg, 1, 65535); break;
		case 'c': nconns = num(optarg, 1, MAX_CONNS); break;
		case 'n': nreqs = num(optarg, 0, 100000000); break;
		case 'r': rate = num(optarg, 0, 10000000); break;
		case 'B': block_every = num(optarg, 1, 1L << 40); break;
		case 'M': block_ms = num(optarg, 0, 60000); break;
		case 'F': rf_every = num(optarg, 1, 1L << 40); break;
		case 'S': stats = 1; break;
		case 'Q': quit = 1; break;
		case 'C': cmd = optarg; break;
		default: usage();
		}
	}
	if (port < 0 || optind != argc || (block_every != 0) != (block_ms >= 0))
		usage();

	if (cmd) {
		if (oneshot(cmd, reply) < 0)
			return 1;
		printf("%s\n", reply);
		return strcmp(reply, "ERR") ? 0 : 1;
	}

	cs = calloc(nconns, sizeof(*cs));
	pfds = calloc(nconns, sizeof(*pfds));
	lat = calloc(nreqs ? nreqs : 1, sizeof(*lat));
	if (!cs || !pfds || !lat) {
		perror("calloc");
		return 1;
	}
	for (long k = 0; k < nconns; k++) {
		cs[k].fd = connect_server();
		cs[k].next = k + 1;
	}

	t0 = now_ns();
	for (alive = nconns; alive > 0;) {
		long long now = now_ns(), wake = now + TIMEOUT_NS;
		int np = 0;

		alive = 0;
		for (long k = 0; k < nconns; k++) {
			struct cx *c = &cs[k];
			/* Pacing: request i is due at t0 + (i-1)/rate. */
			long long due = rate ? t0 + (long long)((c->next - 1) * (1e9 / rate)) : 0;

			if (!c->busy && !c->dead && c->next <= nreqs && now >= due)
				send_next(c, now);
			if (c->busy && !c->dead && now - c->sent_ns >= TIMEOUT_NS) {
				fprintf(stderr, "loadgen: request %ld timed out\n", c->next);
				c->dead = 1;
			}
			if (c->dead) {
				/* The in-flight request and all later ones are lost. */
				if (c->next <= nreqs)
					errors += (nreqs - c->next) / nconns + 1;
				c->next = nreqs + 1;
				c->busy = 0;
				continue;
			}
			if (c->busy) {
				pfds[np++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
				if (c->sent_ns + TIMEOUT_NS < wake)
					wake = c->sent_ns + TIMEOUT_NS;
			} else if (c->next <= nreqs && due < wake) {
				wake = due;
			}
			alive += c->busy || c->next <= nreqs;
		}
		if (!alive)
			break;
		if (poll(pfds, np, wake > now ? (wake - now + 999999) / 1000000 : 0) < 0 &&
		    errno != EINTR) {
			perror("poll");
			return 1;
		}
		/* pfds[] was filled in connection order, so walk both in step. */
		for (long k = 0, i = 0; k < nconns && i < np; k++) {
			struct cx *c = &cs[k];
			int r;

			if (!c->busy || pfds[i].fd != c->fd)
				continue;
			if (!pfds[i++].revents)
				continue;
			r = read_line(c);
			if (r < 0) {
				fprintf(stderr, "loadgen: connection %ld lost at request %ld\n", k, c->next);
				c->dead = 1;
			} else if (r > 0) {
				lat[done++] = now_ns() - c->sent_ns;
				if (!reply_ok(c)) {
					fprintf(stderr, "loadgen: request %ld: unexpected reply '%s'\n",
						c->next, c->buf);
					errors++;
				}
				c->busy = 0;
				c->next += nconns;
			}
		}
	}
	elapsed = now_ns() - t0;

	if (stats) {
		if (oneshot("STATS", reply) < 0 || strncmp(reply, "ITER ", 5))
			failed = 1;
		else
			printf("%s\n", reply);
	}
	if (quit && (oneshot("QUIT", reply) < 0 || strcmp(reply, "BYE")))
		failed = 1;
	for (long k = 0; k < nconns; k++)
		close(cs[k].fd);

	qsort(lat, done, sizeof(*lat), cmp_ll);
	printf("requests %ld errors %ld elapsed_ms %lld p50_us %lld p99_us %lld max_us %lld\n",
	       done, errors, elapsed / 1000000, pct_us(lat, done, 50), pct_us(lat, done, 99),
	       done ? lat[done - 1] / 1000 : 0);
	free(cs);
	free(pfds);
	free(lat);
	return errors || failed ? 1 : 0;
}
