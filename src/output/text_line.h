/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_TEXT_LINE_H
#define CTRWATCH_TEXT_LINE_H

#include <stdbool.h>
#include <stddef.h>

#include "output/json_writer.h"

/*
 * One line for a person at a terminal (--format text), built into a json_writer's buffer.
 * Whatever bytes a field is given, what reaches the terminal is printable text: control
 * characters (C0, DEL, C1), the bidirectional overrides and isolates, the line and paragraph
 * separators, invalid UTF-8 and the backslash are written as escapes (\e, \n, \t, \xNN,
 * \u{XXXX}, \\), so a container's name cannot move the cursor, recolour the screen, reorder
 * what is shown or start a line of its own. Only text_line_sgr() writes an escape sequence of
 * its own. Columns are counted as one per character (a wide character is counted as one).
 */
struct text_line {
	struct json_writer *w;
	size_t cols; /* visible columns written so far */
	size_t max;  /* the line's width; 0: no bound */
	bool full;   /* cut at max: nothing visible is added any more */
};

void text_line_begin(struct text_line *l, struct json_writer *w, size_t max);
/*
 * len bytes of s, escaped, in at most width columns (0: as many as the line has left): cut
 * with "…" when longer; with pad, spaces up to width.
 */
void text_line_put(struct text_line *l, const char *s, size_t len, size_t width, bool pad);
/* As text_line_put(), but a long one keeps its end: "…" and its last columns. */
void text_line_put_tail(struct text_line *l, const char *s, size_t len, size_t width, bool pad);
/* A NUL-terminated string as text_line_put(); NULL as "-". */
void text_line_str(struct text_line *l, const char *s, size_t width, bool pad);
/* One of ctrwatch's own SGR sequences ("1;31"), or the reset (""); never counted. */
void text_line_sgr(struct text_line *l, const char *params);
/* Ends the line: a newline. */
void text_line_end(struct text_line *l);

#endif
