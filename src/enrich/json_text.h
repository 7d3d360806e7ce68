/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_JSON_TEXT_H
#define CTRWATCH_JSON_TEXT_H

#include <jansson.h>

/*
 * A JSON string as a C string (malloc'ed; NULL when s is no string, or out of memory). JSON
 * may carry U+0000 ("\u0000", which Go writes for a NUL in a label); a C string would end there
 * and hide what follows, so it becomes U+FFFD, as every byte that cannot be printed does.
 */
char *json_text_dup(const json_t *s);

#endif
