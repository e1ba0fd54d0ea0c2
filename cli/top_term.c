/* SPDX-License-Identifier: BSD-2-Clause */
/* top's terminal (top_term.h). */
#include <poll.h>
#include <stdio.h>
#include <unistd.h>
#include "top_term.h"

void top_term_setup(struct top_term *t)
{
	struct termios raw;

	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &t->saved)) {
		raw = t->saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		t->raw = !tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	fputs("\033[?1049h\033[?25l", stdout);
	fflush(stdout);
	t->active = true;
}

void top_term_restore(struct top_term *t)
{
	if (!t->active)
		return;
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	if (t->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
	t->active = t->raw = false;
}

bool top_term_quit_key(const struct top_term *t)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	char buf[16];
	ssize_t n, i;

	if (!t->raw || poll(&p, 1, 0) <= 0)
		return false;
	n = read(STDIN_FILENO, buf, sizeof(buf));
	for (i = 0; i < n; i++)
		if (buf[i] == 'q' || buf[i] == 'Q' || buf[i] == 3 /* ^C without ISIG */)
			return true;
	return false;
}
