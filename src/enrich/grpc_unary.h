/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_GRPC_UNARY_H
#define CTRWATCH_GRPC_UNARY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A gRPC channel to a unix socket, for unary calls (HTTP/2 by nghttp2). One call at a time. */
struct grpc_unary_channel;

/* Returns NULL with errno set. The channel connects at its first call, and again after the
 * connection was lost. */
struct grpc_unary_channel *grpc_unary_open(const char *socket_path);
void grpc_unary_close(struct grpc_unary_channel *ch);

/* The pid of the process that took the last connection (SO_PEERCRED); 0 when not known. */
pid_t grpc_unary_peer_pid(const struct grpc_unary_channel *ch);

struct grpc_unary_result {
	uint8_t *data; /* response message bytes, malloc'ed; NULL if none */
	size_t len;
	int status;	 /* gRPC status code; 0 is OK */
	char error[160]; /* gRPC status text when status != 0 */
};

/*
 * Calls method ("/pkg.Service/Method") with the containerd-namespace metadata set to ns (unless
 * NULL) and a deadline of timeout_ms. Returns 0 on OK, else -errno mapped from the status
 * (-ENOENT not found, -ETIMEDOUT deadline, -ECONNREFUSED unavailable, -EIO other) with
 * result->error saying why. result->data is the caller's to free.
 */
int grpc_unary_call(struct grpc_unary_channel *ch, const char *method, const char *ns,
		    const uint8_t *request, size_t request_len, int timeout_ms,
		    struct grpc_unary_result *result);

#endif
