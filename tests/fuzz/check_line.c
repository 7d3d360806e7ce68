// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "check_line.h"

void fuzz_check_line(const char *buf, size_t len)
{
	json_t *root;

	if (len == 0 || buf[len - 1] != '\n' || memchr(buf, '\n', len - 1))
		abort();
	root = json_loadb(buf, len - 1, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root))
		abort();
	json_decref(root);
}
