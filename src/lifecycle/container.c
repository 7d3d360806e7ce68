// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle/container.h"

/* Only the thread that reads the ring buffer creates and frees containers: no atomics needed. */
static unsigned long live;

struct container *container_new(uint64_t cgroup_id, const char *cgroup_path, bool truncated,
				const struct container_ident *ident)
{
	struct container *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->cgroup_path = strdup(cgroup_path);
	if (!c->cgroup_path) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->cgroup_id = cgroup_id;
	c->cgroup_path_truncated = truncated;
	c->ident = *ident;
	c->phase = CONTAINER_CREATED;
	c->refs = 1;
	live++;
	return c;
}

struct container *container_get(struct container *c)
{
	assert(c->refs > 0);
	c->refs++;
	return c;
}

void container_put(struct container *c)
{
	if (!c)
		return;
	assert(c->refs > 0);
	if (--c->refs)
		return;
	free(c->cgroup_path);
	free(c);
	live--;
}

unsigned long container_live_count(void)
{
	return live;
}
