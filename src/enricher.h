/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_ENRICHER_H
#define CTRWATCH_ENRICHER_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup_path.h"
#include "container_meta.h"
#include "containerd_client.h"
#include "filter.h"

/*
 * containerd lookups on a worker thread, so that an RPC never stalls the ring buffer reader.
 * Requests go in with enricher_submit(); results come back through enricher_take(), and
 * enricher_fd() becomes readable when there are some.
 */
struct enricher;

enum enrich_status {
	ENRICH_FOUND,	  /* meta is filled; error says what part, if any, failed */
	ENRICH_NOT_FOUND, /* containerd answered and knows no such container */
	ENRICH_FAILED,	  /* containerd did not answer: error says why */
};

struct enrich_result {
	uint64_t cgroup_id;
	enum enrich_status status;
	struct container_meta meta;
	bool cgroup_confirmed; /* the container's spec names this very cgroup */
	uint32_t init_pid;     /* from Tasks/Get, when asked for: host pid of a running init */
	char error[CONTAINERD_ERROR_MAX];
	struct enrich_result *next;
};

struct enricher_config {
	const char *socket_path;
	int rpc_timeout_ms;
	const struct filter_set *filters; /* for --namespace */
};

struct enricher *enricher_start(const struct enricher_config *cfg);
void enricher_stop(struct enricher *e);
int enricher_fd(const struct enricher *e);
/* Queues a lookup. Returns 0 or -ENOMEM. */
int enricher_submit(struct enricher *e, uint64_t cgroup_id, const struct container_ident *ident,
		    const char *cgroup_path, bool want_init_pid);
/* Takes every finished lookup, oldest first; free each with enrich_result_free(). */
struct enrich_result *enricher_take(struct enricher *e);
void enrich_result_free(struct enrich_result *r);

#endif
