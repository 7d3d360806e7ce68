// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What every fuzzed --format text line must be: one line, ending in a newline, whose only
 * escape sequences are ctrwatch's own colours (ESC [ digits and ; m), and which, those taken
 * out, is valid UTF-8 holding no control character (C0, DEL, C1), no bidirectional control and
 * no line separator, in at most width columns (0: no bound). Aborts otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_line.h"

/* Length of ctrwatch's own SGR sequence at s, or 0 for none. */
static size_t sgr_len(const unsigned char *s, size_t n)
{
	size_t i = 2;

	if (n < 3 || s[0] != 0x1b || s[1] != '[')
		return 0;
	while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == ';'))
		i++;
	return i < n && s[i] == 'm' ? i + 1 : 0;
}

/* The code point at s, its length in *used; aborts on invalid UTF-8. */
static uint32_t next_cp(const unsigned char *s, size_t n, size_t *used)
{
	size_t len = s[0] < 0x80	     ? 1
		     : (s[0] & 0xe0) == 0xc0 ? 2
		     : (s[0] & 0xf0) == 0xe0 ? 3
		     : (s[0] & 0xf8) == 0xf0 ? 4
					     : 0;
	uint32_t cp;

	if (!len || len > n)
		abort();
	cp = len == 1 ? s[0] : s[0] & (0xff >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			abort();
		cp = cp << 6 | (s[i] & 0x3f);
	}
	*used = len;
	return cp;
}

void fuzz_check_text_line(const char *buf, size_t len, size_t width)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t cols = 0;

	if (!len || buf[len - 1] != '\n' || memchr(buf, '\n', len - 1))
		abort();
	for (size_t i = 0, n; i < len - 1; i += n) {
		uint32_t cp;

		n = sgr_len(s + i, len - 1 - i);
		if (n)
			continue;
		cp = next_cp(s + i, len - 1 - i, &n);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
		    cp == 0x061c || (cp >= 0x2028 && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			abort();
		cols++;
	}
	if (width && cols > width)
		abort();
}
