// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * /metrics and /healthz with civetweb, on threads of its own (metrics_server.h). civetweb's C
 * library links libc alone (libmicrohttpd would bring GnuTLS and five more libraries, ~6.7 MiB
 * of the image, for TLS that a node-local scrape port does not use). No document root: it
 * serves these two paths and nothing else.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <civetweb.h>
#include <pthread.h>

#include "common/clock.h"
#include "metrics/metrics.h"
#include "metrics/metrics_server.h"

#define METRICS_TEXT_MAX (64 * 1024)

struct metrics_server {
	struct mg_context *ctx;
	uint64_t stale_ns;
};

static bool is_get(struct mg_connection *c)
{
	const char *method = mg_get_request_info(c)->request_method;

	return !strcmp(method, "GET") || !strcmp(method, "HEAD");
}

static int on_metrics(struct mg_connection *c, void *cbdata)
{
	char *buf;
	size_t len;

	(void)cbdata;
	if (!is_get(c))
		return mg_send_http_error(c, 405, "GET only\n"), 405;
	buf = malloc(METRICS_TEXT_MAX);
	if (!buf)
		return mg_send_http_error(c, 500, "out of memory\n"), 500;
	len = metrics_render(buf, METRICS_TEXT_MAX, clock_boottime_ns());
	if (len >= METRICS_TEXT_MAX) { /* cannot happen with today's families: say so if it does */
		free(buf);
		return mg_send_http_error(c, 500, "metrics text too long\n"), 500;
	}
	mg_send_http_ok(c, "text/plain; version=0.0.4; charset=utf-8", (long long)len);
	mg_write(c, buf, len);
	free(buf);
	return 200;
}

static int on_health(struct mg_connection *c, void *cbdata)
{
	const struct metrics_server *s = cbdata;
	const char *why;

	if (!is_get(c))
		return mg_send_http_error(c, 405, "GET only\n"), 405;
	if (!metrics_healthy(clock_boottime_ns(), s->stale_ns, &why))
		return mg_send_http_error(c, 503, "%s\n", why), 503;
	mg_send_http_ok(c, "text/plain; charset=utf-8", (long long)strlen(why) + 1);
	mg_printf(c, "%s\n", why);
	return 200;
}

static int on_other(struct mg_connection *c, void *cbdata)
{
	(void)cbdata;
	return mg_send_http_error(c, 404, "/metrics or /healthz\n"), 404;
}

/* civetweb's listening_ports from our address: "1.2.3.4:P", "[::1]:P", or "P" for any. */
static int listening_ports(const char *address, char *out, size_t size)
{
	struct sockaddr_storage a;
	char host[INET6_ADDRSTRLEN];
	socklen_t len;
	int port;

	if (metrics_address_parse(address, &a, &len))
		return -EINVAL;
	if (a.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(out, size, "[%s]:%d", host, port);
		return 0;
	}
	inet_ntop(AF_INET, &((struct sockaddr_in *)&a)->sin_addr, host, sizeof(host));
	port = ntohs(((struct sockaddr_in *)&a)->sin_port);
	snprintf(out, size, "%s:%d", host, port);
	return 0;
}

/* civetweb's own log lines: quiet, the start's error comes back through mg_start2 */
static int on_log(const struct mg_connection *c, const char *message)
{
	(void)c;
	(void)message;
	return 1;
}

struct metrics_server *metrics_server_start(const char *address, uint64_t stale_ns)
{
	static const struct mg_callbacks callbacks = {.log_message = on_log};
	char ports[80], error[128] = "";
	unsigned int code = 0;
	const char *options[] = {
	    "listening_ports",	 ports, "num_threads", "2", "request_timeout_ms", "10000",
	    "enable_keep_alive", "no",	NULL};
	struct mg_init_data init = {.callbacks = &callbacks, .configuration_options = options};
	struct mg_error_data err = {
	    .code = &code, .text = error, .text_buffer_size = sizeof(error)};
	struct metrics_server *s;
	sigset_t all, old;

	if (listening_ports(address, ports, sizeof(ports))) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->stale_ns = stale_ns;
	mg_init_library(0);
	init.user_data = s;
	/* the server's threads take no signal: they are the main thread's to see */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	s->ctx = mg_start2(&init, &err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!s->ctx) {
		free(s);
		mg_exit_library();
		/* civetweb says why in words only; the usual why is a port in use */
		errno = strstr(error, "ermission") ? EACCES : EADDRINUSE;
		return NULL;
	}
	mg_set_request_handler(s->ctx, "/metrics$", on_metrics, s);
	mg_set_request_handler(s->ctx, "/healthz$", on_health, s);
	mg_set_request_handler(s->ctx, "/", on_other, s);
	return s;
}

void metrics_server_stop(struct metrics_server *s)
{
	if (!s)
		return;
	mg_stop(s->ctx);
	mg_exit_library();
	free(s);
}
