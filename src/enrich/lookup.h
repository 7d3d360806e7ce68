/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_LOOKUP_H
#define CTRWATCH_LOOKUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "enrich/container_meta.h"
#include "enrich/enrichment.h"
#include "lifecycle/cgroup_path.h"

#define LOOKUP_ERROR_MAX 512 /* room for a mismatch's cgroup path */
#define EXEC_ID_MAX	 76  /* containerd's identifier limit */

/*
 * The seam between the pipeline and containerd: the pipeline asks who a container is and later
 * takes the answers. The enricher (enricher.c, a worker thread making gRPC calls) is the real
 * implementation; the pipeline's unit tests bring a fake one. Answers are facts only: what
 * containerd knows, never whether to keep the container.
 */
struct lookup_request {
	uint64_t cgroup_id;
	const struct container_ident *ident;
	const char *cgroup_path; /* relative to the hierarchy root */
	bool cgroup_path_tail;	 /* ... only its end: it did not fit a record */
	bool want_init_pid;	 /* a running container whose init the scan could not see */
	/*
	 * A known container (its path named one, or its start confirmed it), asked for before any
	 * lookalike: a flood of /<ns>/<id> directories must not queue real containers behind it.
	 */
	bool urgent;
	/*
	 * Nonzero: not the container but an exec session's exec id, for this host pid, in the
	 * container's containerd namespace (what its lookup found).
	 */
	uint32_t session_pid;
	const char *namespace;
};

enum lookup_status {
	LOOKUP_FOUND,	  /* meta is filled; error says what part of it, if any, failed */
	LOOKUP_NOT_FOUND, /* containerd answered and knows no such container */
	LOOKUP_FAILED,	  /* containerd did not answer: error says why */
	/*
	 * The engine knows a container of this id, but its record puts the container's cgroup
	 * elsewhere: this cgroup only claims its name (error says where the engine's is). Nothing
	 * of the engine's container is given.
	 */
	LOOKUP_MISMATCH,
};

struct lookup_result {
	uint64_t cgroup_id;
	enum lookup_status status;
	struct container_meta meta;
	uint32_t init_pid; /* from Tasks/Get, when asked for: host pid of a running init */
	bool searched_all; /* NOT_FOUND in every namespace, not only the one the path names */
	/* FOUND for a cgroup whose name says no id (CGROUP_FORM_UNNAMED): the engine's id for it */
	char id[CONTAINER_ID_MAX + 1];
	bool mismatched;      /* a container of that id was found with another cgroup */
	uint32_t session_pid; /* a session's lookup: FOUND with its exec id */
	char exec_id[EXEC_ID_MAX + 1];
	char error[LOOKUP_ERROR_MAX];
	struct enrichment_claim claim; /* with LOOKUP_MISMATCH: where the engine has it */
	STAILQ_ENTRY(lookup_result) link;
};

STAILQ_HEAD(lookup_result_list, lookup_result);

struct lookup_ops {
	/* Queues a lookup; the request is copied. Returns 0, -ENOMEM, -EBUSY when the queue
	 * of lookups that are not urgent is full, or -EAGAIN when a rootless container's lane is
	 * (nothing was queued). */
	int (*submit)(void *ctx, const struct lookup_request *req);
	/* Makes a queued lookup urgent: its container was just confirmed. */
	void (*promote)(void *ctx, uint64_t cgroup_id);
	/* Moves every finished lookup, oldest first, to the end of out. */
	void (*take)(void *ctx, struct lookup_result_list *out);
};

struct lookup_result *lookup_result_new(uint64_t cgroup_id);
void lookup_result_free(struct lookup_result *r);

#endif
