// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The request head's end and its request line, from a client's bytes (http_request.h). */
#include <errno.h>
#include <string.h>

#include "metrics/http_request.h"

size_t http_head_end(const char *buf, size_t len)
{
	/* a '\n', an optional '\r', a '\n': the blank line after the last header, either style */
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static bool is_path_end(char c)
{
	return c == ' ' || c == '?' || c == '\r' || c == '\n' || c == '\t' || c == '\0';
}

int http_request_line_parse(const char *buf, size_t len, struct http_request *req)
{
	size_t i = 0, m = 0, p = 0;

	memset(req, 0, sizeof(*req));
	while (i < len && buf[i] >= 'A' && buf[i] <= 'Z') {
		if (m == HTTP_METHOD_MAX - 1)
			return -EINVAL;
		req->method[m++] = buf[i++];
	}
	if (m == 0 || i >= len || buf[i] != ' ')
		return -EINVAL;
	i++;
	if (i >= len || buf[i] != '/')
		return -EINVAL;
	for (; i < len && !is_path_end(buf[i]); i++) {
		if (p < HTTP_PATH_MAX - 1)
			req->path[p] = buf[i];
		p++;
	}
	if (p >= HTTP_PATH_MAX) /* longer than any path served: answered 404, never cut to one */
		memset(req->path, 0, sizeof(req->path));
	return 0;
}
