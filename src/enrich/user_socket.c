// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "enrich/user_socket.h"

int user_socket_path(const char *template, unsigned int uid, char *out, size_t size)
{
	size_t used = 0;
	int uids = 0;

	for (const char *t = template; *t; t++) {
		char piece[16];
		int n;

		if (*t != '%') {
			piece[0] = *t;
			piece[1] = '\0';
		} else if (t[1] == 'u') {
			snprintf(piece, sizeof(piece), "%u", uid);
			uids++;
			t++;
		} else if (t[1] == '%') {
			snprintf(piece, sizeof(piece), "%%");
			t++;
		} else {
			return -EINVAL;
		}
		n = strlen(piece);
		if (used + n >= size)
			return -ENAMETOOLONG;
		memcpy(out + used, piece, n + 1);
		used += n;
	}
	return uids == 1 ? 0 : -EINVAL;
}
