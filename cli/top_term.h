/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * top's terminal: raw keys and the alternate screen, set up once and
 * restored on every way out (a quit key, a signal, an error).
 */
#ifndef LS_CLI_TOP_TERM_H
#define LS_CLI_TOP_TERM_H

#include <stdbool.h>
#include <termios.h>

struct top_term {
	bool active;		/* the alternate screen is up */
	bool raw;		/* stdin's modes changed: saved holds the old ones */
	struct termios saved;
};

/* Raw keys (when stdin is a terminal) and the alternate screen on stdout. */
void top_term_setup(struct top_term *t);
/* Undoes top_term_setup(); nothing when it was not set up. */
void top_term_restore(struct top_term *t);
/* 'q', 'Q' or Ctrl-C was typed (raw keys only). */
bool top_term_quit_key(const struct top_term *t);

#endif
