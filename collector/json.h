/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small strict JSON reader (RFC 8259): the whole text is parsed into a
 * tree, or rejected with the byte offset of the first problem. Strict means:
 * no trailing commas, comments, NaN, leading zeros or BOM; strings must be
 * valid UTF-8 without raw control characters, \u escapes must pair their
 * surrogates, and an object may not repeat a key. Limits on nesting depth,
 * input size and node count bound the memory any input can make it use.
 */
#ifndef LS_JSON_H
#define LS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_value {
	enum json_type type;
	bool boolean;
	bool is_u64;		/* a number written as a plain integer that fits uint64_t */
	uint64_t u64;
	double num;
	const char *str;	/* JSON_STRING: decoded, NUL-terminated (\u0000 is rejected) */
	size_t len;		/* string bytes, or array/object members */
	const char *key;	/* member name when the parent is an object */
	size_t offset;		/* byte offset of the value in the input */
	struct json_value *child, *next;
};

struct json_limits {
	size_t max_bytes;	/* 0: 64 MiB */
	unsigned max_depth;	/* 0: 64 */
	size_t max_nodes;	/* 0: 4 million */
};

struct json_error {
	size_t offset;
	char msg[96];
};

struct json_doc;

/* 0, -EINVAL (syntax, err says where), -EFBIG (a limit), -ENOMEM. */
int json_parse(const char *buf, size_t len, const struct json_limits *lim,
	       struct json_doc **out, struct json_error *err);
const struct json_value *json_root(const struct json_doc *d);
void json_free(struct json_doc *d);

/* The member named key of an object, or NULL (also when v is not an object). */
const struct json_value *json_get(const struct json_value *v, const char *key);
const char *json_type_name(enum json_type t);
/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
size_t ls_utf8_len(const unsigned char *s, size_t n);

#endif
