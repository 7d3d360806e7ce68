// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* json_writer: escaping of hostile bytes, UTF-8 repair, structure and commas. */
#include "output/json_writer.h"
#include "test.h"

struct string_case {
	const char *name;
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *out;
};

static const struct string_case strings[] = {
    {"plain ascii", "web-1", 0, "\"web-1\""},
    {"empty", "", 0, "\"\""},
    {"quote and backslash", "a\"b\\c", 0, "\"a\\\"b\\\\c\""},
    {"forged field", "x\",\"event\":\"forged", 0, "\"x\\\",\\\"event\\\":\\\"forged\""},
    {"newline cannot split the line", "a\nb\rc", 0, "\"a\\nb\\rc\""},
    {"tab", "a\tb", 0, "\"a\\tb\""},
    {"control bytes", "\x01\x1f\x7f", 0, "\"\\u0001\\u001f\\u007f\""},
    {"embedded NUL", "a\0b", 3, "\"a\\u0000b\""},
    {"valid 2-byte", "caf\xc3\xa9", 0, "\"caf\xc3\xa9\""},
    {"valid 3-byte", "\xe2\x82\xac", 0, "\"\xe2\x82\xac\""},
    {"valid 4-byte", "\xf0\x9f\x90\xb3", 0, "\"\xf0\x9f\x90\xb3\""},
    {"U+2028 and U+2029 escaped",
     "a\xe2\x80\xa8"
     "b\xe2\x80\xa9",
     0, "\"a\\u2028b\\u2029\""},
    {"lone continuation byte", "a\x80z", 0, "\"a\xef\xbf\xbdz\""},
    {"invalid lead byte", "\xff", 0, "\"\xef\xbf\xbd\""},
    {"overlong slash", "\xc0\xaf", 0, "\"\xef\xbf\xbd\xef\xbf\xbd\""},
    {"overlong 3-byte", "\xe0\x80\xaf", 0, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
    {"surrogate", "\xed\xa0\x80", 0, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
    {"above U+10FFFF", "\xf4\x90\x80\x80", 0,
     "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
    {"truncated sequence at end", "ab\xe2\x82", 0, "\"ab\xef\xbf\xbd\xef\xbf\xbd\""},
    {"truncated sequence before quote", "\xe2\"", 0, "\"\xef\xbf\xbd\\\"\""},
    {"invalid byte before newline", "\xc3\n", 0, "\"\xef\xbf\xbd\\n\""},
};

static void check_string(struct json_writer *w, const struct string_case *c)
{
	json_writer_reset(w);
	json_string_len(w, c->in, c->len ? c->len : strlen(c->in));
	ASSERT_TRUE(!json_writer_failed(w));
	ASSERT_STREQ(w->buf, c->out);
}

int main(void)
{
	struct json_writer w;

	json_writer_init(&w);
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		SUBTEST (strings[i].name)
			check_string(&w, &strings[i]);

	SUBTEST ("object, nested object and array, commas") {
		json_writer_reset(&w);
		json_object_begin(&w);
		json_key(&w, "a");
		json_u64(&w, 18446744073709551615ull);
		json_key(&w, "b");
		json_object_begin(&w);
		json_key(&w, "c");
		json_bool(&w, true);
		json_key(&w, "d");
		json_null(&w);
		json_object_end(&w);
		json_key(&w, "e");
		json_array_begin(&w);
		json_string(&w, "x");
		json_i64(&w, -5);
		json_array_begin(&w);
		json_array_end(&w);
		json_array_end(&w);
		json_object_end(&w);
		json_newline(&w);
		ASSERT_STREQ(w.buf, "{\"a\":18446744073709551615,\"b\":{\"c\":true,\"d\":null},"
				    "\"e\":[\"x\",-5,[]]}\n");
	}
	SUBTEST ("two lines from one writer after reset") {
		json_writer_reset(&w);
		json_object_begin(&w);
		json_object_end(&w);
		json_newline(&w);
		json_writer_reset(&w);
		json_object_begin(&w);
		json_key(&w, "k");
		json_string(&w, "v");
		json_object_end(&w);
		ASSERT_STREQ(w.buf, "{\"k\":\"v\"}");
	}
	SUBTEST ("hostile key is escaped too") {
		json_writer_reset(&w);
		json_object_begin(&w);
		json_key(&w, "a\"\n");
		json_u64(&w, 1);
		json_object_end(&w);
		ASSERT_STREQ(w.buf, "{\"a\\\"\\n\":1}");
	}
	SUBTEST ("nesting deeper than the limit fails instead of overflowing") {
		json_writer_reset(&w);
		for (int i = 0; i < JSON_DEPTH_MAX + 2; i++)
			json_array_begin(&w);
		ASSERT_TRUE(json_writer_failed(&w));
	}
	SUBTEST ("a long string grows the buffer") {
		char big[5000];

		memset(big, '\n', sizeof(big));
		json_writer_reset(&w);
		json_string_len(&w, big, sizeof(big));
		ASSERT_EQ(w.len, 2 + 2 * sizeof(big));
		ASSERT_TRUE(strchr(w.buf, '\n') == NULL);
	}
	json_writer_free(&w);
	return test_summary("test_json_writer");
}
