/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_HTTP_REQUEST_H
#define CTRWATCH_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

/*
 * What the metrics server reads of a request, from bytes any client that reaches the port sends
 * (http_request.c): where its head ends, and its request line's method and path. Nothing else
 * of a request is used. Pure, so that it is unit tested and fuzzed on its own.
 */
#define HTTP_METHOD_MAX 8
#define HTTP_PATH_MAX	32

struct http_request {
	char method[HTTP_METHOD_MAX]; /* "GET", "HEAD", ...: upper-case letters */
	char path[HTTP_PATH_MAX];     /* without its query; "" when longer than fits */
};

/*
 * The length of the head (through its blank line) in buf[0..len), or 0 while it is not whole.
 * A line ends in "\n" or "\r\n", as RFC 9112 lets a server accept: "\r\n\r\n", "\n\n",
 * "\n\r\n" and "\r\n\n" all end a head.
 */
size_t http_head_end(const char *buf, size_t len);

/*
 * "METHOD SP PATH[?QUERY] SP ..." at buf's start: 0, or -EINVAL when it is not a request line
 * (no method of 1 to 7 upper-case letters, not one space, or a path not starting with '/').
 * A path too long for req->path is returned as "" (no such path is served).
 */
int http_request_line_parse(const char *buf, size_t len, struct http_request *req);

#endif
