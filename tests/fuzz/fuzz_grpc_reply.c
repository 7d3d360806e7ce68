// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: raw bytes as what containerd's socket sends back to one unary gRPC call
 * (src/enrich/grpc_unary.c): the HTTP/2 frames nghttp2 parses, then what grpc_unary makes of
 * them (the 5-byte length prefix and the message, grpc-status and grpc-message in trailers or
 * in headers alone, percent-decoding, HTTP statuses). A server thread on a unix socket answers
 * every connection with the input and closes its side. Nothing may crash, hang or leak; a
 * reply is OK with a message, or an error with a status and a NUL-terminated text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "enrich/grpc_unary.h"

static int listen_fd = -1;
static char socket_path[108];

struct script {
	const uint8_t *data;
	size_t size;
	volatile int done; /* the call is over: the next connection only wakes the server */
};

/* Each connection (the client makes a second one for a call the peer did not take): the input,
 * then end of stream; what the client sends is read and dropped until it closes. */
static void *serve(void *arg)
{
	struct script *sc = arg;
	char sink[4096];

	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		size_t off = 0;

		if (fd < 0 || __atomic_load_n(&sc->done, __ATOMIC_ACQUIRE)) {
			if (fd >= 0)
				close(fd);
			break;
		}
		while (off < sc->size) {
			ssize_t n = send(fd, sc->data + off, sc->size - off, MSG_NOSIGNAL);

			if (n <= 0)
				break;
			off += n;
		}
		shutdown(fd, SHUT_WR);
		while (read(fd, sink, sizeof(sink)) > 0)
			;
		close(fd);
	}
	return NULL;
}

static void listen_once(void)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	snprintf(socket_path, sizeof(socket_path), "/tmp/ctrwatch-fuzz-grpc.%d.sock",
		 (int)getpid());
	unlink(socket_path);
	strcpy(addr.sun_path, socket_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(listen_fd, 4))
		abort();
}

/* The server waits in accept(): a connection of ours, after done is set, ends it. */
static void unblock_server(void)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(addr.sun_path, socket_path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		shutdown(fd, SHUT_WR);
	if (fd >= 0)
		close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct script sc = {data, size, 0};
	struct grpc_unary_result r;
	struct grpc_unary_channel *ch;
	pthread_t server;
	int rc;

	if (listen_fd < 0)
		listen_once();
	if (pthread_create(&server, NULL, serve, &sc))
		abort();
	ch = grpc_unary_open(socket_path);
	memset(&r, 0, sizeof(r));
	rc = grpc_unary_call(ch, "/containerd.services.containers.v1.Containers/Get", "k8s.io",
			     (const uint8_t *)"\x0a\x03web", 5, 200, &r);
	grpc_unary_close(ch);
	__atomic_store_n(&sc.done, 1, __ATOMIC_RELEASE);
	unblock_server();
	pthread_join(server, NULL);
	if (memchr(r.error, '\0', sizeof(r.error)) == NULL)
		abort(); /* the error text must end inside its buffer */
	if (rc == 0 && r.status != 0)
		abort();
	if (rc != 0 && (r.status == 0 || r.data))
		abort();
	free(r.data);
	return 0;
}
