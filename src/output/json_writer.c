// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * JSON encoding for output lines. Hand-written because the guarantee is the product's own: any byte
 * string (attacker-controlled paths, argv, labels) must come out as one valid JSON string on one
 * line, invalid UTF-8 replaced rather than rejected.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buffer.h"
#include "common/utf8.h"
#include "output/json_writer.h"

void json_writer_init(struct json_writer *w)
{
	memset(w, 0, sizeof(*w));
}

void json_writer_reset(struct json_writer *w)
{
	w->len = 0;
	w->depth = 0;
	w->need_comma[0] = false;
	w->failed = false;
}

void json_writer_free(struct json_writer *w)
{
	free(w->buf);
	json_writer_init(w);
}

bool json_writer_failed(const struct json_writer *w)
{
	return w->failed;
}

static bool reserve(struct json_writer *w, size_t n)
{
	if (w->failed)
		return false;
	if (buffer_reserve(&w->buf, &w->cap, w->len + n + 1, 1024))
		w->failed = true;
	return !w->failed;
}

static void put(struct json_writer *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* Before any value: the comma that separates it from its predecessor in an array. */
static void value_prefix(struct json_writer *w)
{
	if (w->need_comma[w->depth])
		put(w, ",", 1);
	w->need_comma[w->depth] = true;
}

static void open_container(struct json_writer *w, char c)
{
	value_prefix(w);
	put(w, &c, 1);
	if (w->depth == JSON_DEPTH_MAX) {
		w->failed = true;
		return;
	}
	w->need_comma[++w->depth] = false;
}

static void close_container(struct json_writer *w, char c)
{
	put(w, &c, 1);
	if (w->depth > 0)
		w->depth--;
}

void json_object_begin(struct json_writer *w)
{
	open_container(w, '{');
}

void json_object_end(struct json_writer *w)
{
	close_container(w, '}');
}

void json_array_begin(struct json_writer *w)
{
	open_container(w, '[');
}

void json_array_end(struct json_writer *w)
{
	close_container(w, ']');
}

static void put_escaped(struct json_writer *w, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	char esc[8];

	put(w, "\"", 1);
	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence_len(s + i, len - i);

		if (n == 0) {
			put(w, "\xef\xbf\xbd", 3); /* U+FFFD for one bad byte */
			i++;
			continue;
		}
		if (n == 1) {
			unsigned char c = s[i];

			if (c == '"' || c == '\\') {
				esc[0] = '\\', esc[1] = c;
				put(w, esc, 2);
			} else if (c == '\n') {
				put(w, "\\n", 2);
			} else if (c == '\t') {
				put(w, "\\t", 2);
			} else if (c == '\r') {
				put(w, "\\r", 2);
			} else if (c < 0x20 || c == 0x7f) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				put(w, esc, 6);
			} else {
				put(w, (const char *)s + i, 1);
			}
		} else if (n == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
			   (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			/* U+2028/U+2029 end lines for JavaScript and some log shippers */
			put(w, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
		} else {
			put(w, (const char *)s + i, n);
		}
		i += n;
	}
	put(w, "\"", 1);
}

void json_key(struct json_writer *w, const char *key)
{
	value_prefix(w);
	put_escaped(w, key, strlen(key));
	put(w, ":", 1);
	/* the value that follows must not add a comma */
	w->need_comma[w->depth] = false;
}

void json_string_len(struct json_writer *w, const char *s, size_t len)
{
	value_prefix(w);
	put_escaped(w, s, len);
}

void json_string(struct json_writer *w, const char *s)
{
	json_string_len(w, s, strlen(s));
}

void json_u64(struct json_writer *w, uint64_t v)
{
	char num[24];

	value_prefix(w);
	put(w, num, snprintf(num, sizeof(num), "%" PRIu64, v));
}

void json_i64(struct json_writer *w, int64_t v)
{
	char num[24];

	value_prefix(w);
	put(w, num, snprintf(num, sizeof(num), "%" PRId64, v));
}

void json_bool(struct json_writer *w, bool v)
{
	value_prefix(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct json_writer *w)
{
	value_prefix(w);
	put(w, "null", 4);
}

void json_newline(struct json_writer *w)
{
	put(w, "\n", 1);
	w->need_comma[w->depth] = false;
}

void json_member_string(struct json_writer *w, const char *key, const char *value)
{
	if (!value)
		return;
	json_key(w, key);
	json_string(w, value);
}

void json_member_u64(struct json_writer *w, const char *key, uint64_t value)
{
	json_key(w, key);
	json_u64(w, value);
}

void json_member_bool(struct json_writer *w, const char *key, bool value)
{
	json_key(w, key);
	json_bool(w, value);
}

void json_writer_raw(struct json_writer *w, const char *s, size_t n)
{
	put(w, s, n);
}
