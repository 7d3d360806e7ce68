// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unary gRPC calls on a unix socket with nghttp2, the HTTP/2 library curl uses: a call is a POST
 * of one length-prefixed message (content-type application/grpc); the answer is headers, one
 * length-prefixed message and trailers with grpc-status and grpc-message, or headers alone for
 * an error ("trailers-only"). The framing is this file's; HTTP/2 (frames, HPACK, flow control,
 * GOAWAY) is nghttp2's.
 *
 * One connection and one call at a time: the enricher's thread makes them, each blocking on
 * poll(2) until it is answered or its deadline passes. A connection the peer closed, reset, sent
 * GOAWAY on, or that stalled past a deadline is dropped; the next call connects again, at once
 * (containerd restarts). A call on a kept connection that dies before any answer came, or that
 * the peer's GOAWAY says it never processed, is made once more on a fresh connection.
 */
#define _GNU_SOURCE /* struct ucred */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <nghttp2/nghttp2.h>

#include "common/buffer.h"
#include "common/clock.h"
#include "enrich/grpc_unary.h"

/* What a reply may be: containerd's own limit for what it receives. */
#define GRPC_MESSAGE_MAX (16u << 20)
#define GRPC_PREFIX_LEN	 5 /* compressed flag, 4-byte big-endian length */

enum grpc_code {
	GRPC_OK = 0,
	GRPC_CANCELLED = 1,
	GRPC_UNKNOWN = 2,
	GRPC_DEADLINE_EXCEEDED = 4,
	GRPC_NOT_FOUND = 5,
	GRPC_PERMISSION_DENIED = 7,
	GRPC_RESOURCE_EXHAUSTED = 8,
	GRPC_UNIMPLEMENTED = 12,
	GRPC_INTERNAL = 13,
	GRPC_UNAVAILABLE = 14,
	GRPC_UNAUTHENTICATED = 16,
};

/* One call's stream: what was sent and what came back. */
struct grpc_stream {
	int32_t id;
	const uint8_t *body; /* the length-prefixed request */
	size_t body_len, body_sent;
	int http_status; /* 0 until :status came */
	int grpc_status; /* -1 until grpc-status came */
	bool grpc_type;	 /* content-type application/grpc */
	bool answered;	 /* a frame of this stream came: not to be made again */
	bool closed;	 /* the stream ended (on_stream_close) */
	bool not_taken;	 /* GOAWAY said the peer never processed it */
	bool too_big;	 /* the reply went past GRPC_MESSAGE_MAX */
	uint32_t reset;	 /* the peer's RST_STREAM error code, 0 if none */
	char *data;	 /* the reply's DATA, prefix included */
	size_t data_len, data_cap;
	char message[160]; /* grpc-message, percent-decoded */
};

struct grpc_unary_channel {
	struct sockaddr_un addr;
	int fd; /* -1: not connected */
	nghttp2_session *session;
	bool dead; /* closed, reset, GOAWAY or stalled: replaced at the next call */
	int io_errno;
	struct grpc_stream *stream; /* the call in flight */
	pid_t peer_pid;		    /* who answered on the last connection; 0: not known */
};

static void set_error(struct grpc_unary_result *r, int status, const char *fmt, const char *arg)
{
	r->status = status;
	snprintf(r->error, sizeof(r->error), fmt, arg);
}

static ssize_t on_send(nghttp2_session *session, const uint8_t *data, size_t len, int flags,
		       void *user_data)
{
	struct grpc_unary_channel *ch = user_data;
	ssize_t n = send(ch->fd, data, len, MSG_NOSIGNAL);

	(void)session;
	(void)flags;
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return NGHTTP2_ERR_WOULDBLOCK;
	ch->io_errno = errno;
	return NGHTTP2_ERR_CALLBACK_FAILURE;
}

static int hex_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* "%41" → 'A': grpc-message is percent-encoded. */
static void percent_decode(char *out, size_t size, const uint8_t *in, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < size; i++) {
		if (in[i] == '%' && i + 2 < len && hex_digit(in[i + 1]) >= 0 &&
		    hex_digit(in[i + 2]) >= 0) {
			out[o++] = (char)(hex_digit(in[i + 1]) << 4 | hex_digit(in[i + 2]));
			i += 2;
		} else {
			out[o++] = (char)in[i];
		}
	}
	out[o] = '\0';
}

/* A header's decimal value; -1 when it is not one. */
static int header_number(const uint8_t *value, size_t len)
{
	int n = 0;

	if (len == 0 || len > 9)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (value[i] < '0' || value[i] > '9')
			return -1;
		n = n * 10 + (value[i] - '0');
	}
	return n;
}

static bool header_is(const uint8_t *name, size_t len, const char *want)
{
	return len == strlen(want) && !memcmp(name, want, len);
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
		     void *user_data)
{
	struct grpc_stream *s = ((struct grpc_unary_channel *)user_data)->stream;
	int n;

	(void)session;
	(void)flags;
	if (!s || frame->hd.stream_id != s->id)
		return 0;
	s->answered = true;
	if (header_is(name, namelen, ":status")) {
		s->http_status = header_number(value, valuelen);
	} else if (header_is(name, namelen, "content-type")) {
		s->grpc_type = valuelen >= 16 && !memcmp(value, "application/grpc", 16);
	} else if (header_is(name, namelen, "grpc-status")) {
		n = header_number(value, valuelen);
		s->grpc_status = n >= 0 ? n : GRPC_UNKNOWN;
	} else if (header_is(name, namelen, "grpc-message")) {
		percent_decode(s->message, sizeof(s->message), value, valuelen);
	}
	return 0;
}

static int on_data(nghttp2_session *session, uint8_t flags, int32_t stream_id, const uint8_t *data,
		   size_t len, void *user_data)
{
	struct grpc_stream *s = ((struct grpc_unary_channel *)user_data)->stream;

	(void)flags;
	if (!s || stream_id != s->id || s->too_big)
		return 0;
	s->answered = true;
	if (s->data_len + len > GRPC_PREFIX_LEN + GRPC_MESSAGE_MAX) {
		s->too_big = true;
		return nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id,
						 NGHTTP2_CANCEL);
	}
	if (buffer_reserve(&s->data, &s->data_cap, s->data_len + len, 4096))
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	memcpy(s->data + s->data_len, data, len);
	s->data_len += len;
	return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
			   void *user_data)
{
	struct grpc_stream *s = ((struct grpc_unary_channel *)user_data)->stream;

	(void)session;
	if (s && stream_id == s->id) {
		s->closed = true;
		s->reset = error_code;
	}
	return 0;
}

static int on_frame(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
	struct grpc_unary_channel *ch = user_data;

	(void)session;
	if (frame->hd.type != NGHTTP2_GOAWAY)
		return 0;
	ch->dead = true; /* no new stream on it */
	if (ch->stream && frame->goaway.last_stream_id < ch->stream->id)
		ch->stream->not_taken = true;
	return 0;
}

/* The request body, as nghttp2 asks for it. */
static ssize_t read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
			 uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
	struct grpc_stream *s = source->ptr;
	size_t n = s->body_len - s->body_sent;

	(void)session;
	(void)stream_id;
	(void)user_data;
	if (n > length)
		n = length;
	memcpy(buf, s->body + s->body_sent, n);
	s->body_sent += n;
	if (s->body_sent == s->body_len)
		*data_flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static void drop_connection(struct grpc_unary_channel *ch)
{
	nghttp2_session_del(ch->session);
	ch->session = NULL;
	if (ch->fd >= 0)
		close(ch->fd);
	ch->fd = -1;
	ch->dead = false;
}

static int new_session(struct grpc_unary_channel *ch)
{
	nghttp2_session_callbacks *cb;
	nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
	int rv;

	if (nghttp2_session_callbacks_new(&cb))
		return -ENOMEM;
	nghttp2_session_callbacks_set_send_callback(cb, on_send);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame);
	rv = nghttp2_session_client_new(&ch->session, cb, ch);
	nghttp2_session_callbacks_del(cb);
	if (rv)
		return -ENOMEM;
	rv = nghttp2_submit_settings(ch->session, NGHTTP2_FLAG_NONE, settings, 1);
	return rv ? -EIO : 0;
}

/*
 * The process listening on the socket, as the kernel says at connect (SO_PEERCRED): 0 when it is
 * in no pid namespace this one sees.
 */
static void note_peer(struct grpc_unary_channel *ch)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(ch->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		ch->peer_pid = cred.pid;
}

pid_t grpc_unary_peer_pid(const struct grpc_unary_channel *ch)
{
	return ch ? ch->peer_pid : 0;
}

/* Connects (a unix socket's connect completes at once or fails) and starts a session. */
static int connect_channel(struct grpc_unary_channel *ch, struct grpc_unary_result *r)
{
	int err;

	ch->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ch->fd < 0 || connect(ch->fd, (struct sockaddr *)&ch->addr, sizeof(ch->addr))) {
		err = -errno;
		snprintf(r->error, sizeof(r->error), "connect unix:%s: %s", ch->addr.sun_path,
			 strerror(-err));
		r->status = GRPC_UNAVAILABLE;
		drop_connection(ch);
		return err;
	}
	note_peer(ch);
	err = new_session(ch);
	if (err) {
		set_error(r, GRPC_INTERNAL, "HTTP/2 session: %s", strerror(-err));
		drop_connection(ch);
	}
	return err;
}

struct grpc_unary_channel *grpc_unary_open(const char *socket_path)
{
	struct grpc_unary_channel *ch;

	if (strlen(socket_path) >= sizeof(ch->addr.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return NULL;
	ch->addr.sun_family = AF_UNIX;
	strcpy(ch->addr.sun_path, socket_path);
	ch->fd = -1;
	return ch;
}

void grpc_unary_close(struct grpc_unary_channel *ch)
{
	if (!ch)
		return;
	drop_connection(ch);
	free(ch);
}

static void add_header(nghttp2_nv *nv, size_t *n, const char *name, const char *value)
{
	nv[*n] = (nghttp2_nv){(uint8_t *)name, (uint8_t *)value, strlen(name), strlen(value),
			      NGHTTP2_NV_FLAG_NONE};
	(*n)++;
}

static int submit(struct grpc_unary_channel *ch, struct grpc_stream *s, const char *method,
		  const char *ns, int timeout_ms)
{
	nghttp2_data_provider body = {.source.ptr = s, .read_callback = read_body};
	char timeout[16];
	nghttp2_nv nv[9];
	size_t n = 0;

	snprintf(timeout, sizeof(timeout), "%dm", timeout_ms > 0 ? timeout_ms : 1);
	add_header(nv, &n, ":method", "POST");
	add_header(nv, &n, ":scheme", "http");
	add_header(nv, &n, ":path", method);
	add_header(nv, &n, ":authority", "localhost");
	add_header(nv, &n, "content-type", "application/grpc");
	add_header(nv, &n, "te", "trailers");
	add_header(nv, &n, "grpc-timeout", timeout);
	add_header(nv, &n, "user-agent", "ctrwatch");
	if (ns)
		add_header(nv, &n, "containerd-namespace", ns);
	s->id = nghttp2_submit_request(ch->session, NULL, nv, n, &body, NULL);
	return s->id < 0 ? -EIO : 0;
}

enum exchange_end { EXCHANGE_DONE, EXCHANGE_TIMEOUT, EXCHANGE_BROKEN };

/*
 * A write failed: the peer closed while we still had something to say (a SETTINGS ack, our
 * request's body). What it sent before closing is in the socket still and may say why: a
 * GOAWAY that never took our stream makes the call one to make again, not a failure. Read it
 * before the connection is called broken (seen under emulation: the ack's EPIPE came first).
 */
static void take_what_the_peer_sent(struct grpc_unary_channel *ch)
{
	uint8_t buf[16384];
	ssize_t n;

	while ((n = recv(ch->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		if (nghttp2_session_mem_recv(ch->session, buf, (size_t)n) < 0)
			return;
}

/* Sends and receives until the stream closes, the deadline passes or the connection breaks. */
static enum exchange_end exchange(struct grpc_unary_channel *ch, struct grpc_stream *s,
				  int64_t deadline)
{
	uint8_t buf[16384];

	for (;;) {
		struct pollfd pfd = {.fd = ch->fd, .events = POLLIN};
		int64_t left;
		ssize_t n;

		if (nghttp2_session_send(ch->session)) {
			take_what_the_peer_sent(ch);
			return EXCHANGE_BROKEN;
		}
		if (s->closed)
			return EXCHANGE_DONE;
		if (!nghttp2_session_want_read(ch->session) &&
		    !nghttp2_session_want_write(ch->session))
			return EXCHANGE_BROKEN; /* GOAWAY and nothing left for us */
		if (nghttp2_session_want_write(ch->session))
			pfd.events |= POLLOUT;
		left = deadline - clock_monotonic_ms();
		if (left <= 0)
			return EXCHANGE_TIMEOUT;
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno != EINTR)
			return EXCHANGE_BROKEN;
		if (n <= 0 || !(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(ch->fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			ch->io_errno = n == 0 ? ECONNRESET : errno;
			return EXCHANGE_BROKEN;
		}
		if (n > 0 && nghttp2_session_mem_recv(ch->session, buf, (size_t)n) < 0)
			return EXCHANGE_BROKEN;
	}
}

/* gRPC's mapping of an HTTP status that came without grpc-status. */
static int status_of_http(int http)
{
	switch (http) {
	case 400: return GRPC_INTERNAL;
	case 401: return GRPC_UNAUTHENTICATED;
	case 403: return GRPC_PERMISSION_DENIED;
	case 404: return GRPC_UNIMPLEMENTED;
	case 429:
	case 502:
	case 503:
	case 504: return GRPC_UNAVAILABLE;
	}
	return GRPC_UNKNOWN;
}

/* The reply's one message, out of its length prefix. */
static void take_message(struct grpc_stream *s, struct grpc_unary_result *r)
{
	const uint8_t *prefix = (const uint8_t *)s->data;
	uint32_t len;

	if (s->data_len < GRPC_PREFIX_LEN) {
		set_error(r, GRPC_INTERNAL, "%s", "a reply without a message");
		return;
	}
	len = (uint32_t)prefix[1] << 24 | (uint32_t)prefix[2] << 16 | (uint32_t)prefix[3] << 8 |
	      prefix[4];
	if (prefix[0] != 0) {
		set_error(r, GRPC_INTERNAL, "%s", "a compressed message (none was asked for)");
		return;
	}
	if (s->data_len != GRPC_PREFIX_LEN + (size_t)len) {
		set_error(r, GRPC_INTERNAL, "%s", "a reply whose length prefix does not match");
		return;
	}
	r->data = malloc(len ? len : 1);
	if (!r->data) {
		set_error(r, GRPC_RESOURCE_EXHAUSTED, "%s", "out of memory for the reply");
		return;
	}
	memcpy(r->data, s->data + GRPC_PREFIX_LEN, len);
	r->len = len;
}

/* What a stream that ended says: a gRPC status, the message when OK. */
static void conclude(struct grpc_stream *s, struct grpc_unary_result *r)
{
	if (s->too_big) {
		set_error(r, GRPC_RESOURCE_EXHAUSTED, "%s", "a reply larger than 16 MiB");
	} else if (s->grpc_status >= 0) {
		r->status = s->grpc_status;
		snprintf(r->error, sizeof(r->error), "%s", s->message);
		if (r->status == GRPC_OK && s->http_status == 200)
			take_message(s, r);
		else if (r->status == GRPC_OK)
			set_error(r, status_of_http(s->http_status), "%s", "HTTP status not 200");
	} else if (s->http_status && s->http_status != 200) {
		r->status = status_of_http(s->http_status);
		snprintf(r->error, sizeof(r->error), "HTTP status %d", s->http_status);
	} else if (s->reset) {
		r->status = s->reset == NGHTTP2_REFUSED_STREAM ? GRPC_UNAVAILABLE
			    : s->reset == NGHTTP2_CANCEL       ? GRPC_CANCELLED
							       : GRPC_INTERNAL;
		snprintf(r->error, sizeof(r->error), "stream reset: %s",
			 nghttp2_http2_strerror(s->reset));
	} else {
		set_error(r, GRPC_UNKNOWN, "%s",
			  s->grpc_type ? "no grpc-status" : "not a gRPC reply");
	}
}

enum attempt_end {
	ATTEMPT_FINAL,
	ATTEMPT_NOT_TAKEN, /* the peer says it never processed it: safe to make again */
	ATTEMPT_NO_ANSWER, /* the connection died before any answer: again if it was a kept one */
};

/* One attempt on the channel's connection. */
static enum attempt_end attempt(struct grpc_unary_channel *ch, struct grpc_stream *s,
				const char *method, const char *ns, int timeout_ms,
				int64_t deadline, struct grpc_unary_result *r)
{
	enum exchange_end end;

	if (submit(ch, s, method, ns, timeout_ms)) {
		set_error(r, GRPC_INTERNAL, "%s", "cannot submit the request");
		ch->dead = true;
		return ATTEMPT_FINAL;
	}
	ch->stream = s;
	end = exchange(ch, s, deadline);
	ch->stream = NULL;
	if (end == EXCHANGE_TIMEOUT) {
		snprintf(r->error, sizeof(r->error), "deadline of %d ms exceeded", timeout_ms);
		r->status = GRPC_DEADLINE_EXCEEDED;
		ch->dead = true; /* a stalled peer: its connection is not worth keeping */
		return ATTEMPT_FINAL;
	}
	if (end == EXCHANGE_BROKEN && !s->closed) {
		ch->dead = true;
		set_error(r, GRPC_UNAVAILABLE, "connection lost: %s",
			  strerror(ch->io_errno ? ch->io_errno : ECONNRESET));
		return s->not_taken  ? ATTEMPT_NOT_TAKEN
		       : s->answered ? ATTEMPT_FINAL
				     : ATTEMPT_NO_ANSWER;
	}
	if (s->not_taken || (s->reset == NGHTTP2_REFUSED_STREAM && !s->http_status)) {
		set_error(r, GRPC_UNAVAILABLE, "%s", "the server did not take the call");
		return ATTEMPT_NOT_TAKEN;
	}
	conclude(s, r);
	return ATTEMPT_FINAL;
}

static int status_to_errno(int status)
{
	switch (status) {
	case GRPC_OK: return 0;
	case GRPC_NOT_FOUND: return -ENOENT;
	case GRPC_DEADLINE_EXCEEDED: return -ETIMEDOUT;
	case GRPC_UNAVAILABLE: return -ECONNREFUSED;
	default: return -EIO;
	}
}

int grpc_unary_call(struct grpc_unary_channel *ch, const char *method, const char *ns,
		    const uint8_t *request, size_t request_len, int timeout_ms,
		    struct grpc_unary_result *result)
{
	int64_t deadline = clock_monotonic_ms() + timeout_ms;
	struct grpc_stream s;
	uint8_t *framed;
	bool again = true;

	memset(result, 0, sizeof(*result));
	if (request_len > GRPC_MESSAGE_MAX) {
		set_error(result, GRPC_RESOURCE_EXHAUSTED, "%s", "a request larger than 16 MiB");
		return -EIO;
	}
	framed = malloc(GRPC_PREFIX_LEN + request_len);
	if (!framed) {
		set_error(result, GRPC_RESOURCE_EXHAUSTED, "%s", "out of memory for the request");
		return -EIO;
	}
	framed[0] = 0;
	framed[1] = request_len >> 24;
	framed[2] = request_len >> 16;
	framed[3] = request_len >> 8;
	framed[4] = request_len;
	memcpy(framed + GRPC_PREFIX_LEN, request, request_len);
	/*
	 * Once more on a fresh connection when the peer did not take the call, or a kept one died
	 * before answering (containerd restarted since the last call).
	 */
	for (int tries = 0; again && tries < 2; tries++) {
		bool fresh = !ch->session || ch->dead;
		enum attempt_end end;

		if (fresh) {
			drop_connection(ch);
			if (connect_channel(ch, result))
				break;
		}
		s = (struct grpc_stream){
		    .body = framed, .body_len = GRPC_PREFIX_LEN + request_len, .grpc_status = -1};
		ch->io_errno = 0;
		memset(result, 0, sizeof(*result));
		end = attempt(ch, &s, method, ns, timeout_ms, deadline, result);
		again = (end == ATTEMPT_NOT_TAKEN || (end == ATTEMPT_NO_ANSWER && !fresh)) &&
			clock_monotonic_ms() < deadline;
		free(s.data);
	}
	free(framed);
	if (ch->dead)
		drop_connection(ch);
	return status_to_errno(result->status);
}
