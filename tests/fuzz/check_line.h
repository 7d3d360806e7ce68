/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CHECK_LINE_H
#define CTRWATCH_CHECK_LINE_H

#include <stddef.h>

/*
 * What every fuzzed line must be: one JSON object that a real parser (jansson) accepts, on one
 * line, ending in a newline. Aborts otherwise. Apart from json_writer.h, whose names jansson's
 * would clash with.
 */
void fuzz_check_line(const char *buf, size_t len);

struct json_writer;
struct event;
/* Encodes ev in every --format with w and checks each line (check_formats.c). */
void fuzz_check_every_format(struct json_writer *w, const struct event *ev);

/*
 * A --format text line: one line, only ctrwatch's own colour sequences, nothing else a terminal
 * obeys, at most width columns (0: no bound) (check_text.c). Aborts otherwise.
 */
void fuzz_check_text_line(const char *buf, size_t len, size_t width);

#endif
