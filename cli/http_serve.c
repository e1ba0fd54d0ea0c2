/* SPDX-License-Identifier: BSD-2-Clause */
/* The scrape endpoint (http_serve.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "viewer-export/prom.h"
#include "http_serve.h"

#define HTTP_REQ_MAX	8192
#define HTTP_IO_MS	2000

struct http_server {
	int fd;
	int port;
	unsigned long requests;
};

static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len, const char **why)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	char *end;
	unsigned long port;
	size_t n;

	*why = "give ADDR:PORT (127.0.0.1:9464, [::1]:9464)";
	if (!colon || colon == s)
		return -EINVAL;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port > 65535)
		return -EINVAL;
	n = (size_t)(colon - s);
	if (s[0] == '[' && n >= 2 && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = 0;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in6);
		return 0;
	}
	*why = "ADDR must be a numeric IPv4 or IPv6 address";
	return -EINVAL;
}

int http_server__listen(struct http_server **out, const char *addr, const char **why)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct http_server *h;
	int one = 1, err;

	*out = NULL;
	err = parse_addr(addr, &ss, &len, why);
	if (err)
		return err;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0 || setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(h->fd, (struct sockaddr *)&ss, len) || listen(h->fd, 16) ||
	    getsockname(h->fd, (struct sockaddr *)&ss, &len)) {
		err = -errno;
		*why = NULL;
		http_server__free(h);
		return err;
	}
	h->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						: ((struct sockaddr_in6 *)&ss)->sin6_port);
	*out = h;
	return 0;
}

int http_server__port(const struct http_server *h)
{
	return h->port;
}

unsigned long http_server__requests(const struct http_server *h)
{
	return h->requests;
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* The request head, up to its blank line, within the size and the deadline; its length or -1. */
static ssize_t read_head(int fd, char *buf, size_t cap)
{
	struct timespec deadline;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t n = 0;
	ssize_t r;
	long left;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += HTTP_IO_MS / 1000;
	while (n < cap - 1) {
		left = ms_left(&deadline);
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		r = recv(fd, buf + n, cap - 1 - n, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = 0;
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return (ssize_t)n;
	}
	return -1;
}

static void send_all(int fd, const char *p, size_t len)
{
	struct timespec deadline;
	struct pollfd pf = { .fd = fd, .events = POLLOUT };
	ssize_t w;
	long left;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += HTTP_IO_MS / 1000;
	while (len) {
		left = ms_left(&deadline);
		if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
			return;
		w = send(fd, p, len, MSG_NOSIGNAL);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			return;
		p += w;
		len -= (size_t)w;
	}
}

static void respond(int fd, const char *status, const char *type, const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n", status, type, len);

	send_all(fd, head, (size_t)n);
	send_all(fd, body, len);
}

/* Whether the head's Accept header asks for OpenMetrics. */
static bool wants_openmetrics(const char *head)
{
	const char *line = head;

	while ((line = strchr(line, '\n'))) {
		line++;
		if (!strncasecmp(line, "Accept:", 7)) {
			const char *eol = strchr(line, '\n');
			size_t n = eol ? (size_t)(eol - line) : strlen(line);

			return memmem(line, n, "application/openmetrics-text", 28) != NULL;
		}
	}
	return false;
}

static void answer(struct http_server *h, int fd, http_render_fn render, void *ctx)
{
	static const char text[] = "text/plain; charset=utf-8";
	char head[HTTP_REQ_MAX], *body = NULL;
	size_t len = 0;
	bool om;

	if (read_head(fd, head, sizeof(head)) < 0)
		return;
	h->requests++;
	if (strncmp(head, "GET ", 4)) {
		respond(fd, "405 Method Not Allowed", text, "GET only\n", 9);
		return;
	}
	if (strncmp(head + 4, "/metrics ", 9) && strncmp(head + 4, "/metrics?", 9)) {
		respond(fd, "404 Not Found", text, "try /metrics\n", 13);
		return;
	}
	om = wants_openmetrics(head);
	if (render(ctx, om, &body, &len)) {
		respond(fd, "500 Internal Server Error", text, "no scrape: out of memory\n", 25);
		return;
	}
	respond(fd, "200 OK", prom_content_type(om), body, len);
	free(body);
}

void http_server__serve(struct http_server *h, http_render_fn render, void *ctx)
{
	int fd;

	while ((fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		answer(h, fd, render, ctx);
		close(fd);
	}
}

void http_server__free(struct http_server *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		close(h->fd);
	free(h);
}
