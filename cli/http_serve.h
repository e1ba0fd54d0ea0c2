/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The agent's scrape endpoint: HTTP/1.0-style, one request per connection,
 * GET /metrics only. Served from the agent's own loop between polls of the
 * ring buffer; each connection is bounded (8 KiB of request, 2 s to send it,
 * 2 s to take the answer), so a slow or hostile client costs the agent at
 * most a few seconds, never memory.
 */
#ifndef LS_HTTP_SERVE_H
#define LS_HTTP_SERVE_H

#include <stdbool.h>
#include <stddef.h>

struct http_server;

/* The body of a scrape: malloc'ed into *body; 0 or -errno. */
typedef int (*http_render_fn)(void *ctx, bool openmetrics, char **body, size_t *len);

/*
 * Listens on "ADDR:PORT" (IPv4, or [IPv6]:PORT; PORT 0 picks one). 0, or
 * -EINVAL for a malformed address (said in *why), or -errno.
 */
int http_server__listen(struct http_server **out, const char *addr, const char **why);
/* The bound port (for PORT 0). */
int http_server__port(const struct http_server *h);
/* Answers every connection waiting now; returns without blocking when none is. */
void http_server__serve(struct http_server *h, http_render_fn render, void *ctx);
unsigned long http_server__requests(const struct http_server *h);
void http_server__free(struct http_server *h);

#endif
