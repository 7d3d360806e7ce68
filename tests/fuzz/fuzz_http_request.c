// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: what the metrics server reads of any client's bytes. http_head_end() must
 * end a head only on a blank line inside the bytes; a request line it accepts has a method of
 * upper-case letters and a path that is "" or starts with '/', both NUL-terminated, with no
 * byte that ends a path inside it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/http_request.h"

static void check_head_end(const char *buf, size_t size)
{
	size_t end = http_head_end(buf, size);

	if (end > size || (end && end < 2))
		abort();
	if (end &&
	    !(buf[end - 1] == '\n' &&
	      (buf[end - 2] == '\n' || (end >= 3 && buf[end - 2] == '\r' && buf[end - 3] == '\n'))))
		abort();
	/* whole is whole with more bytes after it: a head never ends later than it did */
	if (end && end < size && http_head_end(buf, end) != end)
		abort();
}

static void check_request_line(const char *buf, size_t size)
{
	struct http_request req;

	if (http_request_line_parse(buf, size, &req))
		return;
	if (!memchr(req.method, '\0', sizeof(req.method)) || !req.method[0] ||
	    !memchr(req.path, '\0', sizeof(req.path)))
		abort();
	for (const char *m = req.method; *m; m++)
		if (*m < 'A' || *m > 'Z')
			abort();
	if (req.path[0] && req.path[0] != '/')
		abort();
	if (strpbrk(req.path, " ?\r\n\t"))
		abort();
	/* the line as parsed starts the bytes: method, one space, the path */
	if (memcmp(buf, req.method, strlen(req.method)) || buf[strlen(req.method)] != ' ')
		abort();
	if (req.path[0] && memcmp(buf + strlen(req.method) + 1, req.path, strlen(req.path)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the server's buffer is NUL-terminated after what was read: so is this copy */
	char *buf = malloc(size + 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	check_head_end(buf, size);
	check_request_line(buf, size);
	free(buf);
	return 0;
}
