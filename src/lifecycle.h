/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_LIFECYCLE_H
#define CTRWATCH_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "cgroup_scan.h"
#include "container_table.h"
#include "event.h"

/* What the lifecycle needs from its surroundings: the kernel map and the next pipeline stage. */
struct lifecycle_ops {
	int (*track)(void *ctx, uint64_t cgroup_id, const struct tracked_cgroup *value);
	int (*untrack)(void *ctx, uint64_t cgroup_id);
	void (*emit)(void *ctx, const struct event *ev);
	void *ctx;
};

/*
 * Turns kernel records into container events: classifies new cgroups, forgets the ones that are
 * not containers (in the kernel too), and lets through, per container, one create, one start,
 * one exit and one remove, in that order.
 */
struct lifecycle {
	struct container_table table;
	struct lifecycle_ops ops;
	uint64_t malformed_records;
};

void lifecycle_init(struct lifecycle *lc, const struct lifecycle_ops *ops);
void lifecycle_free(struct lifecycle *lc);
/* Handles one ring buffer record. Returns 0, or -EINVAL for a malformed record (counted). */
int lifecycle_handle_record(struct lifecycle *lc, const void *data, size_t size);
/* A container found by the startup scan; now_ns is CLOCK_BOOTTIME. */
void lifecycle_add_existing(struct lifecycle *lc, const struct existing_container *ec,
			    uint64_t now_ns);

#endif
