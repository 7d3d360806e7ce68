/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CONTAINER_TABLE_H
#define CTRWATCH_CONTAINER_TABLE_H

#include <stdint.h>

#include "lifecycle/container.h"

/*
 * The containers whose cgroup exists, by cgroup id: the lifecycle's, one reference each. It knows
 * nothing of events or of other stages.
 */
struct container_table {
	void *root; /* tsearch(3) tree of struct container *, keyed by cgroup id */
	unsigned int count;
};

void container_table_init(struct container_table *t);
/* Borrowed: valid while the table holds it. */
struct container *container_table_get(const struct container_table *t, uint64_t cgroup_id);
/* Puts c in the table, which takes over the caller's reference. Returns 0, -EEXIST or -ENOMEM
 * (then the caller keeps its reference). */
int container_table_insert(struct container_table *t, struct container *c);
/* Takes the container out of the table and hands the table's reference to the caller; NULL if
 * absent. */
struct container *container_table_take(struct container_table *t, uint64_t cgroup_id);
/*
 * The container whose cgroup holds the cgroup at path, the innermost if several do (a container
 * nested in another's); NULL if none. Borrowed. A walk of the table: for startup, not per record.
 */
struct container *container_table_outer(const struct container_table *t, const char *path);
/* The same, with a container at path itself counting: whose cgroup path is, or holds, path. */
struct container *container_table_holding(const struct container_table *t, const char *path);
/* Drops every reference the table holds. */
void container_table_clear(struct container_table *t);

#endif
