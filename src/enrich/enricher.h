/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_ENRICHER_H
#define CTRWATCH_ENRICHER_H

#include "enrich/lookup.h"

/*
 * containerd lookups on a worker thread, so that an RPC never stalls the ring buffer reader.
 * The pipeline reaches it through enricher_lookup_ops (ctx: the enricher): requests go in with
 * submit(), answers come back through take(), and enricher_fd() becomes readable when there
 * are some. The answers are facts: what containerd knows of the container.
 */
struct enricher;

struct enricher_config {
	const char *socket_path;
	int rpc_timeout_ms;
};

/* Starts the worker. Returns NULL with errno set. */
struct enricher *enricher_start(const struct enricher_config *cfg);
/* Joins the worker (an RPC in flight finishes first: at most rpc_timeout_ms) and frees all. */
void enricher_stop(struct enricher *e);
int enricher_fd(const struct enricher *e);

extern const struct lookup_ops enricher_lookup_ops;

#endif
