/* SPDX-License-Identifier: BSD-2-Clause */
/* collector/json: the strict reader accepts RFC 8259 and nothing else. */
#include <errno.h>
#include "../harness.h"
#include "collector/json.h"

static int parse(const char *s, struct json_doc **d, struct json_error *e)
{
	return json_parse(s, strlen(s), NULL, d, e);
}

/* Expects rejection with rc at offset off, and msg containing what. */
static void reject(const char *doc, int rc, size_t off, const char *what)
{
	struct json_error e;
	struct json_doc *d;
	int got = parse(doc, &d, &e);

	if (got != rc || e.offset != off || !strstr(e.msg, what))
		LS_FAIL("'%s': rc %d offset %zu msg '%s'; expected %d at %zu with '%s'",
			doc, got, e.offset, e.msg, rc, off, what);
	ASSERT(!d);
}

TEST(json_tree)
{
	const char *doc = " {\"a\":[1,-2.5e1,true,false,null],\"b\":{\"c\":\"x\\u00e9\\ud83d\\ude00\\n\"},"
			  "\"big\":18446744073709551615,\"over\":18446744073709551616} ";
	const struct json_value *r, *a, *v;
	struct json_error e;
	struct json_doc *d;

	ASSERT_EQ(parse(doc, &d, &e), 0);
	r = json_root(d);
	ASSERT_EQ(r->type, JSON_OBJECT);
	ASSERT_EQ(r->len, 4);
	a = json_get(r, "a");
	ASSERT_EQ(a->type, JSON_ARRAY);
	ASSERT_EQ(a->len, 5);
	ASSERT(a->child->is_u64 && a->child->u64 == 1);
	ASSERT_NEAR(a->child->next->num, -25, 1e-9);
	ASSERT(!a->child->next->is_u64);
	ASSERT(a->child->next->next->boolean);
	ASSERT_EQ(a->child->next->next->next->type, JSON_BOOL);
	ASSERT_EQ(a->child->next->next->next->next->type, JSON_NULL);
	v = json_get(json_get(r, "b"), "c");
	ASSERT_STR_EQ(v->str, "x\xc3\xa9\xf0\x9f\x98\x80\n");
	ASSERT_EQ(v->len, 8);
	ASSERT(json_get(r, "big")->is_u64);
	ASSERT_U64_EQ(json_get(r, "big")->u64, UINT64_MAX);
	ASSERT(!json_get(r, "over")->is_u64);
	ASSERT_EQ(json_get(r, "a")->offset, 6);
	ASSERT(!json_get(r, "zz"));
	ASSERT(!json_get(a, "a"));
	json_free(d);
}

TEST(json_rejects_bad_syntax)
{
	reject("", -EINVAL, 0, "empty input");
	reject("   ", -EINVAL, 3, "empty input");
	reject("{\"a\":1,}", -EINVAL, 7, "expected a member name");
	reject("[1,]", -EINVAL, 3, "expected a value");
	reject("{\"a\":01}", -EINVAL, 6, "leading zero");
	reject("[1] 2", -EINVAL, 4, "after the value");
	reject("{\"a\" 1}", -EINVAL, 5, "expected ':'");
	reject("[1 2]", -EINVAL, 3, "expected ',' or ']'");
	reject("{\"a\":1", -EINVAL, 6, "expected ',' or '}'");
	reject("\"abc", -EINVAL, 4, "unterminated string");
	reject("\"a\nb\"", -EINVAL, 2, "control character");
	reject("\"\\x\"", -EINVAL, 2, "bad escape");
	reject("\"\\u12g4\"", -EINVAL, 5, "hex digit");
	reject("\"\\ud800\"", -EINVAL, 7, "without its pair");
	reject("\"\\udc00\"", -EINVAL, 7, "lone low surrogate");
	reject("\"\\u0000\"", -EINVAL, 7, "\\u0000");
	reject("\"\xc3\x28\"", -EINVAL, 1, "invalid UTF-8");
	reject("\"\xed\xa0\x80\"", -EINVAL, 1, "invalid UTF-8");	/* encoded surrogate */
	reject("[NaN]", -EINVAL, 1, "expected a value");
	reject("[tru]", -EINVAL, 1, "expected a value");
	reject("[1.]", -EINVAL, 3, "digit after '.'");
	reject("[1e]", -EINVAL, 3, "exponent");
	reject("[1e999]", -EINVAL, 6, "out of range");
	reject("{\"a\":1,\"a\":2}", -EINVAL, 12, "duplicate key \"a\"");
	reject("\xef\xbb\xbf{}", -EINVAL, 0, "byte 0xef");
	reject("// c\n{}", -EINVAL, 0, "'/'");
}

TEST(json_nul_bytes_and_binary)
{
	static const char bin[] = { '{', '"', 'a', '"', ':', 0, 1, 2, '}' };
	struct json_error e;
	struct json_doc *d;

	ASSERT_EQ(json_parse(bin, sizeof(bin), NULL, &d, &e), -EINVAL);
	ASSERT_EQ(e.offset, 5);
	ASSERT(strstr(e.msg, "byte 0x00"));
	ASSERT_EQ(json_parse("[1]\0", 4, NULL, &d, &e), -EINVAL);
	ASSERT_EQ(e.offset, 3);
}

TEST(json_limits)
{
	struct json_limits lim = { .max_depth = 3, .max_bytes = 16, .max_nodes = 4 };
	char deep[4096];
	struct json_error e;
	struct json_doc *d;

	ASSERT_EQ(json_parse("[[[1]]]", 7, &lim, &d, &e), 0);
	json_free(d);
	ASSERT_EQ(json_parse("[[[[1]]]]", 9, &lim, &d, &e), -EFBIG);
	ASSERT(strstr(e.msg, "deeper than 3"));
	ASSERT_EQ(json_parse("[1,2,3,4]", 9, &lim, &d, &e), -EFBIG);
	ASSERT(strstr(e.msg, "more than 4 values"));
	ASSERT_EQ(json_parse("[1,2,3,4,5,6,7,8,9]", 19, &lim, &d, &e), -EFBIG);
	ASSERT(strstr(e.msg, "larger than 16 bytes"));
	/* default depth 64: 2000 open brackets fail cleanly, without deep recursion */
	memset(deep, '[', 2000);
	deep[2000] = '\0';
	ASSERT_EQ(parse(deep, &d, &e), -EFBIG);
	ASSERT_EQ(e.offset, 64);
}
