/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small unit-test harness in the libuv style: TEST(name) registers a test,
 * the runner forks each one with a timeout and prints TAP, ending with the
 * line "N passed, N failed". ASSERT_* print both values on failure.
 */
#ifndef LS_TEST_HARNESS_H
#define LS_TEST_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*ls_test_fn)(void);
void ls_test_register(const char *name, ls_test_fn fn);

#define TEST(name)                                                        \
	static void test_##name(void);                                    \
	__attribute__((constructor)) static void register_##name(void)   \
	{                                                                 \
		ls_test_register(#name, test_##name);                     \
	}                                                                 \
	static void test_##name(void)

#define LS_FAIL(...)                                                      \
	do {                                                              \
		fprintf(stderr, "# %s:%d: ", __FILE__, __LINE__);          \
		fprintf(stderr, __VA_ARGS__);                             \
		fprintf(stderr, "\n");                                    \
		exit(1);                                                  \
	} while (0)

#define ASSERT(cond)                                                      \
	do {                                                              \
		if (!(cond))                                              \
			LS_FAIL("assertion failed: %s", #cond);           \
	} while (0)

#define ASSERT_EQ(a, b)                                                   \
	do {                                                              \
		int64_t _a = (int64_t)(a), _b = (int64_t)(b);             \
		if (_a != _b)                                             \
			LS_FAIL("%s == %s: %" PRId64 " != %" PRId64, #a, #b, _a, _b); \
	} while (0)

#define ASSERT_U64_EQ(a, b)                                               \
	do {                                                              \
		uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);          \
		if (_a != _b)                                             \
			LS_FAIL("%s == %s: %" PRIu64 " != %" PRIu64, #a, #b, _a, _b); \
	} while (0)

#define ASSERT_NEAR(a, b, tol)                                            \
	do {                                                              \
		double _a = (double)(a), _b = (double)(b);                \
		if (_a - _b > (tol) || _b - _a > (tol))                   \
			LS_FAIL("%s ~= %s: %g vs %g (tol %g)", #a, #b, _a, _b, (double)(tol)); \
	} while (0)

#define ASSERT_STR_EQ(a, b)                                               \
	do {                                                              \
		const char *_a = (a), *_b = (b);                          \
		if (!_a || !_b || strcmp(_a, _b))                         \
			LS_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,      \
				_a ? _a : "(null)", _b ? _b : "(null)");  \
	} while (0)

#endif
