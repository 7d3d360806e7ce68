/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_UTF8_H
#define CTRWATCH_UTF8_H

#include <stddef.h>

/*
 * Length of the valid UTF-8 sequence at s (1 to 4), or 0 if the bytes there are not one:
 * overlong forms, surrogates and code points above U+10FFFF are invalid (RFC 3629).
 */
size_t utf8_sequence_len(const unsigned char *s, size_t avail);
/*
 * A malloc'ed copy of the NUL-terminated s with each byte that starts no valid sequence replaced
 * by U+FFFD, as the JSON encoder writes it: two strings that print alike compare alike. NULL
 * when out of memory.
 */
char *utf8_repaired(const char *s);

#endif
