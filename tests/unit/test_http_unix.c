// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * enrich/http_unix.c: the response parser fed whole and byte by byte (Content-Length, chunked,
 * body until close, errors, a body over the limit), then GETs against a scripted server on a
 * unix socket (what the request carries, a stalling server, a server that closes early, none).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "enrich/http_unix.h"
#include "test.h"

#define CHUNKED_BODY "{\"Id\":\"abc\"}"

static const struct parse_case {
	const char *name;
	const char *response;
	size_t max_body;
	int rc; /* 1: complete */
	int status;
	const char *body;
	bool close_after; /* the peer closes: feed 0 bytes at the end */
} parse_cases[] = {
    {"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 100, 1, 200, "{}", false},
    {"chunked, as Go writes a large reply",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
     "5\r\n{\"Id\"\r\n7\r\n:\"abc\"}\r\n0\r\n\r\n",
     100, 1, 200, CHUNKED_BODY, false},
    {"404 with Docker's error body",
     "HTTP/1.1 404 Not Found\r\nContent-Length: 40\r\n\r\n{\"message\":\"No such container: abcdef\"}\n",
     100, 1, 404, "{\"message\":\"No such container: abcdef\"}\n", false},
    {"body until the connection closes (HTTP/1.0)", "HTTP/1.0 200 OK\r\n\r\n{\"a\":1}", 100, 1, 200,
     "{\"a\":1}", true},
    {"no body", "HTTP/1.1 204 No Content\r\n\r\n", 100, 1, 204, "", false},
    {"over the limit", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 9, -EMSGSIZE, 0,
     NULL, false},
    {"over the limit, chunked",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n",
     9, -EMSGSIZE, 0, NULL, false},
    {"exactly the limit", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n012345678", 9, 1, 200,
     "012345678", false},
    {"not HTTP", "SSH-2.0-OpenSSH_9.2\r\n", 100, -EPROTO, 0, NULL, false},
    {"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 100, -EPROTO,
     0, NULL, false},
    {"cut short: closed inside the body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234", 100,
     -EPROTO, 0, NULL, true},
    {"cut short: closed inside the headers", "HTTP/1.1 200 OK\r\nContent-Le", 100, -EPROTO, 0, NULL,
     true},
    {"what follows a complete response is ignored",
     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\n", 100, 1, 200, "{}", false},
};

/* Feeds the response in pieces of step bytes (0: whole). */
static int feed(const struct parse_case *c, size_t step, struct http_reply *reply)
{
	struct http_reply_parser *p = http_reply_parser_new(c->max_body);
	size_t len = strlen(c->response);
	char err[HTTP_UNIX_ERROR_MAX];
	int rc = 0;

	for (size_t off = 0; off < len && rc == 0; off += step ? step : len) {
		size_t n = step && len - off > step ? step : len - off;

		rc = http_reply_parser_feed(p, c->response + off, n, err);
	}
	if (rc == 0 && c->close_after)
		rc = http_reply_parser_feed(p, NULL, 0, err);
	if (rc == 1)
		http_reply_parser_take(p, reply);
	http_reply_parser_free(p);
	return rc;
}

static void test_parser(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];

		for (size_t step = 0; step <= 1; step++) {
			struct http_reply reply = {0};
			char name[160];

			snprintf(name, sizeof(name), "%s%s", c->name, step ? ", byte by byte" : "");
			SUBTEST (name) {
				int rc = feed(c, step, &reply);

				ASSERT_EQ(rc, c->rc);
				if (rc == 1) {
					ASSERT_EQ(reply.status, c->status);
					ASSERT_EQ(reply.len, strlen(c->body));
					ASSERT_STREQ(reply.body, c->body);
				}
			}
			http_reply_free(&reply);
		}
	}
}

enum scenario {
	ANSWER_CHUNKED, /* reads the request, answers in two writes, closes */
	STALL,		/* reads the request, never answers */
	CLOSE_EARLY,	/* reads the request, closes */
};

struct server {
	char path[108];
	int listen_fd;
	enum scenario scenario;
	pthread_t thread;
	char request[1024];
};

static void *serve(void *arg)
{
	struct server *sv = arg;
	int fd = accept(sv->listen_fd, NULL, NULL);
	size_t got = 0;

	if (fd < 0)
		return NULL;
	while (got < sizeof(sv->request) - 1 && !strstr(sv->request, "\r\n\r\n")) {
		ssize_t n = read(fd, sv->request + got, sizeof(sv->request) - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (sv->scenario == ANSWER_CHUNKED) {
		const char *a =
		    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"Id\"\r\n";
		const char *b = "7\r\n:\"abc\"}\r\n0\r\n\r\n";

		(void)!write(fd, a, strlen(a));
		usleep(20000);
		(void)!write(fd, b, strlen(b));
	} else if (sv->scenario == STALL) {
		usleep(400000);
	}
	close(fd);
	return NULL;
}

static int server_start(struct server *sv, enum scenario scenario)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	memset(sv, 0, sizeof(*sv));
	snprintf(sv->path, sizeof(sv->path), "/tmp/ctrwatch-test-http-%d.sock", getpid());
	unlink(sv->path);
	strcpy(addr.sun_path, sv->path);
	sv->scenario = scenario;
	sv->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (sv->listen_fd < 0 || bind(sv->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(sv->listen_fd, 1))
		return -1;
	return pthread_create(&sv->thread, NULL, serve, sv);
}

static void server_stop(struct server *sv)
{
	pthread_join(sv->thread, NULL);
	close(sv->listen_fd);
	unlink(sv->path);
}

static void test_get(void)
{
	struct http_reply reply = {0};
	char err[HTTP_UNIX_ERROR_MAX] = "";
	struct server sv;
	int rc;

	SUBTEST ("GET: the request line and headers, a chunked answer in two writes") {
		ASSERT_EQ(server_start(&sv, ANSWER_CHUNKED), 0);
		rc = http_unix_get(sv.path, "/containers/abc/json", 1000, 1024, &reply, err);
		server_stop(&sv);
		ASSERT_EQ(rc, 0);
		ASSERT_EQ(reply.status, 200);
		ASSERT_STREQ(reply.body, CHUNKED_BODY);
		ASSERT_TRUE(strncmp(sv.request, "GET /containers/abc/json HTTP/1.1\r\n", 35) == 0);
		ASSERT_TRUE(strstr(sv.request, "\r\nHost: localhost\r\n") != NULL);
		ASSERT_TRUE(strstr(sv.request, "\r\nConnection: close\r\n") != NULL);
		http_reply_free(&reply);
	}
	SUBTEST ("GET: a server that never answers meets the deadline") {
		ASSERT_EQ(server_start(&sv, STALL), 0);
		rc = http_unix_get(sv.path, "/version", 100, 1024, &reply, err);
		server_stop(&sv);
		ASSERT_EQ(rc, -ETIMEDOUT);
		ASSERT_TRUE(strstr(err, "deadline of 100 ms") != NULL);
	}
	SUBTEST ("GET: a server that closes without answering") {
		ASSERT_EQ(server_start(&sv, CLOSE_EARLY), 0);
		rc = http_unix_get(sv.path, "/version", 1000, 1024, &reply, err);
		server_stop(&sv);
		ASSERT_EQ(rc, -EPROTO);
	}
	SUBTEST ("GET: no socket is an engine not answering") {
		rc = http_unix_get("/tmp/ctrwatch-test-no-such.sock", "/version", 1000, 1024,
				   &reply, err);
		ASSERT_EQ(rc, -ECONNREFUSED);
		ASSERT_TRUE(strstr(err, "No such file") != NULL);
	}
	SUBTEST ("GET from an owner: a socket its owner serves answers") {
		ASSERT_EQ(server_start(&sv, ANSWER_CHUNKED), 0);
		rc = http_unix_get_owned(sv.path, getuid(), "/version", 1000, 1024, &reply, err);
		server_stop(&sv);
		ASSERT_EQ(rc, 0);
		ASSERT_STREQ(reply.body, CHUNKED_BODY);
		http_reply_free(&reply);
	}
	SUBTEST ("GET from an owner: anyone else's socket is refused before a byte is sent") {
		ASSERT_EQ(server_start(&sv, CLOSE_EARLY), 0);
		rc =
		    http_unix_get_owned(sv.path, getuid() + 1, "/version", 1000, 1024, &reply, err);
		server_stop(&sv);
		ASSERT_EQ(rc, -EPERM);
		ASSERT_STREQ(sv.request, "");
		ASSERT_TRUE(strstr(err, "is served by uid") != NULL);
	}
	SUBTEST ("GET: a socket path longer than a sockaddr holds") {
		char path[200];

		memset(path, 'x', sizeof(path) - 1);
		path[sizeof(path) - 1] = '\0';
		ASSERT_EQ(http_unix_get(path, "/version", 1000, 1024, &reply, err), -ENAMETOOLONG);
	}
}

int main(void)
{
	test_parser();
	test_get();
	return test_summary("test_http_unix");
}
