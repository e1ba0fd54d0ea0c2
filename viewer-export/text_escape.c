/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Escaping of target strings; the rules are in text_escape.h. One step per
 * input character keeps every caller (bounded buffer, FILE *, the folded
 * stack builder) on the same rules and never splits an escape.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "collector/json.h"
#include "text_escape.h"

/*
 * Valid UTF-8 that a terminal still obeys or that reorders what a reader
 * sees: C1 controls (C2 80-9F) and the bidi / line-separator code points
 * of "Trojan Source" (CVE-2021-42574).
 */
static bool unsafe_utf8(const unsigned char *s, size_t len)
{
	unsigned cp;

	if (len == 2)
		return s[0] == 0xc2 && s[1] < 0xa0;
	if (len != 3 || s[0] != 0xe2)
		return false;
	cp = (unsigned)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);	/* U+2000 + cp */
	return cp == 0x0e || cp == 0x0f || (cp >= 0x28 && cp <= 0x2e) ||
	       (cp >= 0x66 && cp <= 0x69);
}

static size_t hex_bytes(const unsigned char *s, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[4 * i] = '\\';
		out[4 * i + 1] = 'x';
		out[4 * i + 2] = hex[s[i] >> 4];
		out[4 * i + 3] = hex[s[i] & 15];
	}
	return 4 * len;
}

size_t ls_esc_step(enum ls_esc_mode m, const char *str, size_t n, char *out, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len;

	if (m == LS_ESC_FOLDED && (s[0] == ';' || s[0] == '\n' || s[0] == '\r')) {
		out[0] = s[0] == ';' ? ':' : ' ';
		*outlen = 1;
		return 1;
	}
	if (s[0] == '\\') {
		out[0] = out[1] = '\\';
		*outlen = 2;
		return 1;
	}
	if (s[0] >= 0x20 && s[0] < 0x7f) {
		out[0] = (char)s[0];
		*outlen = 1;
		return 1;
	}
	len = s[0] >= 0x80 ? ls_utf8_len(s, n) : 0;
	if (!len) {	/* a control byte, DEL, or a byte of invalid UTF-8 */
		*outlen = hex_bytes(s, 1, out);
		return 1;
	}
	if (unsafe_utf8(s, len)) {
		*outlen = hex_bytes(s, len, out);
		return len;
	}
	memcpy(out, s, len);
	*outlen = len;
	return len;
}

const char *ls_esc_str(enum ls_esc_mode m, char *buf, size_t sz, const char *s, size_t n)
{
	char step[LS_ESC_STEP_MAX];
	size_t off = 0, used, len;

	if (s)
		n = strnlen(s, n);
	else
		n = 0;
	while (n) {
		used = ls_esc_step(m, s, n, step, &len);
		if (off + len + 1 > sz)
			break;
		memcpy(buf + off, step, len);
		off += len;
		s += used;
		n -= used;
	}
	buf[off] = '\0';
	return buf;
}

void ls_esc_fputs(FILE *f, const char *s)
{
	char step[LS_ESC_STEP_MAX];
	size_t n = s ? strlen(s) : 0, used, len;

	while (n) {
		used = ls_esc_step(LS_ESC_TEXT, s, n, step, &len);
		fwrite(step, 1, len, f);
		s += used;
		n -= used;
	}
}

bool ls_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		n = ls_utf8_len(s + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

char *ls_utf8_fixdup(const char *str, size_t len, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)str;
	char *out, *o;
	size_t i = 0, n;

	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(3 * len + 1);	/* U+FFFD is 3 bytes for each bad one */
	if (!out)
		return NULL;
	for (o = out; i < len;) {
		n = s[i] < 0x80 ? 1 : ls_utf8_len(s + i, len - i);
		if (n) {
			memcpy(o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	*o = '\0';
	if (outlen)
		*outlen = (size_t)(o - out);
	return out;
}
