/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CONTAINER_TABLE_H
#define CTRWATCH_CONTAINER_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup_path.h"
#include "container_meta.h"
#include "event.h"

/* An event the pipeline holds until its container's lookup answers; owns its record copy. */
struct held_event {
	struct held_event *next;
	struct event ev;
	struct record_process process;
};

/* What userspace knows of one container, from its cgroup's birth to its removal. */
struct container {
	uint64_t cgroup_id;
	char *cgroup_path;
	bool cgroup_path_truncated;
	struct container_ident ident;
	uint64_t created_ns; /* CLOCK_BOOTTIME of the cgroup's mkdir */
	uint32_t init_pid;   /* 0 until started */
	bool confirmed;	     /* known to be a container; see lifecycle.c */
	bool existing;	     /* found by the startup scan */
	bool started;
	bool exited;
	bool removed; /* its cgroup is gone; freed once the pipeline holds nothing of it */

	/* The pipeline's: enrichment, filter decision, held events. */
	struct container_meta *meta; /* NULL until containerd answered, or if it knows nothing */
	const char *enrichment;	     /* "complete", "partial", "none"; NULL until known */
	char *enrichment_error;
	bool lookup_pending;
	uint64_t lookup_deadline_ns;
	uint64_t retry_after_ns; /* a failed lookup is retried from then on */
	bool decided;		 /* filters applied: dropped is final */
	bool dropped;
	struct held_event *held_head, *held_tail;
	struct container *held_next; /* in the pipeline's list of containers holding events */
};

struct container_table {
	void *root; /* tsearch(3) tree keyed by cgroup id */
	unsigned int count;
	unsigned int with_meta; /* containers holding containerd metadata: the cache's size */
};

void container_table_init(struct container_table *t);
struct container *container_table_get(struct container_table *t, uint64_t cgroup_id);
/* Adds a container (copies path). Returns it, or NULL with errno (EEXIST, ENOMEM). */
struct container *container_table_add(struct container_table *t, uint64_t cgroup_id,
				      const char *cgroup_path, bool truncated,
				      const struct container_ident *ident);
void container_table_remove(struct container_table *t, struct container *c);
/* Removes c now, or, if the pipeline still holds events of it, once it has written them. */
void container_table_release(struct container_table *t, struct container *c);
void container_set_meta(struct container_table *t, struct container *c, struct container_meta *m);
void container_table_clear(struct container_table *t);

#endif
