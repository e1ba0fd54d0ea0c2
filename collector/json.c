/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Recursive descent over the whole buffer. Nodes come from an arena of
 * fixed-size chunks; decoded strings go into one buffer as long as the
 * input, which always suffices: a decoded string plus its NUL is never
 * longer than its quoted source. Recursion is bounded by max_depth.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

#define CHUNK_NODES	1024
#define MAX_KEYS_DUP_CHECK 4096	/* members per object; bounds the duplicate check */

struct chunk {
	struct chunk *next;
	size_t used;
	struct json_value v[CHUNK_NODES];
};

struct json_doc {
	struct chunk *chunks;
	char *strings;
	struct json_value *root;
};

struct parser {
	const char *s;
	size_t len, pos, nodes, max_nodes, str_used;
	unsigned depth, max_depth;
	char desc[32];
	struct json_doc *doc;
	struct json_error *err;
	int rc;
};

static int fail(struct parser *p, int rc, const char *fmt, ...)
{
	va_list ap;

	if (p->rc)
		return p->rc;
	p->rc = rc;
	p->err->offset = p->pos;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

static struct json_value *new_node(struct parser *p, enum json_type t)
{
	struct chunk *c = p->doc->chunks;

	if (++p->nodes > p->max_nodes) {
		fail(p, -EFBIG, "more than %zu values", p->max_nodes);
		return NULL;
	}
	if (!c || c->used == CHUNK_NODES) {
		c = calloc(1, sizeof(*c));
		if (!c) {
			fail(p, -ENOMEM, "out of memory");
			return NULL;
		}
		c->next = p->doc->chunks;
		p->doc->chunks = c;
	}
	c->v[c->used].type = t;
	c->v[c->used].offset = p->pos;
	return &c->v[c->used++];
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && strchr(" \t\n\r", p->s[p->pos]) && p->s[p->pos])
		p->pos++;
}

static int peek(struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static const char *describe(struct parser *p)
{
	int c = peek(p);

	if (c < 0)
		return "end of input";
	if (c >= 0x20 && c < 0x7f)
		snprintf(p->desc, sizeof(p->desc), "'%c'", c);
	else
		snprintf(p->desc, sizeof(p->desc), "byte 0x%02x", c);
	return p->desc;
}

static int parse_value(struct parser *p, struct json_value **out);

static int hex4(struct parser *p, unsigned *out)
{
	unsigned i, v = 0;
	int c;

	for (i = 0; i < 4; i++) {
		c = peek(p);
		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = v * 16 + (unsigned)((c | 0x20) - 'a' + 10);
		else
			return fail(p, -EINVAL, "bad \\u escape: expected a hex digit, got %s",
				    describe(p));
		p->pos++;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A \uXXXX escape (the backslash and 'u' consumed), pairing surrogates. */
static int unicode_escape(struct parser *p, char *o, size_t *n)
{
	unsigned hi, lo;
	int err = hex4(p, &hi);

	if (err)
		return err;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return fail(p, -EINVAL, "lone low surrogate \\u%04x", hi);
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (p->pos + 2 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
			return fail(p, -EINVAL, "high surrogate \\u%04x without its pair", hi);
		p->pos += 2;
		err = hex4(p, &lo);
		if (err)
			return err;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(p, -EINVAL, "high surrogate \\u%04x without its pair", hi);
		hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (!hi)
		return fail(p, -EINVAL, "\\u0000 in a string");
	*n = put_utf8(o, hi);
	return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid. */
size_t ls_utf8_len(const unsigned char *s, size_t n)
{
	/* second-byte ranges exclude overlong forms, surrogates and > U+10FFFF */
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

static int escape(struct parser *p, char *o, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	int c = peek(p);

	if (c == 'u') {
		p->pos++;
		return unicode_escape(p, o, n);
	}
	e = c > 0 ? strchr(from, c) : NULL;
	if (!e)
		return fail(p, -EINVAL, "bad escape in a string: backslash then %s", describe(p));
	*o = to[e - from];
	*n = 1;
	p->pos++;
	return 0;
}

static int parse_string(struct parser *p, const char **out, size_t *outlen)
{
	char *o = p->doc->strings + p->str_used, *start = o;
	size_t n = 0;
	int c, err;

	p->pos++;	/* the opening quote */
	for (;;) {
		c = peek(p);
		if (c < 0)
			return fail(p, -EINVAL, "unterminated string");
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(p, -EINVAL, "raw control character 0x%02x in a string", c);
		if (c == '\\') {
			p->pos++;
			err = escape(p, o, &n);
			if (err)
				return err;
		} else if (c < 0x80) {
			*o = (char)c;
			n = 1;
			p->pos++;
		} else {
			n = ls_utf8_len((const unsigned char *)p->s + p->pos, p->len - p->pos);
			if (!n)
				return fail(p, -EINVAL, "invalid UTF-8 in a string");
			memcpy(o, p->s + p->pos, n);
			p->pos += n;
		}
		o += n;
	}
	p->pos++;
	*o++ = '\0';
	*out = start;
	*outlen = (size_t)(o - start) - 1;
	p->str_used += (size_t)(o - start);
	return 0;
}

static size_t digits(struct parser *p)
{
	size_t n = 0;

	while (peek(p) >= '0' && peek(p) <= '9') {
		p->pos++;
		n++;
	}
	return n;
}

static int parse_number(struct parser *p, struct json_value *v)
{
	size_t start = p->pos, int_digits;
	bool plain = true;
	char tmp[64], *end;

	if (peek(p) == '-') {
		p->pos++;
		plain = false;
	}
	if (peek(p) == '0') {
		p->pos++;
		if (peek(p) >= '0' && peek(p) <= '9')
			return fail(p, -EINVAL, "leading zero in a number");
		int_digits = 1;
	} else if (!(int_digits = digits(p))) {
		return fail(p, -EINVAL, "unexpected %s: expected a value", describe(p));
	}
	if (peek(p) == '.') {
		p->pos++;
		plain = false;
		if (!digits(p))
			return fail(p, -EINVAL, "expected a digit after '.'");
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		p->pos++;
		plain = false;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!digits(p))
			return fail(p, -EINVAL, "expected a digit in the exponent");
	}
	if (p->pos - start >= sizeof(tmp))
		return fail(p, -EINVAL, "number too long");
	memcpy(tmp, p->s + start, p->pos - start);
	tmp[p->pos - start] = '\0';
	v->num = strtod(tmp, &end);
	if (!isfinite(v->num))
		return fail(p, -EINVAL, "number out of range");
	if (plain && int_digits <= 20) {
		errno = 0;
		v->u64 = strtoull(tmp, &end, 10);
		v->is_u64 = !errno;
	}
	return 0;
}

static int expect_word(struct parser *p, const char *w)
{
	size_t n = strlen(w);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n))
		return fail(p, -EINVAL, "unexpected %s: expected a value", describe(p));
	p->pos += n;
	return 0;
}

static int check_duplicate(struct parser *p, const struct json_value *first,
			   const struct json_value *m, size_t count)
{
	if (count > MAX_KEYS_DUP_CHECK)
		return fail(p, -EFBIG, "more than %d members in an object", MAX_KEYS_DUP_CHECK);
	for (; first != m; first = first->next)
		if (!strcmp(first->key, m->key))
			return fail(p, -EINVAL, "duplicate key \"%.40s\"", m->key);
	return 0;
}

/* An object member's key and colon. */
static int parse_key(struct parser *p, const char **key)
{
	size_t len;
	int err;

	skip_ws(p);
	if (peek(p) != '"')
		return fail(p, -EINVAL, "unexpected %s: expected a member name", describe(p));
	err = parse_string(p, key, &len);
	if (err)
		return err;
	skip_ws(p);
	if (peek(p) != ':')
		return fail(p, -EINVAL, "unexpected %s: expected ':'", describe(p));
	p->pos++;
	return 0;
}

static int parse_members(struct parser *p, struct json_value *v, char close)
{
	struct json_value *m, **tail = &v->child;
	const char *key = NULL;
	int err;

	p->pos++;
	skip_ws(p);
	if (peek(p) == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		if (close == '}' && (err = parse_key(p, &key)))
			return err;
		err = parse_value(p, &m);
		if (err)
			return err;
		m->key = key;
		*tail = m;
		tail = &m->next;
		v->len++;
		if (close == '}' && (err = check_duplicate(p, v->child, m, v->len)))
			return err;
		skip_ws(p);
		if (peek(p) == close)
			break;
		if (peek(p) != ',')
			return fail(p, -EINVAL, "unexpected %s: expected ',' or '%c'", describe(p),
				    close);
		p->pos++;
	}
	p->pos++;
	return 0;
}

static int parse_value(struct parser *p, struct json_value **out)
{
	struct json_value *v;
	int c, err;

	skip_ws(p);
	c = peek(p);
	v = new_node(p, c == '{' ? JSON_OBJECT : c == '[' ? JSON_ARRAY : c == '"' ? JSON_STRING :
		     c == 't' || c == 'f' ? JSON_BOOL : c == 'n' ? JSON_NULL : JSON_NUMBER);
	if (!v)
		return p->rc;
	*out = v;
	if (v->type == JSON_OBJECT || v->type == JSON_ARRAY) {
		if (++p->depth > p->max_depth)
			return fail(p, -EFBIG, "nested deeper than %u", p->max_depth);
		err = parse_members(p, v, c == '{' ? '}' : ']');
		p->depth--;
		return err;
	}
	if (v->type == JSON_STRING)
		return parse_string(p, &v->str, &v->len);
	if (c == 't' || c == 'f') {
		v->boolean = c == 't';
		return expect_word(p, c == 't' ? "true" : "false");
	}
	if (c == 'n')
		return expect_word(p, "null");
	return parse_number(p, v);
}

int json_parse(const char *buf, size_t len, const struct json_limits *lim,
	       struct json_doc **out, struct json_error *err)
{
	static const struct json_limits def;
	struct parser p = { .s = buf, .len = len, .err = err };
	int rc;

	if (!lim)
		lim = &def;
	p.max_depth = lim->max_depth ? lim->max_depth : 64;
	p.max_nodes = lim->max_nodes ? lim->max_nodes : 4u << 20;
	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (len > (lim->max_bytes ? lim->max_bytes : 64u << 20))
		return fail(&p, -EFBIG, "larger than %zu bytes",
			    lim->max_bytes ? lim->max_bytes : (size_t)64 << 20);
	p.doc = calloc(1, sizeof(*p.doc));
	if (p.doc)
		p.doc->strings = malloc(len + 1);
	if (!p.doc || !p.doc->strings) {
		json_free(p.doc);
		return fail(&p, -ENOMEM, "out of memory");
	}
	skip_ws(&p);
	if (p.pos == len)
		rc = fail(&p, -EINVAL, "empty input: expected a value");
	else
		rc = parse_value(&p, &p.doc->root);
	skip_ws(&p);
	if (!rc && p.pos < len)
		rc = fail(&p, -EINVAL, "unexpected %s after the value", describe(&p));
	if (rc) {
		json_free(p.doc);
		return rc;
	}
	*out = p.doc;
	return 0;
}

const struct json_value *json_root(const struct json_doc *d)
{
	return d ? d->root : NULL;
}

void json_free(struct json_doc *d)
{
	struct chunk *c, *next;

	if (!d)
		return;
	for (c = d->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(d->strings);
	free(d);
}

const struct json_value *json_get(const struct json_value *v, const char *key)
{
	const struct json_value *m;

	if (!v || v->type != JSON_OBJECT)
		return NULL;
	for (m = v->child; m; m = m->next)
		if (!strcmp(m->key, key))
			return m;
	return NULL;
}

const char *json_type_name(enum json_type t)
{
	static const char *const names[] = { "null", "boolean", "number", "string", "array",
					     "object" };

	return t <= JSON_OBJECT ? names[t] : "?";
}
