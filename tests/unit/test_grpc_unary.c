// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The gRPC framing of enrich/grpc_unary.c against a scripted HTTP/2 server (nghttp2's server
 * side, in a thread, on a unix socket): replies in partial frames, errors in trailers and in
 * headers alone, GOAWAY, a reply over the limit, a peer that stalls, a connection closed between
 * calls, no server at all.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <nghttp2/nghttp2.h>

#include "enrich/grpc_unary.h"
#include "test.h"

enum scenario {
	REPLY_BYTEWISE,	 /* "hello" and grpc-status 0, written one byte at a time */
	ERROR_TRAILER,	 /* 200, no message, trailers grpc-status 5 "no%20such container" */
	TRAILERS_ONLY,	 /* one HEADERS frame: 200 and grpc-status 14 */
	GOAWAY_FIRST,	 /* the first connection: GOAWAY taking no stream; then replies */
	TOO_BIG,	 /* a message of 17 MiB */
	STALL,		 /* reads the call, never answers */
	HTTP_404,	 /* :status 404, no grpc-status */
	CLOSE_AFTER,	 /* replies, then closes the connection */
	COMPRESSED,	 /* a message flagged compressed */
	BAD_PREFIX,	 /* a length prefix longer than the message */
	NOT_GRPC_STATUS, /* grpc-status: "zero" */
};

struct server {
	char path[108];
	int listen_fd;
	enum scenario scenario;
	pthread_t thread;
	int connections;
	/* what the last call carried */
	char req_path[128], req_ns[64], req_type[64], req_te[16], req_timeout[16];
	uint8_t req_body[64];
	size_t req_body_len;
	/* per connection */
	int fd;
	uint8_t *reply;
	size_t reply_len, reply_sent;
	bool goaway_sent;
};

static ssize_t srv_send(nghttp2_session *session, const uint8_t *data, size_t len, int flags,
			void *user_data)
{
	struct server *sv = user_data;
	size_t chunk = sv->scenario == REPLY_BYTEWISE ? 1 : len;

	(void)session;
	(void)flags;
	for (size_t off = 0; off < len; off += chunk) {
		if (send(sv->fd, data + off, chunk, MSG_NOSIGNAL) < 0)
			return NGHTTP2_ERR_CALLBACK_FAILURE;
		if (chunk == 1)
			usleep(200);
	}
	return (ssize_t)len;
}

static void copy_value(char *dst, size_t size, const uint8_t *v, size_t len)
{
	snprintf(dst, size, "%.*s", (int)len, (const char *)v);
}

static int srv_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
		      size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
		      void *user_data)
{
	struct server *sv = user_data;

	(void)session;
	(void)frame;
	(void)flags;
	if (namelen == 5 && !memcmp(name, ":path", 5))
		copy_value(sv->req_path, sizeof(sv->req_path), value, valuelen);
	else if (namelen == 20 && !memcmp(name, "containerd-namespace", 20))
		copy_value(sv->req_ns, sizeof(sv->req_ns), value, valuelen);
	else if (namelen == 12 && !memcmp(name, "content-type", 12))
		copy_value(sv->req_type, sizeof(sv->req_type), value, valuelen);
	else if (namelen == 2 && !memcmp(name, "te", 2))
		copy_value(sv->req_te, sizeof(sv->req_te), value, valuelen);
	else if (namelen == 12 && !memcmp(name, "grpc-timeout", 12))
		copy_value(sv->req_timeout, sizeof(sv->req_timeout), value, valuelen);
	return 0;
}

static int srv_data(nghttp2_session *session, uint8_t flags, int32_t stream_id, const uint8_t *data,
		    size_t len, void *user_data)
{
	struct server *sv = user_data;

	(void)session;
	(void)flags;
	(void)stream_id;
	if (sv->req_body_len + len <= sizeof(sv->req_body)) {
		memcpy(sv->req_body + sv->req_body_len, data, len);
		sv->req_body_len += len;
	}
	return 0;
}

#define NV(n, v)                                                                                   \
	{                                                                                          \
		(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, 0                    \
	}

static ssize_t srv_read_reply(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
			      size_t length, uint32_t *data_flags, nghttp2_data_source *source,
			      void *user_data)
{
	struct server *sv = user_data;
	size_t n = sv->reply_len - sv->reply_sent;
	nghttp2_nv ok[] = {NV("grpc-status", "0")};
	nghttp2_nv not_found[] = {NV("grpc-status", "5"),
				  NV("grpc-message", "no%20such container")};
	nghttp2_nv not_number[] = {NV("grpc-status", "zero")};

	(void)source;
	if (n > length)
		n = length;
	memcpy(buf, sv->reply + sv->reply_sent, n);
	sv->reply_sent += n;
	if (sv->reply_sent < sv->reply_len)
		return (ssize_t)n;
	*data_flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
	if (sv->scenario == ERROR_TRAILER)
		nghttp2_submit_trailer(session, stream_id, not_found, 2);
	else if (sv->scenario == NOT_GRPC_STATUS)
		nghttp2_submit_trailer(session, stream_id, not_number, 1);
	else
		nghttp2_submit_trailer(session, stream_id, ok, 1);
	return (ssize_t)n;
}

/* The reply's DATA: a length prefix (claimed_len) and len bytes of message. */
static void set_reply(struct server *sv, uint8_t flag, uint32_t claimed_len, const char *msg,
		      size_t len)
{
	free(sv->reply);
	sv->reply_len = 5 + len;
	sv->reply_sent = 0;
	sv->reply = malloc(sv->reply_len);
	sv->reply[0] = flag;
	sv->reply[1] = claimed_len >> 24;
	sv->reply[2] = claimed_len >> 16;
	sv->reply[3] = claimed_len >> 8;
	sv->reply[4] = claimed_len;
	if (msg)
		memcpy(sv->reply + 5, msg, len);
	else
		memset(sv->reply + 5, 'x', len);
}

static void respond(nghttp2_session *session, struct server *sv, int32_t stream_id)
{
	nghttp2_nv headers[] = {NV(":status", "200"), NV("content-type", "application/grpc")};
	nghttp2_nv only[] = {NV(":status", "200"), NV("content-type", "application/grpc"),
			     NV("grpc-status", "14"), NV("grpc-message", "shutting down")};
	nghttp2_nv not_found_page[] = {NV(":status", "404"), NV("content-type", "text/plain")};
	nghttp2_data_provider body = {.read_callback = srv_read_reply};

	switch (sv->scenario) {
	case STALL: return;
	case TRAILERS_ONLY: nghttp2_submit_response(session, stream_id, only, 4, NULL); return;
	case HTTP_404: nghttp2_submit_response(session, stream_id, not_found_page, 2, NULL); return;
	case ERROR_TRAILER: set_reply(sv, 0, 0, "", 0); break;
	case TOO_BIG: set_reply(sv, 0, 17u << 20, NULL, 17u << 20); break;
	case COMPRESSED: set_reply(sv, 1, 5, "hello", 5); break;
	case BAD_PREFIX: set_reply(sv, 0, 9, "hello", 5); break;
	default: set_reply(sv, 0, 5, "hello", 5);
	}
	if (sv->scenario == ERROR_TRAILER)
		sv->reply_len = 0; /* no message at all: headers, then trailers */
	nghttp2_submit_response(session, stream_id, headers, 2, &body);
}

static int srv_frame(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
	struct server *sv = user_data;

	if (frame->hd.type == NGHTTP2_HEADERS && sv->scenario == GOAWAY_FIRST &&
	    sv->connections == 1) {
		nghttp2_submit_goaway(session, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, NULL, 0);
		sv->goaway_sent = true;
		return 0;
	}
	if ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) &&
	    (frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
		respond(session, sv, frame->hd.stream_id);
	return 0;
}

/* Serves one connection until the client goes (or the scenario ends it). */
static void serve(struct server *sv)
{
	nghttp2_session_callbacks *cb;
	nghttp2_session *session;
	nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
	uint8_t buf[65536];

	nghttp2_session_callbacks_new(&cb);
	nghttp2_session_callbacks_set_send_callback(cb, srv_send);
	nghttp2_session_callbacks_set_on_header_callback(cb, srv_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, srv_data);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, srv_frame);
	nghttp2_session_server_new(&session, cb, sv);
	nghttp2_session_callbacks_del(cb);
	nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings, 1);
	for (;;) {
		ssize_t n;

		if (nghttp2_session_send(session))
			break;
		if (sv->goaway_sent || (sv->scenario == CLOSE_AFTER && sv->reply_len &&
					sv->reply_sent == sv->reply_len))
			break; /* the connection ends here */
		n = recv(sv->fd, buf, sizeof(buf), 0);
		if (n <= 0 || nghttp2_session_mem_recv(session, buf, (size_t)n) < 0)
			break;
	}
	nghttp2_session_send(session);
	nghttp2_session_del(session);
	free(sv->reply);
	sv->reply = NULL;
	sv->reply_len = sv->reply_sent = 0;
	sv->goaway_sent = false;
}

static void *server_main(void *arg)
{
	struct server *sv = arg;

	for (;;) {
		struct pollfd pfd = {.fd = sv->listen_fd, .events = POLLIN};

		if (poll(&pfd, 1, 5000) <= 0)
			break;
		sv->fd = accept(sv->listen_fd, NULL, NULL);
		if (sv->fd < 0)
			break;
		sv->connections++;
		serve(sv);
		close(sv->fd);
	}
	return NULL;
}

static void server_start(struct server *sv, enum scenario scenario)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	memset(sv, 0, sizeof(*sv));
	sv->scenario = scenario;
	snprintf(sv->path, sizeof(sv->path), "/tmp/ctrwatch-grpc-test.%d.sock", (int)getpid());
	unlink(sv->path);
	strcpy(addr.sun_path, sv->path);
	sv->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (bind(sv->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(sv->listen_fd, 4)) {
		perror("test server");
		exit(1);
	}
	pthread_create(&sv->thread, NULL, server_main, sv);
}

static void server_stop(struct server *sv)
{
	shutdown(sv->listen_fd, SHUT_RDWR);
	close(sv->listen_fd);
	pthread_join(sv->thread, NULL);
	unlink(sv->path);
}

static int call(struct grpc_unary_channel *ch, int timeout_ms, struct grpc_unary_result *r)
{
	static const uint8_t request[] = {0x0a, 0x03, 'w', 'e', 'b'}; /* {id=1: "web"} */

	return grpc_unary_call(ch, "/containerd.services.containers.v1.Containers/Get", "k8s.io",
			       request, sizeof(request), timeout_ms, r);
}

/* A call answered with the scripted "hello". */
static void expect_hello(struct grpc_unary_channel *ch)
{
	struct grpc_unary_result r;

	ASSERT_EQ(call(ch, 5000, &r), 0);
	ASSERT_EQ(r.status, 0);
	ASSERT_EQ(r.len, 5);
	ASSERT_TRUE(r.data && !memcmp(r.data, "hello", 5));
	free(r.data);
}

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static const struct {
	const char *name;
	enum scenario scenario;
	int rc, status;
	const char *error; /* a part of it */
} failures[] = {
    {"an error status in the trailers, its message percent-decoded", ERROR_TRAILER, -ENOENT, 5,
     "no such container"},
    {"trailers-only: an error in one HEADERS frame", TRAILERS_ONLY, -ECONNREFUSED, 14,
     "shutting down"},
    {"a reply over 16 MiB is refused, not kept", TOO_BIG, -EIO, 8, "larger than 16 MiB"},
    {"HTTP 404 without grpc-status is UNIMPLEMENTED", HTTP_404, -EIO, 12, "404"},
    {"a compressed message (none was asked for) is refused", COMPRESSED, -EIO, 13, "compressed"},
    {"a length prefix longer than the message is refused", BAD_PREFIX, -EIO, 13, "prefix"},
    {"a grpc-status that is no number is UNKNOWN", NOT_GRPC_STATUS, -EIO, 2, ""},
};

int main(void)
{
	struct grpc_unary_result r;
	struct grpc_unary_channel *ch;
	struct server sv;

	SUBTEST ("a reply written a byte at a time (partial frames) is read whole") {
		server_start(&sv, REPLY_BYTEWISE);
		ch = grpc_unary_open(sv.path);
		expect_hello(ch);
		ASSERT_STREQ(sv.req_path, "/containerd.services.containers.v1.Containers/Get");
		ASSERT_STREQ(sv.req_ns, "k8s.io");
		ASSERT_STREQ(sv.req_type, "application/grpc");
		ASSERT_STREQ(sv.req_te, "trailers");
		ASSERT_STREQ(sv.req_timeout, "5000m");
		/* the message, length-prefixed */
		ASSERT_EQ(sv.req_body_len, 10);
		ASSERT_TRUE(!memcmp(sv.req_body, "\0\0\0\0\5\x0a\x03web", 10));
		expect_hello(ch); /* a second call, on the same connection */
		ASSERT_EQ(sv.connections, 1);
		grpc_unary_close(ch);
		server_stop(&sv);
	}
	for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++) {
		SUBTEST (failures[i].name) {
			server_start(&sv, failures[i].scenario);
			ch = grpc_unary_open(sv.path);
			ASSERT_EQ(call(ch, 5000, &r), failures[i].rc);
			ASSERT_EQ(r.status, failures[i].status);
			ASSERT_TRUE(strstr(r.error, failures[i].error) != NULL);
			ASSERT_TRUE(r.data == NULL);
			grpc_unary_close(ch);
			server_stop(&sv);
		}
	}
	SUBTEST ("GOAWAY before the call was taken: made again on a new connection") {
		server_start(&sv, GOAWAY_FIRST);
		ch = grpc_unary_open(sv.path);
		expect_hello(ch);
		ASSERT_EQ(sv.connections, 2);
		grpc_unary_close(ch);
		server_stop(&sv);
	}
	SUBTEST ("a peer that stalls: the deadline ends the call, and its connection") {
		struct timespec start;

		server_start(&sv, STALL);
		ch = grpc_unary_open(sv.path);
		clock_gettime(CLOCK_MONOTONIC, &start);
		ASSERT_EQ(call(ch, 300, &r), -ETIMEDOUT);
		ASSERT_EQ(r.status, 4);
		/* deadlines are whole ms of the monotonic clock: up to 1 ms early by this one's */
		ASSERT_TRUE(elapsed_ms(&start) >= 299 && elapsed_ms(&start) < 3000);
		ASSERT_EQ(call(ch, 300, &r), -ETIMEDOUT);
		ASSERT_EQ(sv.connections, 2); /* the stalled one was dropped */
		grpc_unary_close(ch);
		server_stop(&sv);
	}
	SUBTEST ("a connection the server closed between calls is replaced, the call not lost") {
		server_start(&sv, CLOSE_AFTER);
		ch = grpc_unary_open(sv.path);
		expect_hello(ch);
		usleep(50000); /* the server has closed it */
		expect_hello(ch);
		ASSERT_EQ(sv.connections, 2);
		grpc_unary_close(ch);
		server_stop(&sv);
	}
	SUBTEST ("no server: UNAVAILABLE, naming the socket") {
		ch = grpc_unary_open("/tmp/ctrwatch-grpc-test.none.sock");
		ASSERT_EQ(call(ch, 1000, &r), -ECONNREFUSED);
		ASSERT_EQ(r.status, 14);
		ASSERT_TRUE(strstr(r.error,
				   "unix:/tmp/ctrwatch-grpc-test.none.sock: No such file") != NULL);
		grpc_unary_close(ch);
	}
	SUBTEST ("a socket path too long for sun_path is refused at open") {
		char long_path[200];

		memset(long_path, 'a', sizeof(long_path) - 1);
		long_path[sizeof(long_path) - 1] = '\0';
		errno = 0;
		ASSERT_TRUE(grpc_unary_open(long_path) == NULL);
		ASSERT_EQ(errno, ENAMETOOLONG);
	}
	return test_summary("test_grpc_unary");
}
