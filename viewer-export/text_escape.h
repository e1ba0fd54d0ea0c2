/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * text_escape: the one way a string that came from the target (thread
 * names, argv, exe and mapping paths, symbol and JIT names) is written
 * into an output. The target is untrusted and loopscope runs as root, so
 * such a string may carry terminal escape sequences, line breaks that forge
 * lines of our own output, folded-stack separators or invalid UTF-8.
 *
 * Rules, by output:
 * - terminal and line formats (LS_ESC_TEXT): printable ASCII and valid
 *   UTF-8 stay; '\' becomes "\\"; every other byte becomes "\xNN": C0
 *   controls (so ESC is "\x1b", a line break "\x0a"), DEL, the bytes of C1
 *   controls (U+0080-U+009F, which some terminals obey as ESC [), of bidi
 *   and line-separator controls (U+200E/F, U+2028-U+202E, U+2066-U+2069:
 *   they reorder or break the line a reader sees), and invalid UTF-8.
 * - folded stacks (LS_ESC_FOLDED): the same, but ';' (the frame separator)
 *   becomes ':' and CR or LF becomes a space, as folded.h documents.
 * - JSON: sj_str() (summary_json.c) escapes '"', '\', bytes < 0x20 and DEL
 *   as \uXXXX and writes each invalid UTF-8 byte as \ufffd.
 * - Perfetto trace: real bytes where they are valid UTF-8; each invalid
 *   byte becomes U+FFFD (ls_utf8_fixdup), as protobuf string fields must be
 *   valid UTF-8 and trace_processor reads the bytes fields as text too.
 */
#ifndef LS_TEXT_ESCAPE_H
#define LS_TEXT_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum ls_esc_mode {
	LS_ESC_TEXT,
	LS_ESC_FOLDED,
};

/* Output bytes of one ls_esc_step() at most: a 4-byte sequence as \xNN each. */
#define LS_ESC_STEP_MAX	16
/* A buffer that holds n input bytes escaped, with the NUL. */
#define LS_ESC_SIZE(n)	((n) * 4 + 1)

/*
 * Escapes the next character of s[0..n), n >= 1: its output form goes to
 * out (at most LS_ESC_STEP_MAX bytes, not NUL-terminated) and its length to
 * *outlen. Returns the input bytes consumed (>= 1).
 */
size_t ls_esc_step(enum ls_esc_mode m, const char *s, size_t n, char *out, size_t *outlen);
/*
 * s escaped into buf (size sz >= 1), reading at most n bytes and stopping
 * at a NUL (n = SIZE_MAX: a C string); NULL reads as "". What does not fit
 * is cut at a whole escape or character, never in the middle. Returns buf.
 */
const char *ls_esc_str(enum ls_esc_mode m, char *buf, size_t sz, const char *s, size_t n);
/* The terminal form of the C string s, written to f whole (no length limit). */
void ls_esc_fputs(FILE *f, const char *s);

/* Whether s[0..len) is valid UTF-8 (NUL bytes included as they are). */
bool ls_utf8_valid(const char *s, size_t len);
/*
 * A malloc'd, NUL-terminated copy of s[0..len) in which each byte that does
 * not start a valid UTF-8 sequence is U+FFFD; its length in *outlen (may be
 * NULL). NULL when out of memory.
 */
char *ls_utf8_fixdup(const char *s, size_t len, size_t *outlen);

#endif
