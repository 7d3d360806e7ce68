/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_HTTP_UNIX_H
#define CTRWATCH_HTTP_UNIX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define HTTP_UNIX_ERROR_MAX 144

/*
 * HTTP/1.1 GET on a unix socket: how the Docker Engine API (and Podman's, which copies it) is
 * reached. One request per connection ("Connection: close"): a lookup makes two, and a
 * connection kept across lookups would have to be checked for a restarted engine each time.
 * The response is parsed by http-parser (Content-Length, chunked, or body until close).
 */
struct http_reply {
	int status; /* HTTP status code */
	char *body; /* malloc'ed, NUL-terminated (the NUL is not counted in len) */
	size_t len;
};

/*
 * GETs target (an origin-form path) with a deadline of timeout_ms for the whole exchange and at
 * most max_body bytes of body. Returns 0 with reply filled whatever the HTTP status, or -errno
 * with err saying why: -ECONNREFUSED (nothing listens, or the socket is absent), -ETIMEDOUT,
 * -EPROTO (not HTTP, or cut short), -EMSGSIZE (body over max_body), -ENAMETOOLONG, -ENOMEM.
 */
int http_unix_get(const char *socket_path, const char *target, int timeout_ms, size_t max_body,
		  struct http_reply *reply, char *err);
/*
 * The same, on a socket its owner controls (a rootless engine's, in the user's runtime
 * directory): the listening process must run as owner, or -EPERM (nothing sent). An owner of
 * HTTP_UNIX_ANY_OWNER checks nothing.
 */
#define HTTP_UNIX_ANY_OWNER ((uid_t)-1)
int http_unix_get_owned(const char *socket_path, uid_t owner, const char *target, int timeout_ms,
			size_t max_body, struct http_reply *reply, char *err);
void http_reply_free(struct http_reply *reply);

/* The response parser alone, fed bytes as they come: fuzzed and unit tested on its own. */
struct http_reply_parser;

struct http_reply_parser *http_reply_parser_new(size_t max_body);
void http_reply_parser_free(struct http_reply_parser *p);
/*
 * Feeds len bytes (len 0: the peer closed). Returns 1 once the response is complete, 0 if more
 * is needed, -EPROTO or -EMSGSIZE (err filled) if it cannot be one.
 */
int http_reply_parser_feed(struct http_reply_parser *p, const char *data, size_t len, char *err);
/* Moves the complete response into reply (the parser keeps nothing). */
void http_reply_parser_take(struct http_reply_parser *p, struct http_reply *reply);

#endif
