// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * /metrics and /healthz over HTTP on one thread of its own (metrics_server.h), event-driven:
 * the port is reachable from every pod of a cluster, and a server with a thread per connection
 * (civetweb, before) is silenced by a few clients that send one byte a second, each holding a
 * thread while /healthz goes unanswered and the kubelet restarts ctrwatch. Here no client can
 * hold anything for long or take much of it:
 * - a connection has CONN_DEADLINE_MS from accept to send its request line and headers and
 *   take the answer (never reset by activity: a byte a second gains nothing);
 * - at most CONNS_MAX connections at once, PEER_CONNS_MAX of them from one address (an IPv6
 *   client's /64). A newcomer from an address at its share takes the slot of that address's
 *   oldest connection still sending its request: the probe shares its address with every local
 *   user (systemd unit) or every host process and hostNetwork pod (kubelet), so refusing it
 *   there would let 8 silent connections refuse every probe. With all slots taken, a newcomer
 *   takes the slot of the oldest connection still sending its request, wherever it is from.
 *   Only an address whose 8 connections are all being answered is refused (counted, all);
 * - a request already sent when its connection is accepted is read at once, and the requests
 *   of a wakeup are read before its newcomers are taken, ACCEPTS_PER_WAKEUP at most: a probe is
 *   answered, and past the point of eviction, before PEER_CONNS_MAX newcomers could evict it;
 * - what is read is a request head of REQUEST_HEAD_MAX bytes at most; its request line alone is
 *   parsed (method, path; http_request.c): nothing else of the request is used.
 * ":PORT" listens on IPv6's unspecified address for IPv4 too (IPV6_V6ONLY off), or on IPv4's
 * alone where the kernel has no IPv6.
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
#include "metrics/http_request.h"
#include "metrics/metrics.h"
#include "metrics/metrics_server.h"

#define METRICS_TEXT_MAX   (64 * 1024)
#define CONNS_MAX	   64
#define PEER_CONNS_MAX	   8
#define ACCEPTS_PER_WAKEUP (PEER_CONNS_MAX / 2)
#define CONN_DEADLINE_MS   2000
#define REQUEST_HEAD_MAX   4096
#define RESPONSE_HEAD_MAX  256

struct conn {
	int fd; /* -1: a free slot */
	struct sockaddr_storage peer;
	uint64_t deadline_ms;
	char head[REQUEST_HEAD_MAX];
	size_t head_len;
	char *out; /* the answer, once the request is read */
	size_t out_len, out_done;
	uint64_t accepted_seq; /* the order connections were taken in: the oldest is evicted */
};

struct metrics_server {
	int listen_fd, epoll_fd, stop_fd;
	uint64_t stale_ns, accepted;
	pthread_t thread;
	struct conn conns[CONNS_MAX];
};

static void conn_close(struct conn *c)
{
	close(c->fd); /* leaves the epoll set with it */
	free(c->out);
	c->fd = -1;
	c->out = NULL;
}

/*
 * A slot for a connection from peer, or NULL when this peer's every connection is being
 * answered. A peer at its share gives up its own oldest connection still sending its request;
 * with every slot taken, the oldest such connection of any peer is closed: a scrape or a probe
 * sends its request at once and is answered within milliseconds, so slots held by slow or
 * silent senders are what a newcomer takes, and no number of them keeps a probe out.
 */
static struct conn *conn_slot(struct metrics_server *s, const struct sockaddr_storage *peer)
{
	struct conn *free_slot = NULL, *oldest = NULL, *oldest_of_peer = NULL, *victim;
	int from_peer = 0;

	for (int i = 0; i < CONNS_MAX; i++) {
		struct conn *c = &s->conns[i];
		bool same = false;

		if (c->fd < 0) {
			free_slot = free_slot ? free_slot : c;
			continue;
		}
		if (metrics_same_peer(&c->peer, peer)) {
			from_peer++;
			same = true;
		}
		if (c->out) /* being answered: not to be taken */
			continue;
		if (!oldest || c->accepted_seq < oldest->accepted_seq)
			oldest = c;
		if (same && (!oldest_of_peer || c->accepted_seq < oldest_of_peer->accepted_seq))
			oldest_of_peer = c;
	}
	if (from_peer >= PEER_CONNS_MAX)
		victim = oldest_of_peer;
	else if (free_slot)
		return free_slot;
	else
		victim = oldest;
	if (!victim)
		return NULL;
	metrics_http_evicted();
	conn_close(victim);
	return victim;
}

static void on_readable(struct metrics_server *s, struct conn *c);

/*
 * Takes up to ACCEPTS_PER_WAKEUP connections (the listening socket stays ready for the rest):
 * a probe taken now is evicted only by PEER_CONNS_MAX newcomers of its address, so a burst of
 * them waits for the next wakeup, after the probe's request has been read.
 */
static void on_accept(struct metrics_server *s)
{
	for (int taken = 0; taken < ACCEPTS_PER_WAKEUP; taken++) {
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
		*c = (struct conn){.fd = fd, .peer = peer, .accepted_seq = ++s->accepted};
		c->deadline_ms = clock_monotonic_ms() + CONN_DEADLINE_MS;
		ev.data.ptr = c;
		if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
			conn_close(c);
			continue;
		}
		/* a request sent with the handshake is answered, and no longer evictable */
		on_readable(s, c);
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
	struct http_request req;
	bool head_only;

	if (http_request_line_parse(c->head, c->head_len, &req))
		return answer_text(c, 400, "bad request\n", false);
	head_only = !strcmp(req.method, "HEAD");
	if (strcmp(req.method, "GET") && !head_only)
		return answer_text(c, 405, "GET only\n", false);
	if (!strcmp(req.path, "/metrics"))
		return answer_metrics(c, head_only);
	if (!strcmp(req.path, "/healthz"))
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
	if (!http_head_end(c->head, c->head_len)) {
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
		bool incoming = false;

		for (int i = 0; i < n; i++) {
			struct conn *c = events[i].data.ptr;

			if (c == NULL)
				incoming = true;
			else if (c == (struct conn *)s)
				return NULL; /* the stop eventfd */
			else if (c->fd < 0)
				continue; /* closed by an earlier event of this batch */
			else if (c->out)
				on_writable(c);
			else
				on_readable(s, c);
		}
		/* after the batch's requests: what they sent is read before newcomers can evict */
		if (incoming)
			on_accept(s);
	}
}

static bool is_ipv6_any(const struct sockaddr_storage *a)
{
	return a->ss_family == AF_INET6 &&
	       IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)a)->sin6_addr);
}

/* IPv4's every address for IPv6's, on a kernel without IPv6 (ipv6.disable=1) */
static void ipv4_any(struct sockaddr_storage *a, socklen_t *len)
{
	struct sockaddr_in any = {.sin_family = AF_INET,
				  .sin_port = ((struct sockaddr_in6 *)a)->sin6_port,
				  .sin_addr.s_addr = htonl(INADDR_ANY)};

	memset(a, 0, sizeof(*a));
	memcpy(a, &any, sizeof(any));
	*len = sizeof(any);
}

static int listen_on(const char *address)
{
	struct sockaddr_storage a;
	socklen_t len;
	int fd, one = 1, zero = 0;

	if (metrics_address_parse(address, &a, &len))
		return -EINVAL;
	fd = socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && errno == EAFNOSUPPORT && is_ipv6_any(&a)) {
		ipv4_any(&a, &len);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* every address means IPv4's too, whatever net.ipv6.bindv6only says */
	if (is_ipv6_any(&a))
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
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
