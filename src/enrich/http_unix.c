// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * HTTP/1.1 GET on a unix socket. The request is ours to write (one line and three headers); the
 * response is parsed by http-parser, the parser Node.js used for a decade (Debian's
 * libhttp-parser). libcurl would do both, at ~8.5 MiB more RSS (33 shared libraries, TLS
 * included, measured): more than all of ctrwatch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <http_parser.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/buffer.h"
#include "common/clock.h"
#include "enrich/http_unix.h"

#define BODY_FIRST 4096

struct http_reply_parser {
	http_parser parser;
	http_parser_settings settings;
	size_t max_body;
	bool complete;
	bool too_big;
	char *body;
	size_t len, cap;
};

static int on_body(http_parser *hp, const char *at, size_t len)
{
	struct http_reply_parser *p = hp->data;

	if (len > p->max_body - p->len) {
		p->too_big = true;
		return -1;
	}
	/* one byte more for the NUL that makes the body a C string for the JSON parser */
	if (buffer_reserve(&p->body, &p->cap, p->len + len + 1, BODY_FIRST))
		return -1;
	memcpy(p->body + p->len, at, len);
	p->len += len;
	return 0;
}

static int on_message_complete(http_parser *hp)
{
	struct http_reply_parser *p = hp->data;

	p->complete = true;
	return 0;
}

struct http_reply_parser *http_reply_parser_new(size_t max_body)
{
	struct http_reply_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	http_parser_init(&p->parser, HTTP_RESPONSE);
	p->parser.data = p;
	http_parser_settings_init(&p->settings);
	p->settings.on_body = on_body;
	p->settings.on_message_complete = on_message_complete;
	p->max_body = max_body;
	return p;
}

void http_reply_parser_free(struct http_reply_parser *p)
{
	if (!p)
		return;
	free(p->body);
	free(p);
}

int http_reply_parser_feed(struct http_reply_parser *p, const char *data, size_t len, char *err)
{
	size_t n;

	if (p->complete)
		return 1; /* what follows a complete response is not ours to read */
	n = http_parser_execute(&p->parser, &p->settings, data, len);
	if (p->too_big) {
		snprintf(err, HTTP_UNIX_ERROR_MAX, "response body over %zu bytes", p->max_body);
		return -EMSGSIZE;
	}
	if (p->complete)
		return 1;
	if (HTTP_PARSER_ERRNO(&p->parser) != HPE_OK || n != len) {
		snprintf(err, HTTP_UNIX_ERROR_MAX, "bad HTTP response: %s",
			 http_errno_description(HTTP_PARSER_ERRNO(&p->parser)));
		return -EPROTO;
	}
	if (len == 0) {
		snprintf(err, HTTP_UNIX_ERROR_MAX, "connection closed before the response ended");
		return -EPROTO;
	}
	return 0;
}

void http_reply_parser_take(struct http_reply_parser *p, struct http_reply *reply)
{
	reply->status = (int)p->parser.status_code;
	reply->body = p->body ? p->body : calloc(1, 1);
	reply->len = p->body ? p->len : 0;
	if (reply->body)
		reply->body[reply->len] = '\0';
	p->body = NULL;
	p->len = p->cap = 0;
}

void http_reply_free(struct http_reply *reply)
{
	free(reply->body);
	memset(reply, 0, sizeof(*reply));
}

/* Waits for events on fd until deadline: 0, or -ETIMEDOUT. */
static int wait_for(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};

	for (;;) {
		int64_t left = deadline - clock_monotonic_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int connect_unix(const char *socket_path, int64_t deadline, int *fd_out, char *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	socklen_t elen = sizeof(int);
	int fd, rc, soerr = 0;

	if (strlen(socket_path) >= sizeof(addr.sun_path)) {
		snprintf(err, HTTP_UNIX_ERROR_MAX, "socket path too long");
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	if (rc && errno == EAGAIN) { /* a full backlog: wait for room */
		rc = wait_for(fd, POLLOUT, deadline);
		if (!rc && !getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen) && soerr)
			rc = -soerr;
	} else if (rc) {
		rc = -errno;
	}
	if (rc) {
		snprintf(err, HTTP_UNIX_ERROR_MAX, "connect unix:%s: %s", socket_path,
			 strerror(-rc));
		close(fd);
		/* an absent socket is an engine that is not there: not answering, like a refusal */
		return rc == -ENOENT ? -ECONNREFUSED : rc;
	}
	*fd_out = fd;
	return 0;
}

/*
 * Whether the process that listens on fd's peer socket runs as owner (SO_PEERCRED: its
 * credentials when it called listen(2)), for a socket a user controls: a link or a rebind to
 * anyone else's socket is refused before a byte is sent. -EPERM with err saying whose it is.
 */
static int check_owner(int fd, uid_t owner, const char *socket_path, char *err)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		snprintf(err, HTTP_UNIX_ERROR_MAX, "unix:%s: SO_PEERCRED: %s", socket_path,
			 strerror(errno));
		return -EPERM;
	}
	if (cred.uid == owner)
		return 0;
	snprintf(err, HTTP_UNIX_ERROR_MAX, "unix:%s is served by uid %u, not by uid %u: not asked",
		 socket_path, (unsigned int)cred.uid, (unsigned int)owner);
	return -EPERM;
}

static int send_all(int fd, const char *buf, size_t len, int64_t deadline, char *err)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		int rc;

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(err, HTTP_UNIX_ERROR_MAX, "send: %s", strerror(errno));
			return -ECONNREFUSED;
		}
		rc = wait_for(fd, POLLOUT, deadline);
		if (rc)
			return rc;
	}
	return 0;
}

static int receive(int fd, struct http_reply_parser *p, int64_t deadline, char *err)
{
	char buf[16384];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		int rc;

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			rc = wait_for(fd, POLLIN, deadline);
			if (rc)
				return rc;
			continue;
		}
		if (n < 0) {
			snprintf(err, HTTP_UNIX_ERROR_MAX, "recv: %s", strerror(errno));
			return -EPROTO;
		}
		rc = http_reply_parser_feed(p, buf, (size_t)n, err);
		if (rc)
			return rc < 0 ? rc : 0;
	}
}

int http_unix_get(const char *socket_path, const char *target, int timeout_ms, size_t max_body,
		  struct http_reply *reply, char *err)
{
	return http_unix_get_owned(socket_path, HTTP_UNIX_ANY_OWNER, target, timeout_ms, max_body,
				   reply, err);
}

int http_unix_get_owned(const char *socket_path, uid_t owner, const char *target, int timeout_ms,
			size_t max_body, struct http_reply *reply, char *err)
{
	int64_t deadline = clock_monotonic_ms() + timeout_ms;
	struct http_reply_parser *p = NULL;
	char request[1024];
	int fd = -1, rc, n;

	memset(reply, 0, sizeof(*reply));
	n = snprintf(request, sizeof(request),
		     "GET %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: ctrwatch\r\n"
		     "Connection: close\r\n\r\n",
		     target);
	if (n < 0 || (size_t)n >= sizeof(request)) {
		snprintf(err, HTTP_UNIX_ERROR_MAX, "request target too long");
		return -ENAMETOOLONG;
	}
	p = http_reply_parser_new(max_body);
	if (!p)
		return -ENOMEM;
	rc = connect_unix(socket_path, deadline, &fd, err);
	if (rc)
		goto out;
	if (owner != HTTP_UNIX_ANY_OWNER)
		rc = check_owner(fd, owner, socket_path, err);
	if (!rc)
		rc = send_all(fd, request, (size_t)n, deadline, err);
	if (!rc)
		rc = receive(fd, p, deadline, err);
	if (rc == -ETIMEDOUT)
		snprintf(err, HTTP_UNIX_ERROR_MAX, "deadline of %d ms exceeded", timeout_ms);
	if (!rc)
		http_reply_parser_take(p, reply);
	if (!rc && !reply->body)
		rc = -ENOMEM;
	close(fd);
out:
	http_reply_parser_free(p);
	return rc;
}
