// SPDX-License-Identifier: BSD-2-Clause
/*
 * A C program on libuv: a repeating timer, a check handle, and ITEMS
 * uv_queue_work items that each sleep WORK_MS on the pool. Built twice:
 * statically against Debian's libuv_a.a (internal symbols kept, so every
 * phase can be probed) and against the stripped libuv.so.1 (public API only).
 * Usage: uv-work [ITEMS=8] [WORK_MS=50] [TICKS=20]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

static int items = 8, work_ms = 50, ticks = 20, done_items, ticks_seen;
static uv_timer_t timer;
static uv_check_t check;

static void work(uv_work_t *req)
{
	struct timespec ts = { work_ms / 1000, (long)(work_ms % 1000) * 1000000L };

	(void)req;
	nanosleep(&ts, NULL);
}

static void after_work(uv_work_t *req, int status)
{
	(void)status;
	free(req);
	done_items++;
}

static void on_check(uv_check_t *h)
{
	(void)h;
}

static void on_tick(uv_timer_t *t)
{
	if (++ticks_seen < ticks)
		return;
	uv_timer_stop(t);
	uv_close((uv_handle_t *)t, NULL);
	uv_check_stop(&check);
	uv_close((uv_handle_t *)&check, NULL);
}

static void start(uv_timer_t *t)
{
	int i;

	(void)t;
	for (i = 0; i < items; i++) {
		uv_work_t *req = malloc(sizeof(*req));

		if (!req || uv_queue_work(uv_default_loop(), req, work, after_work))
			exit(1);
	}
	uv_timer_start(&timer, on_tick, 10, 10);
}

int main(int argc, char **argv)
{
	uv_loop_t *loop = uv_default_loop();
	uv_timer_t delay;

	if (argc > 1)
		items = atoi(argv[1]);
	if (argc > 2)
		work_ms = atoi(argv[2]);
	if (argc > 3)
		ticks = atoi(argv[3]);
	printf("pid %d libuv %s\n", (int)getpid(), uv_version_string());
	fflush(stdout);
	uv_timer_init(loop, &timer);
	uv_check_init(loop, &check);
	uv_check_start(&check, on_check);
	/* start after a pause, so a tracer attached at exec sees every item */
	uv_timer_init(loop, &delay);
	uv_timer_start(&delay, start, 300, 0);
	uv_run(loop, UV_RUN_DEFAULT);
	printf("items %d ticks %d\n", done_items, ticks_seen);
	return done_items == items ? 0 : 1;
}
