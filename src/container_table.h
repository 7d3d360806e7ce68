/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CONTAINER_TABLE_H
#define CTRWATCH_CONTAINER_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup_path.h"

/* What userspace knows of one container, from its cgroup's birth to its removal. */
struct container {
	uint64_t cgroup_id;
	char *cgroup_path;
	bool cgroup_path_truncated;
	struct container_ident ident;
	uint64_t created_ns; /* CLOCK_BOOTTIME of the cgroup's mkdir */
	uint32_t init_pid;   /* 0 until started */
	bool confirmed;	     /* known to be a container; see lifecycle.c */
	bool started;
	bool exited;
};

struct container_table {
	void *root; /* tsearch(3) tree keyed by cgroup id */
	unsigned int count;
};

void container_table_init(struct container_table *t);
struct container *container_table_get(struct container_table *t, uint64_t cgroup_id);
/* Adds a container (copies path). Returns it, or NULL with errno (EEXIST, ENOMEM). */
struct container *container_table_add(struct container_table *t, uint64_t cgroup_id,
				      const char *cgroup_path, bool truncated,
				      const struct container_ident *ident);
void container_table_remove(struct container_table *t, struct container *c);
void container_table_clear(struct container_table *t);

#endif
