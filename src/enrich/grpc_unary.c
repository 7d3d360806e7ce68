// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unary gRPC calls with gRPC's C core: one batch of six ops on a call, plucked from a per-call
 * completion queue with a deadline. The library handles HTTP/2, connection and reconnection.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "enrich/grpc_unary.h"

struct grpc_unary_channel {
	grpc_channel *channel;
	char target[4200];
	bool stale; /* the last call found the server unavailable */
};

static grpc_channel *create_channel(const char *target)
{
	/* Reconnect quickly after a containerd restart, instead of gRPC's default of up to 2 min.
	 */
	grpc_arg args[] = {
	    {.type = GRPC_ARG_INTEGER,
	     .key = GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
	     .value.integer = 100},
	    {.type = GRPC_ARG_INTEGER,
	     .key = GRPC_ARG_MIN_RECONNECT_BACKOFF_MS,
	     .value.integer = 100},
	    {.type = GRPC_ARG_INTEGER,
	     .key = GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
	     .value.integer = 1000},
	};
	grpc_channel_args channel_args = {.num_args = sizeof(args) / sizeof(args[0]), .args = args};
	grpc_channel_credentials *creds = grpc_insecure_credentials_create();
	grpc_channel *channel = grpc_channel_create(target, creds, &channel_args);

	grpc_channel_credentials_release(creds);
	return channel;
}

struct grpc_unary_channel *grpc_unary_open(const char *socket_path)
{
	struct grpc_unary_channel *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	if (snprintf(ch->target, sizeof(ch->target), "unix://%s", socket_path) >=
	    (int)sizeof(ch->target)) {
		free(ch);
		errno = ENAMETOOLONG;
		return NULL;
	}
	grpc_init();
	ch->channel = create_channel(ch->target);
	if (!ch->channel) {
		grpc_shutdown();
		free(ch);
		errno = EINVAL;
		return NULL;
	}
	return ch;
}

/*
 * After the server was unavailable, a channel waits out gRPC's reconnect backoff before it tries
 * again, failing calls meanwhile. A fresh channel tries at once, so the first lookup after
 * containerd is back succeeds. Callers make a lookup per new container, not a loop.
 */
static void refresh_if_stale(struct grpc_unary_channel *ch)
{
	grpc_channel *fresh;

	if (!ch->stale)
		return;
	fresh = create_channel(ch->target);
	if (!fresh)
		return;
	grpc_channel_destroy(ch->channel);
	ch->channel = fresh;
	ch->stale = false;
}

void grpc_unary_close(struct grpc_unary_channel *ch)
{
	if (!ch)
		return;
	grpc_channel_destroy(ch->channel);
	grpc_shutdown();
	free(ch);
}

static int status_to_errno(grpc_status_code status)
{
	switch (status) {
	case GRPC_STATUS_OK: return 0;
	case GRPC_STATUS_NOT_FOUND: return -ENOENT;
	case GRPC_STATUS_DEADLINE_EXCEEDED: return -ETIMEDOUT;
	case GRPC_STATUS_UNAVAILABLE: return -ECONNREFUSED;
	default: return -EIO;
	}
}

static void read_message(grpc_byte_buffer *bb, struct grpc_unary_result *result)
{
	grpc_byte_buffer_reader reader;
	grpc_slice slice;

	if (!bb || !grpc_byte_buffer_reader_init(&reader, bb))
		return;
	slice = grpc_byte_buffer_reader_readall(&reader);
	grpc_byte_buffer_reader_destroy(&reader);
	result->len = GRPC_SLICE_LENGTH(slice);
	result->data = malloc(result->len ? result->len : 1);
	if (result->data)
		memcpy(result->data, GRPC_SLICE_START_PTR(slice), result->len);
	else
		result->len = 0;
	grpc_slice_unref(slice);
}

static void drain_and_destroy(grpc_completion_queue *cq)
{
	grpc_completion_queue_shutdown(cq);
	while (
	    grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
	    GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(cq);
}

int grpc_unary_call(struct grpc_unary_channel *ch, const char *method, const char *ns,
		    const uint8_t *request, size_t request_len, int timeout_ms,
		    struct grpc_unary_result *result)
{
	gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
					     gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
	grpc_metadata md = {.key = grpc_slice_from_static_string("containerd-namespace")};
	grpc_slice req_slice = grpc_slice_from_copied_buffer((const char *)request, request_len);
	grpc_byte_buffer *send = grpc_raw_byte_buffer_create(&req_slice, 1);
	grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
	grpc_metadata_array initial_md, trailing_md;
	grpc_byte_buffer *recv = NULL;
	grpc_status_code status = GRPC_STATUS_UNKNOWN;
	grpc_slice details = grpc_empty_slice();
	grpc_op ops[6] = {};
	grpc_call *call;
	grpc_event ev;

	memset(result, 0, sizeof(*result));
	refresh_if_stale(ch);
	grpc_metadata_array_init(&initial_md);
	grpc_metadata_array_init(&trailing_md);
	md.value = grpc_slice_from_copied_string(ns ? ns : "");
	call =
	    grpc_channel_create_call(ch->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
				     grpc_slice_from_static_string(method), NULL, deadline, NULL);
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[0].data.send_initial_metadata.count = ns ? 1 : 0;
	ops[0].data.send_initial_metadata.metadata = ns ? &md : NULL;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = send;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &recv;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
	ops[5].data.recv_status_on_client.status = &status;
	ops[5].data.recv_status_on_client.status_details = &details;

	if (grpc_call_start_batch(call, ops, 6, call, NULL) != GRPC_CALL_OK) {
		status = GRPC_STATUS_INTERNAL;
		snprintf(result->error, sizeof(result->error), "cannot start the call");
		grpc_call_cancel(call, NULL);
	} else {
		/* The call's own deadline ends it; the margin only guards against a stuck queue. */
		ev = grpc_completion_queue_pluck(
		    cq, call, gpr_time_add(deadline, gpr_time_from_millis(1000, GPR_TIMESPAN)),
		    NULL);
		if (ev.type != GRPC_OP_COMPLETE) {
			grpc_call_cancel(call, NULL);
			status = GRPC_STATUS_DEADLINE_EXCEEDED;
			grpc_completion_queue_pluck(cq, call, gpr_inf_future(GPR_CLOCK_REALTIME),
						    NULL);
		}
	}
	result->status = status;
	ch->stale = status == GRPC_STATUS_UNAVAILABLE;
	if (status == GRPC_STATUS_OK) {
		read_message(recv, result);
	} else if (!result->error[0]) {
		char *text = grpc_slice_to_c_string(details);

		snprintf(result->error, sizeof(result->error), "%s", text);
		gpr_free(text);
	}

	grpc_metadata_array_destroy(&initial_md);
	grpc_metadata_array_destroy(&trailing_md);
	grpc_slice_unref(details);
	grpc_slice_unref(md.value);
	grpc_slice_unref(req_slice);
	grpc_byte_buffer_destroy(send);
	if (recv)
		grpc_byte_buffer_destroy(recv);
	grpc_call_unref(call);
	drain_and_destroy(cq);
	return status_to_errno(status);
}
