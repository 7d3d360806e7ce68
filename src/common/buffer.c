// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>

#include "common/buffer.h"

int buffer_reserve(char **buf, size_t *cap, size_t want, size_t first)
{
	size_t grown = *cap ? *cap : first;
	char *p;

	if (want <= *cap)
		return 0;
	while (grown < want)
		grown *= 2;
	p = realloc(*buf, grown);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = grown;
	return 0;
}
