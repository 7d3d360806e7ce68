/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_LANE_H
#define CTRWATCH_LANE_H

/*
 * The enricher's own: its requests, its lanes and itself, shared by enricher.c (the lanes'
 * queues and threads) and engine_lookup.c (what each engine is asked). Nothing else includes it.
 */
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "enrich/enricher.h"
#include "enrich/source.h"
#include "enrich/user_lane.h"

struct enrich_request {
	uint64_t cgroup_id;
	struct container_ident ident;
	char *cgroup_path;
	bool cgroup_path_tail;
	const char *cgroup_mount;     /* the watched hierarchy's, the enricher's */
	uint32_t cgroup_hierarchy_id; /* and its id: 0 for cgroup2 (/proc/<pid>/cgroup's) */
	bool want_init_pid;
	bool urgent;
	unsigned int attempts;	/* CRI lookups made (a pod's container not known yet) */
	uint64_t not_before_ns; /* CLOCK_MONOTONIC: in the waiting queue until then */
	uint32_t session_pid;
	char *namespace; /* with session_pid */
	TAILQ_ENTRY(enrich_request) link;
};

TAILQ_HEAD(request_queue, enrich_request);

/*
 * The lanes of system engines' lookups. containerd's also takes the CRI runtime's, exec
 * sessions' and every container no other lane is for; Docker's and Podman's exist when their
 * sockets are given.
 */
enum lane_id {
	LANE_CONTAINERD,
	LANE_DOCKER,
	LANE_PODMAN,
	LANES,
};

/*
 * A lookup lane: one engine's requests, served by a thread of its own, so that an engine that
 * answers slowly or never (a hung socket, a socket-activated service that takes seconds to
 * start) costs only its own containers' lookups, at startup or later. Its queues are under the
 * enricher's lock; its containerd connection is its thread's.
 */
struct lane {
	struct enricher *e;
	bool running; /* its thread was started */
	pthread_t thread;
	pthread_cond_t wake;
	struct request_queue urgent;	 /* known containers: served first */
	struct request_queue background; /* lookalikes, at most BACKGROUND_MAX */
	unsigned int background_len;
	struct request_queue waiting; /* asked again at not_before_ns, in that order */
	unsigned int waiting_len;
	/* containerd's lane's, and Docker's own (its containers' fallback to "moby"); or NULL */
	struct containerd_client *client;
};

/*
 * Owned by the lanes' threads: each engine's client and source by its lane's (containerd's
 * and the CRI runtime's by containerd's lane); by the user worker: users (the rootless
 * engines). Shared under lock: stopping, the lanes' queues and the results.
 */
struct enricher {
	struct engine_client *docker;	   /* NULL: not asked */
	struct engine_client *podman;	   /* NULL: not asked */
	struct cri_client *cri;		   /* NULL: not asked (--crio-socket "") */
	struct cri_client *containerd_cri; /* containerd's CRI plugin, on containerd's socket */
	struct user_engines *users;	   /* rootless Podman; NULL: not asked */
	struct source containerd_source, docker_source, podman_source, cri_source;
	struct lane lanes[LANES];
	/* the user worker's: its thread and wake; no queue (user_lane), no containerd */
	struct lane user_lookups;
	pthread_mutex_t lock;
	bool stopping;
	struct user_lane user_lane; /* rootless containers', for the user worker, by uid */
	struct lookup_result_list results;
	int event_fd;
	char socket_path[4096];
	char cgroup_mount[PATH_MAX]; /* the watched hierarchy's mount point */
	uint32_t cgroup_hierarchy_id;
};

/* The engines' answer for req, asked on l's clients: never NULL but for lack of memory. */
struct lookup_result *lane_lookup(struct lane *l, const struct enrich_request *req);
/* What the lane's engine is, said once as its thread begins (a slow engine delays only it). */
void lane_greet(struct lane *l);

#endif
