// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* common/log.c: what a text log line keeps of a peer's words. */
#include <string.h>

#include "common/log.h"
#include "test.h"

static const struct escape_case {
	const char *name;
	const char *in;
	size_t size;
	const char *out;
} cases[] = {
    {"plain text is kept", "containerd at /run/c.sock answers again", 64,
     "containerd at /run/c.sock answers again"},
    {"a newline from grpc-message cannot end the line", "rpc error\nctrwatch: error: forged", 64,
     "rpc error\\x0actrwatch: error: forged"},
    {"ESC cannot steer the terminal", "\x1b[2Jcleared", 64, "\\x1b[2Jcleared"},
    {"CR, tab and DEL are escaped", "a\rb\tc\x7f", 64, "a\\x0db\\x09c\\x7f"},
    {"UTF-8 is kept", "caf\xc3\xa9", 64, "caf\xc3\xa9"},
    {"cut short, never an escape split", "abc\n", 6, "abc"},
    {"cut short in plain text", "abcdef", 4, "abc"},
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64];

		SUBTEST (cases[i].name) {
			log_escape(cases[i].in, out, cases[i].size);
			ASSERT_STREQ(out, cases[i].out);
		}
	}
	return test_summary("test_log");
}
