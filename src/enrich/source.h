/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_SOURCE_H
#define CTRWATCH_SOURCE_H

/*
 * A source of answers: an engine or runtime ctrwatch asks who a container is. Each is one file
 * (source_<name>.c) that fills a struct source_ops, and one line in enricher.c's table. The
 * enricher gives each source that is asked a lane of its own (a queue and a thread: an engine
 * that answers slowly or never costs only its own containers' lookups) and routes a request to
 * the source its cgroup path's runtime names; the source answers it on that thread, with
 * clients that are the lane's alone.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "enrich/enricher.h"
#include "enrich/source_health.h"

/* What a source is asked: one container's lookup, or an exec session's exec id. */
struct enrich_request {
	uint64_t cgroup_id;
	struct container_ident ident;
	char *cgroup_path;
	bool cgroup_path_tail;
	const char *cgroup_mount;     /* the watched hierarchy's, the enricher's */
	uint32_t cgroup_hierarchy_id; /* and its id: 0 for cgroup2 (/proc/<pid>/cgroup's) */
	bool want_init_pid;
	bool urgent;
	/*
	 * Another source is asked if this one has it not (a pod's container: containerd, then
	 * the CRI runtime): this one does not warn that its socket is absent.
	 */
	bool fallback;
	unsigned int attempts;	/* CRI lookups made (a pod's container not known yet) */
	uint64_t not_before_ns; /* CLOCK_MONOTONIC: in the waiting queue until then */
	uint32_t session_pid;
	char *namespace; /* with session_pid */
	/* the first source's answer, when a fallback is asked after it */
	enum lookup_status first_status;
	char first_error[LOOKUP_ERROR_MAX];
	TAILQ_ENTRY(enrich_request) link;
};

/* The sources, in enricher.c's table. */
enum source_id {
	SOURCE_CONTAINERD, /* containerd's own containers, exec sessions, and every other */
	SOURCE_CRI,	   /* a CRI runtime's (CRI-O's), and a pod's containerd has not */
	SOURCE_DOCKER,
	SOURCE_PODMAN,
	SOURCE_USER_PODMAN, /* rootless Podman: each user's own socket */
	SOURCES,
};

struct source_ops {
	const char *name;
	/*
	 * The runtime whose containers' paths route to it (RUNTIME_UNKNOWN: none by itself),
	 * and whether those are users' own (a libpod scope in a user's delegated subtree).
	 */
	enum container_runtime runtime;
	bool user_owned;
	/* Not asked (no socket given): its containers are containerd's (Docker's, in "moby"). */
	bool else_containerd;
	/*
	 * Its lane's queue: shared fairly by uid (user_lane.h: a user's socket is the user's to
	 * answer slowly or never), or known containers first, then lookalikes.
	 */
	bool fair_by_uid;
	/* Opens its clients: 0, -ENODEV when its socket option is empty (not asked), -errno. */
	int (*open)(const struct enricher_config *cfg, void **ctx);
	void (*close)(void *ctx);
	/* Says what answers (its version), once, as its lane's thread begins. */
	void (*probe)(void *ctx);
	/*
	 * The answer for req, into res (status, meta, error). LOOKUP_FOUND only for a container
	 * whose engine names this very cgroup (cgroup_confirm.h): a name alone is anyone's.
	 */
	void (*lookup)(void *ctx, const struct enrich_request *req, struct lookup_result *res);
	/* How it answered last, for the heartbeat; NULL: no one state (one per user). */
	const struct source_health *(*health)(const void *ctx);
};

extern const struct source_ops containerd_source_ops, cri_source_ops, docker_source_ops,
    podman_source_ops, user_podman_source_ops;

#endif
