/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CGROUP_HIERARCHY_H
#define CTRWATCH_CGROUP_HIERARCHY_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * The one cgroup hierarchy ctrwatch watches: cgroup2 wherever it is mounted (unified or hybrid
 * hosts), else the v1 cpuset hierarchy. Watching one hierarchy is what makes a container's
 * cgroup_mkdir count once instead of once per v1 controller.
 */
struct cgroup_hierarchy {
	char mount_point[PATH_MAX];
	uint32_t hierarchy_id; /* cgroup_root.hierarchy_id; 0 for cgroup2 */
	bool v1;
};

/* Returns 0, or -ENOENT when no usable hierarchy is mounted. */
int cgroup_hierarchy_find(struct cgroup_hierarchy *h);

/* Parses a /proc/self/mountinfo line-set and /proc/cgroups text; exposed for tests. */
int cgroup_hierarchy_parse(const char *mountinfo, const char *proc_cgroups,
			   struct cgroup_hierarchy *h);

#endif
