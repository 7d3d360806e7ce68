/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_PIPELINE_H
#define CTRWATCH_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "container_table.h"
#include "enricher.h"
#include "event.h"
#include "filter.h"
#include "json_writer.h"
#include "output.h"

#define HOSTNAME_MAX 256

struct pipeline_config {
	struct output *out;
	struct container_table *table;
	struct enricher *enricher; /* NULL: no enrichment */
	const struct filter_set *filters;
	bool pause_filter;
	uint64_t enrich_timeout_ns;
	unsigned int cache_size; /* containers whose metadata is kept */
	int (*untrack)(void *ctx, uint64_t cgroup_id);
	/* Tells the kernel a running container's init, learnt from containerd. */
	int (*set_init)(void *ctx, uint64_t cgroup_id, uint32_t pid);
	void *ctx;
};

/*
 * The stages after classification. Each container's events are held, in order, until it is
 * confirmed as a container and containerd answered its lookup (or --enrich-timeout passed); then
 * the pause and user filters decide once, and the events are encoded and written.
 */
struct pipeline {
	struct pipeline_config cfg;
	struct json_writer writer;
	char hostname[HOSTNAME_MAX];
	struct container *holding; /* containers with held events */
	uint64_t lines;
	int write_error; /* first failed write, -errno; the caller stops on it */
};

void pipeline_init(struct pipeline *p, const struct pipeline_config *cfg);
void pipeline_free(struct pipeline *p);
void pipeline_submit(struct pipeline *p, const struct event *ev, uint64_t now_ns);
/* Applies finished lookups. */
void pipeline_take_results(struct pipeline *p, uint64_t now_ns);
/* Writes what waited past its deadline; force: everything that can be (at exit). */
void pipeline_tick(struct pipeline *p, uint64_t now_ns, bool force);
/* The earliest lookup deadline among held events, or 0. */
uint64_t pipeline_next_deadline(const struct pipeline *p);
void pipeline_submit_lost(struct pipeline *p, uint64_t boot_ns,
			  const uint64_t lost[RECORD_TYPE_MAX]);

#endif
