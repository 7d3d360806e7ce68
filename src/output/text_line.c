// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A terminal line's fields, escaped and cut to their widths (text_line.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/utf8.h"
#include "output/text_line.h"

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, one column */

void text_line_begin(struct text_line *l, struct json_writer *w, size_t max)
{
	*l = (struct text_line){.w = w, .max = max};
}

/*
 * The code point at s (at most n bytes), its length in *used; -1 for a byte that begins no
 * valid UTF-8 sequence (utf8_sequence_len(): overlong, a surrogate, past U+10FFFF, cut short).
 */
static int32_t decode(const unsigned char *s, size_t n, size_t *used)
{
	size_t len = utf8_sequence_len(s, n);
	uint32_t cp;

	*used = 1;
	if (!len)
		return -1;
	cp = len == 1 ? s[0] : s[0] & (0xff >> (len + 1));
	for (size_t i = 1; i < len; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	*used = len;
	return (int32_t)cp;
}

/*
 * Whether a code point is shown as an escape: C0, DEL, C1, the backslash, the line and
 * paragraph separators, and the marks, embeddings, overrides and isolates that reorder what
 * follows them (Unicode's bidirectional controls).
 */
static bool escaped(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == '\\' || cp == 0x200e ||
	       cp == 0x200f || cp == 0x061c || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/* The escape for a code point (or, cp < 0, for the byte b), into out: its length. */
static size_t escape(int32_t cp, unsigned char b, char out[16])
{
	if (cp < 0)
		return (size_t)snprintf(out, 16, "\\x%02x", b);
	switch (cp) {
	case '\\': return (size_t)snprintf(out, 16, "\\\\");
	case '\n': return (size_t)snprintf(out, 16, "\\n");
	case '\t': return (size_t)snprintf(out, 16, "\\t");
	case '\r': return (size_t)snprintf(out, 16, "\\r");
	case 0x1b: return (size_t)snprintf(out, 16, "\\e");
	}
	if (cp < 0x80)
		return (size_t)snprintf(out, 16, "\\x%02x", (unsigned int)cp);
	return (size_t)snprintf(out, 16, "\\u{%04x}", (unsigned int)cp);
}

/* Columns left for a field of width (0: the rest of the line; SIZE_MAX: no bound). */
static size_t room(const struct text_line *l, size_t width)
{
	size_t left = l->max ? (l->max > l->cols ? l->max - l->cols : 0) : SIZE_MAX;

	return width && width < left ? width : left;
}

/* The piece of s at i as shown (itself, or its escape in esc): its columns; *n its bytes. */
static size_t piece_at(const char *s, size_t len, size_t i, char esc[16], const char **piece,
		       size_t *n)
{
	const unsigned char *u = (const unsigned char *)s;
	int32_t cp = decode(u + i, len - i, n);

	if (cp >= 0 && !escaped((uint32_t)cp)) {
		*piece = s + i;
		return 1;
	}
	*piece = esc;
	return escape(cp, u[i], esc);
}

static size_t shown_cols(const char *s, size_t len)
{
	size_t cols = 0;

	for (size_t i = 0, n; i < len; i += n) {
		char esc[16];
		const char *piece;

		cols += piece_at(s, len, i, esc, &piece, &n);
	}
	return cols;
}

void text_line_put(struct text_line *l, const char *s, size_t len, size_t width, bool pad)
{
	size_t limit = room(l, width), total, budget, used = 0;

	if (l->full || !limit)
		return;
	total = shown_cols(s, len);
	budget = total <= limit ? total : limit - 1; /* a column for the "…" */
	for (size_t i = 0, n; i < len; i += n) {
		char esc[16];
		const char *piece;
		size_t cols = piece_at(s, len, i, esc, &piece, &n);

		if (used + cols > budget)
			break;
		json_writer_raw(l->w, piece, piece == esc ? cols : n);
		used += cols;
	}
	if (total > limit) {
		json_writer_raw(l->w, ELLIPSIS, sizeof(ELLIPSIS) - 1);
		used++;
	}
	for (; pad && used < width && used < limit; used++)
		json_writer_raw(l->w, " ", 1);
	l->cols += used;
	l->full = l->max && l->cols >= l->max;
}

void text_line_put_tail(struct text_line *l, const char *s, size_t len, size_t width, bool pad)
{
	size_t limit = room(l, width), total, skip = 0, from = 0;

	if (l->full || !limit)
		return;
	total = shown_cols(s, len);
	if (total > limit) {
		/* what is left of the columns once "…" took one: the first pieces go */
		for (size_t n; from < len && total - skip > limit - 1; from += n) {
			char esc[16];
			const char *piece;

			skip += piece_at(s, len, from, esc, &piece, &n);
		}
		json_writer_raw(l->w, ELLIPSIS, sizeof(ELLIPSIS) - 1);
		l->cols++;
		width = width ? width - 1 : 0;
	}
	text_line_put(l, s + from, len - from, width, pad);
}

void text_line_str(struct text_line *l, const char *s, size_t width, bool pad)
{
	if (!s || !*s)
		s = "-";
	text_line_put(l, s, strlen(s), width, pad);
}

void text_line_sgr(struct text_line *l, const char *params)
{
	json_writer_raw(l->w, "\033[", 2);
	json_writer_raw(l->w, params, strlen(params));
	json_writer_raw(l->w, "m", 1);
}

void text_line_end(struct text_line *l)
{
	json_writer_raw(l->w, "\n", 1);
}
