// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: any bytes through json_string_len() must come out as one JSON string of valid
 * UTF-8 with no raw control byte, whose only unescaped quotes are its first and last byte.
 */
#include <stdint.h>
#include <stdlib.h>

#include "output/json_writer.h"

static size_t utf8_len(const unsigned char *s, size_t avail)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf && avail >= 2 && (s[1] & 0xc0) == 0x80)
		return 2;
	if (s[0] >= 0xe0 && s[0] <= 0xef && avail >= 3 && (s[1] & 0xc0) == 0x80 &&
	    (s[2] & 0xc0) == 0x80) {
		uint32_t cp = (s[0] & 0x0f) << 12 | (s[1] & 0x3f) << 6 | (s[2] & 0x3f);

		return cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) ? 3 : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4 && avail >= 4 && (s[1] & 0xc0) == 0x80 &&
	    (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) {
		uint32_t cp =
		    (s[0] & 0x07) << 18 | (s[1] & 0x3f) << 12 | (s[2] & 0x3f) << 6 | (s[3] & 0x3f);

		return cp >= 0x10000 && cp <= 0x10ffff ? 4 : 0;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_writer w;
	const unsigned char *out;

	json_writer_init(&w);
	json_string_len(&w, (const char *)data, size);
	if (json_writer_failed(&w))
		abort();
	out = (const unsigned char *)w.buf;
	if (w.len < 2 || out[0] != '"' || out[w.len - 1] != '"')
		abort();
	for (size_t i = 1; i < w.len - 1;) {
		size_t n = utf8_len(out + i, w.len - 1 - i);

		if (n == 0 || out[i] < 0x20 || out[i] == 0x7f)
			abort(); /* invalid UTF-8 or a raw control byte */
		if (n == 3 && out[i] == 0xe2 && out[i + 1] == 0x80 &&
		    (out[i + 2] == 0xa8 || out[i + 2] == 0xa9))
			abort(); /* raw U+2028/U+2029 */
		if (out[i] == '"')
			abort(); /* an unescaped quote ends the string early */
		if (out[i] == '\\') {
			if (i + 1 >= w.len - 1)
				abort();
			i += out[i + 1] == 'u' ? 6 : 2;
			continue;
		}
		i += n;
	}
	json_writer_free(&w);
	return 0;
}
