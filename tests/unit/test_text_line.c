// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* --format text's fields: what a terminal is shown for what a container gave, and widths. */
#include <string.h>

#include "output/text_line.h"
#include "test.h"

/* One field of width (pad or not) on a line of max columns, as written. */
static const char *shown(const char *in, size_t len, size_t width, bool pad, size_t max)
{
	static struct json_writer w;
	struct text_line l;

	json_writer_free(&w);
	json_writer_init(&w);
	text_line_begin(&l, &w, max);
	text_line_put(&l, in, len, width, pad);
	return w.buf ? w.buf : "";
}

int main(void)
{
	static const struct {
		const char *what, *in;
		size_t width, max;
		bool pad;
		const char *want;
	} cases[] = {
	    {"plain text as it is", "web-1", 0, 0, false, "web-1"},
	    {"UTF-8 as it is", "caf\xc3\xa9 \xe6\x97\xa5", 0, 0, false, "caf\xc3\xa9 \xe6\x97\xa5"},
	    {"ESC and its sequence", "\x1b[2J", 0, 0, false, "\\e[2J"},
	    {"newline, tab, return", "a\nb\tc\rd", 0, 0, false, "a\\nb\\tc\\rd"},
	    {"other C0, DEL", "\x07\x7f", 0, 0, false, "\\x07\\x7f"},
	    {"the backslash itself", "a\\nb", 0, 0, false, "a\\\\nb"},
	    {"C1 CSI (U+009B)",
	     "\xc2\x9b"
	     "31m",
	     0, 0, false, "\\u{009b}31m"},
	    {"bidi override and isolate",
	     "\xe2\x80\xae"
	     "x\xe2\x81\xa6",
	     0, 0, false, "\\u{202e}x\\u{2066}"},
	    {"line separator", "\xe2\x80\xa8", 0, 0, false, "\\u{2028}"},
	    {"invalid byte", "\xff", 0, 0, false, "\\xff"},
	    {"overlong NUL", "\xc0\x80", 0, 0, false, "\\xc0\\x80"},
	    {"a surrogate", "\xed\xa0\x80", 0, 0, false, "\\xed\\xa0\\x80"},
	    {"cut short at the end", "ab\xe2\x80", 0, 0, false, "ab\\xe2\\x80"},
	    {"padded to its width", "ab", 5, 0, true, "ab   "},
	    {"exactly its width: no cut", "abcde", 5, 0, true, "abcde"},
	    {"longer: cut with an ellipsis", "abcdef", 5, 0, true, "abcd\xe2\x80\xa6"},
	    {"an escape is not split", "abc\x1b", 4, 0, false, "abc\xe2\x80\xa6"},
	    {"an escape that fits is whole", "abc\x1b", 5, 0, false, "abc\\e"},
	    {"a character is not split",
	     "abcd\xc3\xa9"
	     "f",
	     5, 0, false, "abcd\xe2\x80\xa6"},
	    {"the line's width bounds a field of none", "abcdefgh", 0, 6, false,
	     "abcde\xe2\x80\xa6"},
	    {"and a field wider than the line", "abcdefgh", 20, 4, true, "abc\xe2\x80\xa6"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		SUBTEST (cases[i].what) {
			ASSERT_STREQ(shown(cases[i].in, strlen(cases[i].in), cases[i].width,
					   cases[i].pad, cases[i].max),
				     cases[i].want);
		}
	}
	SUBTEST ("a long image keeps its end") {
		static const struct {
			const char *in;
			size_t width;
			const char *want;
		} tails[] = {
		    {"busybox:1", 10, "busybox:1 "},
		    {"docker.io/library/busybox:1.36", 13,
		     "\xe2\x80\xa6"
		     "busybox:1.36"},
		    {"a/\x1b[2J:x", 8,
		     "\xe2\x80\xa6"
		     "\\e[2J:x"},
		};
		struct json_writer w;
		struct text_line l;

		for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
			json_writer_init(&w);
			text_line_begin(&l, &w, 0);
			text_line_put_tail(&l, tails[i].in, strlen(tails[i].in), tails[i].width,
					   true);
			ASSERT_STREQ(w.buf, tails[i].want);
			json_writer_free(&w);
		}
	}
	SUBTEST ("a NUL inside is escaped, not an end") {
		ASSERT_STREQ(shown("a\0b", 3, 0, 0, false), "a\\x00b");
	}
	SUBTEST ("a full line takes nothing more; colour is never counted") {
		struct json_writer w;
		struct text_line l;

		json_writer_init(&w);
		text_line_begin(&l, &w, 4);
		text_line_sgr(&l, "1;31");
		text_line_str(&l, "abcd", 0, false);
		text_line_sgr(&l, "");
		text_line_str(&l, "more", 0, false);
		text_line_end(&l);
		ASSERT_STREQ(w.buf, "\x1b[1;31mabcd\x1b[m\n");
		json_writer_free(&w);
	}
	SUBTEST ("NULL and empty are shown as -") {
		struct json_writer w;
		struct text_line l;

		json_writer_init(&w);
		text_line_begin(&l, &w, 0);
		text_line_str(&l, NULL, 3, true);
		text_line_str(&l, "", 0, false);
		ASSERT_STREQ(w.buf, "-  -");
		json_writer_free(&w);
	}
	return test_summary("test_text_line");
}
