// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Untrusted JSON strings made C strings, whole (json_text.h). */
#include <stdlib.h>
#include <string.h>

#include "enrich/json_text.h"

char *json_text_dup(const json_t *s)
{
	const char *v = json_string_value(s);
	size_t len = json_string_length(s), o = 0;
	char *out;

	if (!v)
		return NULL;
	out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (v[i]) {
			out[o++] = v[i];
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
		}
	}
	out[o] = '\0';
	return out;
}
