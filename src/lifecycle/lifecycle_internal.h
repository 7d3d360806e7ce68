/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_LIFECYCLE_INTERNAL_H
#define CTRWATCH_LIFECYCLE_INTERNAL_H
/*
 * What the two files behind lifecycle.h share, and nothing else includes: the lifecycle's state
 * (made and freed by lifecycle.c) and its aliases.
 *   lifecycle.c          the containers' lifecycle from the kernel's records, as they come;
 *   lifecycle_startup.c  the containers found at startup: by the scan, or adopted from a
 *                        pinned set's tracked map.
 */
#include <stdint.h>

#include "lifecycle/container_table.h"
#include "lifecycle/lifecycle.h"

/*
 * A cgroup inside a container's that names no container of its own: its processes are the
 * container's. crun under systemd runs a container in "<scope>/container"; an init may move to a
 * leaf. Its start and exit are the container's; it holds a container reference.
 */
struct alias {
	uint64_t cgroup_id;
	struct container *container;
};

struct lifecycle {
	struct container_table table;
	void *aliases; /* tsearch(3) tree of struct alias *, by cgroup id */
	struct tracked_map map;
	uint64_t malformed_records;
	uint64_t readmitted;
	uint64_t aliases_refused;
};

/* lifecycle.c */
struct alias *alias_find(struct lifecycle *lc, uint64_t cgroup_id);
int alias_insert(struct lifecycle *lc, uint64_t cgroup_id, struct container *c);
struct container *lc_container_of(struct lifecycle *lc, uint64_t cgroup_id);
int lc_make_event(struct event *ev, enum event_kind kind, uint64_t boot_ns, struct container *c);
void lc_set_parent(struct container *c, const struct container *outer);

#endif
