/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_ENRICHER_H
#define CTRWATCH_ENRICHER_H

#include "enrich/lookup.h"

/*
 * Container lookups on a worker thread, so that an RPC never stalls the ring buffer reader.
 * The pipeline reaches it through enricher_lookup_ops (ctx: the enricher): requests go in with
 * submit(), answers come back through take(), and enricher_fd() becomes readable when there
 * are some. The answers are facts: what containerd knows of the container, or for Docker's and
 * Podman's containers what their engine's API says.
 */
struct enricher;

struct enricher_config {
	const char *socket_path;   /* containerd's */
	const char *docker_socket; /* NULL: Docker's containers are asked of containerd only */
	const char *podman_socket; /* NULL: Podman's containers are not looked up */
	const char *crio_socket;   /* a CRI runtime's (CRI-O's); NULL: not asked */
	/* rootless Podman's, "%u" for the uid (user_engines.h); NULL: not asked */
	const char *user_podman_socket;
	int rpc_timeout_ms; /* one call, to any of them */
	/* the watched hierarchy's mount point: where a long path's cgroup is proven by its id */
	const char *cgroup_mount;
	uint32_t cgroup_hierarchy_id; /* its id: 0 for cgroup2 */
};

/* Starts the worker. Returns NULL with errno set. */
struct enricher *enricher_start(const struct enricher_config *cfg);
/* Joins the worker (a lookup in flight finishes first: a few calls of rpc_timeout_ms at most)
 * and frees all. */
void enricher_stop(struct enricher *e);
int enricher_fd(const struct enricher *e);

extern const struct lookup_ops enricher_lookup_ops;

/* Which source of answers, for enricher_source_state(). */
enum enricher_source { ENRICHER_CONTAINERD, ENRICHER_DOCKER, ENRICHER_PODMAN, ENRICHER_CRIO };
/*
 * How that source answered last: "up", "down" (its socket is there and does not answer),
 * "absent" (no socket: not installed), "off" (not asked: its socket option is empty). Any
 * thread.
 */
const char *enricher_source_state(const struct enricher *e, enum enricher_source which);

#endif
