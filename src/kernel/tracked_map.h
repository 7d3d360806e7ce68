/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_TRACKED_MAP_H
#define CTRWATCH_TRACKED_MAP_H

#include <stdint.h>

#include "ctrwatch_records.h"

/*
 * Userspace's writes to the kernel's tracked_cgroups map. The lifecycle is their only caller;
 * bpf_programs.c implements them on the real map, the unit tests with a fake.
 */
struct tracked_map_ops {
	/* Seeds a cgroup, unless the kernel already tracks it (-EEXIST). */
	int (*insert)(void *ctx, uint64_t cgroup_id, const struct tracked_cgroup *value);
	/* Stops tracking a cgroup; absent is not an error. */
	int (*remove)(void *ctx, uint64_t cgroup_id);
	/* Stops tracking a cgroup still pending; -EBUSY (and still tracked) if the kernel saw its
	 * start meanwhile: that start's record is on its way. Absent is not an error. */
	int (*forget)(void *ctx, uint64_t cgroup_id);
	/* Marks a tracked, still pending cgroup as started with this init: -EEXIST if the kernel
	 * saw a start meanwhile (its own init wins), -ENOENT if untracked. */
	int (*set_init)(void *ctx, uint64_t cgroup_id, uint32_t pid);
	/* What the kernel holds for a cgroup: -ENOENT if untracked (adopting a pinned set). */
	int (*lookup)(void *ctx, uint64_t cgroup_id, struct tracked_cgroup *value);
};

struct tracked_map {
	const struct tracked_map_ops *ops;
	void *ctx;
};

#endif
