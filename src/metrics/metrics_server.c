// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * /metrics and /healthz over HTTP on one thread of its own (metrics_server.h), event-driven:
 * the port is reachable from every pod of a cluster, and a server with a thread per connection
 * (civetweb, before) is silenced by a few clients that send one byte a second, each holding a
 * thread while /healthz goes unanswered and the kubelet restarts ctrwatch. Here no client can
 * hold anything for long or take much of it:
 * - a connection has CONN_DEADLINE_MS from accept to send its request line and headers and
 *   take the answer (never reset by activity: a byte a second gains nothing);
 * - at most CONNS_MAX connections at once, PEER_CONNS_MAX of them from one address (past that
 *   a new one is closed at once); with all taken, a newcomer takes the slot of the oldest one
 *   still sending its request (counted, both);
 * - what is read is a request head of REQUEST_HEAD_MAX bytes at most; its request line alone is
 *   parsed (method, path): nothing else of the request is used.
 * One answer per connection, then it is closed (Connection: close). A scrape is a few KiB.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "metrics/metrics.h"
#include "metrics/metrics_server.h"

#define METRICS_TEXT_MAX  (64 * 1024)
#define CONNS_MAX	  64
#define PEER_CONNS_MAX	  8
#define CONN_DEADLINE_MS  2000
#define REQUEST_HEAD_MAX  4096
#define RESPONSE_HEAD_MAX 256

struct conn {
	int fd; /* -1: a free slot */
	struct sockaddr_storage peer;
	uint64_t deadline_ms;
	char head[REQUEST_HEAD_MAX];
	size_t head_len;
	char *out; /* the answer, once the request is read */
	size_t out_len, out_done;
};

struct metrics_server {
	int listen_fd, epoll_fd, stop_fd;
	uint64_t stale_ns;
	pthread_t thread;
	struct conn conns[CONNS_MAX];
};

static bool same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr,
			       sizeof(struct in6_addr));
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
	       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

static void conn_close(struct conn *c)
{
	close(c->fd); /* leaves the epoll set with it */
	free(c->out);
	c->fd = -1;
	c->out = NULL;
}

/*
 * A slot for a connection from peer, or NULL when this peer has its share. With every slot
 * taken, the oldest connection still sending its request is closed for it: a scrape or a probe
 * sends its request at once and is answered within milliseconds, so slots held by slow senders
 * are what a newcomer takes, and no number of them keeps a probe out.
 */
static struct conn *conn_slot(struct metrics_server *s, const struct sockaddr_storage *peer)
{
	struct conn *free_slot = NULL, *oldest = NULL;
	int from_peer = 0;

	for (int i = 0; i < CONNS_MAX; i++) {
		struct conn *c = &s->conns[i];

		if (c->fd < 0) {
			free_slot = free_slot ? free_slot : c;
			continue;
		}
		from_peer += same_peer(&c->peer, peer);
		if (!c->out && (!oldest || c->deadline_ms < oldest->deadline_ms))
			oldest = c;
	}
	if (from_peer >= PEER_CONNS_MAX || (!free_slot && !oldest))
		return NULL;
	if (free_slot)
		return free_slot;
	metrics_http_evicted();
	conn_close(oldest);
	return oldest;
}

static void on_accept(struct metrics_server *s)
{
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		struct epoll_event ev = {.events = EPOLLIN};
		struct conn *c;
		int fd;

		fd = accept4(s->listen_fd, (struct sockaddr *)&peer, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or a connection gone before it was taken */
		c = conn_slot(s, &peer);
		if (!c) {
			metrics_http_refused();
			close(fd);
			continue;
		}
		*c = (struct conn){.fd = fd, .peer = peer};
		c->deadline_ms = clock_monotonic_ms() + CONN_DEADLINE_MS;
		ev.data.ptr = c;
		if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev))
			conn_close(c);
	}
}

/* The answer: status, a text body, HEAD without it. Returns false when out of memory. */
static bool answer(struct conn *c, int status, const char *type, const char *body, size_t len,
		   bool head_only)
{
	const char *reason = status == 200   ? "OK"
			     : status == 404 ? "Not Found"
			     : status == 405 ? "Method Not Allowed"
			     : status == 400 ? "Bad Request"
					     : "Service Unavailable";
	int n;

	c->out = malloc(RESPONSE_HEAD_MAX + len);
	if (!c->out)
		return false;
	n = snprintf(c->out, RESPONSE_HEAD_MAX,
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n",
		     status, reason, type, len);
	c->out_len = n;
	if (!head_only) {
		memcpy(c->out + n, body, len);
		c->out_len += len;
	}
	return true;
}

static bool answer_text(struct conn *c, int status, const char *text, bool head_only)
{
	return answer(c, status, "text/plain; charset=utf-8", text, strlen(text), head_only);
}

static bool answer_metrics(struct conn *c, bool head_only)
{
	char *buf = malloc(METRICS_TEXT_MAX);
	size_t len;
	bool ok;

	if (!buf)
		return false;
	len = metrics_render(buf, METRICS_TEXT_MAX, clock_boottime_ns());
	if (len >= METRICS_TEXT_MAX) /* cannot happen with today's families: say so if it does */
		ok = answer_text(c, 503, "metrics text too long\n", head_only);
	else
		ok =
		    answer(c, 200, "text/plain; version=0.0.4; charset=utf-8", buf, len, head_only);
	free(buf);
	return ok;
}

static bool answer_health(struct metrics_server *s, struct conn *c, bool head_only)
{
	char text[160];
	const char *why;
	bool healthy = metrics_healthy(clock_boottime_ns(), s->stale_ns, &why);

	snprintf(text, sizeof(text), "%s\n", why);
	return answer_text(c, healthy ? 200 : 503, text, head_only);
}

/* The request line "METHOD PATH[?QUERY] HTTP/1.x", once the head is whole: the answer. */
static bool answer_request(struct metrics_server *s, struct conn *c)
{
	char method[8], path[32];
	bool head_only;

	if (sscanf(c->head, "%7[A-Z] %31[^ ?\r\n]", method, path) != 2)
		return answer_text(c, 400, "bad request\n", false);
	head_only = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head_only)
		return answer_text(c, 405, "GET only\n", false);
	if (!strcmp(path, "/metrics"))
		return answer_metrics(c, head_only);
	if (!strcmp(path, "/healthz"))
		return answer_health(s, c, head_only);
	return answer_text(c, 404, "/metrics or /healthz\n", head_only);
}

static void on_readable(struct metrics_server *s, struct conn *c)
{
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
	ssize_t n = recv(c->fd, c->head + c->head_len, sizeof(c->head) - 1 - c->head_len, 0);

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			conn_close(c);
		return;
	}
	c->head_len += n;
	c->head[c->head_len] = '\0';
	if (!strstr(c->head, "\r\n\r\n") && !strstr(c->head, "\n\n")) {
		if (c->head_len == sizeof(c->head) - 1)
			conn_close(c); /* a head this long is no scrape */
		return;
	}
	if (!answer_request(s, c) || epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev))
		conn_close(c);
}

static void on_writable(struct conn *c)
{
	ssize_t n = send(c->fd, c->out + c->out_done, c->out_len - c->out_done, MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		c->out_done += n;
	if (n <= 0 || c->out_done == c->out_len)
		conn_close(c);
}

/* Closes what passed its deadline; returns the ms until the next one (-1: none). */
static int expire(struct metrics_server *s)
{
	uint64_t now = clock_monotonic_ms(), next = UINT64_MAX;

	for (int i = 0; i < CONNS_MAX; i++) {
		struct conn *c = &s->conns[i];

		if (c->fd < 0)
			continue;
		if (now >= c->deadline_ms) {
			metrics_http_timed_out();
			conn_close(c);
		} else if (c->deadline_ms < next) {
			next = c->deadline_ms;
		}
	}
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

static void *serve(void *arg)
{
	struct metrics_server *s = arg;
	struct epoll_event events[16];

	for (;;) {
		int n = epoll_wait(s->epoll_fd, events, 16, expire(s));

		for (int i = 0; i < n; i++) {
			struct conn *c = events[i].data.ptr;

			if (c == NULL)
				on_accept(s);
			else if (c == (struct conn *)s)
				return NULL; /* the stop eventfd */
			else if (c->fd < 0)
				continue; /* closed by an earlier event of this batch */
			else if (c->out)
				on_writable(c);
			else
				on_readable(s, c);
		}
	}
}

static int listen_on(const char *address)
{
	struct sockaddr_storage a;
	socklen_t len;
	int fd, one = 1;

	if (metrics_address_parse(address, &a, &len))
		return -EINVAL;
	fd = socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, len) || listen(fd, 128)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int watch(int epoll_fd, int fd, void *ptr)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = ptr};

	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

struct metrics_server *metrics_server_start(const char *address, uint64_t stale_ns)
{
	struct metrics_server *s = calloc(1, sizeof(*s));
	sigset_t all, old;
	int err;

	if (!s)
		return NULL;
	s->stale_ns = stale_ns;
	for (int i = 0; i < CONNS_MAX; i++)
		s->conns[i].fd = -1;
	s->epoll_fd = s->stop_fd = -1;
	s->listen_fd = listen_on(address);
	if (s->listen_fd < 0) {
		err = -s->listen_fd;
		goto out_free;
	}
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->epoll_fd < 0 || s->stop_fd < 0) {
		err = errno;
		goto out_close;
	}
	err = -watch(s->epoll_fd, s->listen_fd, NULL);
	if (!err)
		err = -watch(s->epoll_fd, s->stop_fd, s);
	if (err)
		goto out_close;
	/* the server's thread takes no signal: they are the main thread's to see */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&s->thread, NULL, serve, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		goto out_close;
	return s;

out_close:
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	if (s->epoll_fd >= 0)
		close(s->epoll_fd);
	close(s->listen_fd);
out_free:
	free(s);
	errno = err;
	return NULL;
}

void metrics_server_stop(struct metrics_server *s)
{
	uint64_t one = 1;

	if (!s)
		return;
	(void)!write(s->stop_fd, &one, sizeof(one));
	pthread_join(s->thread, NULL);
	for (int i = 0; i < CONNS_MAX; i++)
		if (s->conns[i].fd >= 0)
			conn_close(&s->conns[i]);
	close(s->stop_fd);
	close(s->epoll_fd);
	close(s->listen_fd);
	free(s);
}
