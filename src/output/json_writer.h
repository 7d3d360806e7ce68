/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_JSON_WRITER_H
#define CTRWATCH_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_DEPTH_MAX 8

/*
 * Builds one JSON value into a growing buffer. Strings are written as RFC 8259 strings of valid
 * UTF-8 whatever bytes they are given: invalid sequences become U+FFFD, and every control
 * character, U+2028 and U+2029 is escaped, so no input can end a line or a string early.
 * Allocation failure is sticky: json_writer_failed() tells at the end.
 */
struct json_writer {
	char *buf;
	size_t len;
	size_t cap;
	int depth;
	bool need_comma[JSON_DEPTH_MAX + 1];
	bool failed;
};

void json_writer_init(struct json_writer *w);
void json_writer_reset(struct json_writer *w);
void json_writer_free(struct json_writer *w);
bool json_writer_failed(const struct json_writer *w);

void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
/* An object member's key; the value follows with one of the calls below. */
void json_key(struct json_writer *w, const char *key);
void json_string(struct json_writer *w, const char *s);
void json_string_len(struct json_writer *w, const char *s, size_t len);
void json_u64(struct json_writer *w, uint64_t v);
void json_i64(struct json_writer *w, int64_t v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);
/* An object member in one call; json_member_string writes nothing when value is NULL. */
void json_member_string(struct json_writer *w, const char *key, const char *value);
void json_member_u64(struct json_writer *w, const char *key, uint64_t value);
void json_member_bool(struct json_writer *w, const char *key, bool value);
/*
 * Bytes as they are, outside any JSON value: the text format's lines (text_line.c), which
 * escape what they are given before it gets here.
 */
void json_writer_raw(struct json_writer *w, const char *s, size_t n);
/* A raw newline, to end a JSON line; only outside any value. */
void json_newline(struct json_writer *w);

#endif
