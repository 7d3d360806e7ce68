/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A minimal harness in the manner of the kernel's selftests: named subtests, ASSERT_* checks that
 * print expected and actual values with the case name, and a closing "N passed, N failed" line.
 */
#ifndef CTRWATCH_TEST_H
#define CTRWATCH_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int test_passed, test_failed;
static const char *test_case = "";
static bool test_case_ok;

#define SUBTEST(name)                                                                              \
	for (int _once = (test_case = (name), test_case_ok = true, 1); _once;                      \
	     _once = 0, test_case_ok ? test_passed++ : test_failed++)

#define FAIL(fmt, ...)                                                                             \
	do {                                                                                       \
		fprintf(stderr, "FAIL %s (%s:%d): " fmt "\n", test_case, __FILE__, __LINE__,       \
			##__VA_ARGS__);                                                            \
		test_case_ok = false;                                                              \
	} while (0)

#define ASSERT_TRUE(cond)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			FAIL("expected %s", #cond);                                                \
	} while (0)

#define ASSERT_EQ(actual, expected)                                                                \
	do {                                                                                       \
		long long _a = (long long)(actual), _e = (long long)(expected);                    \
		if (_a != _e)                                                                      \
			FAIL("%s: expected %lld, got %lld", #actual, _e, _a);                      \
	} while (0)

#define ASSERT_STREQ(actual, expected)                                                             \
	do {                                                                                       \
		const char *_a = (actual), *_e = (expected);                                       \
		if (strcmp(_a, _e) != 0)                                                           \
			FAIL("%s: expected \"%s\", got \"%s\"", #actual, _e, _a);                  \
	} while (0)

static inline int test_summary(const char *suite)
{
	printf("%s: %d passed, %d failed\n", suite, test_passed, test_failed);
	return test_failed ? 1 : 0;
}

#endif
