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
	bool v1_freezer; /* a v1 freezer hierarchy is mounted: runtimes pause through it */
};

enum cgroup_hierarchy_choice {
	CGROUP_HIERARCHY_AUTO,	  /* cgroup2 if mounted, else cpuset */
	CGROUP_HIERARCHY_CGROUP2, /* cgroup2 only */
	CGROUP_HIERARCHY_CPUSET,  /* the v1 cpuset hierarchy only */
};

/* Returns 0, or -ENOENT when no hierarchy of the chosen kind is mounted. */
int cgroup_hierarchy_find(enum cgroup_hierarchy_choice choice, struct cgroup_hierarchy *h);

/* Parses a /proc/self/mountinfo line-set and /proc/cgroups text; exposed for tests. */
int cgroup_hierarchy_parse(const char *mountinfo, const char *proc_cgroups,
			   enum cgroup_hierarchy_choice choice, struct cgroup_hierarchy *h);

#endif
