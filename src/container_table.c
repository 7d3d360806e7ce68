// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "container_table.h"

static int compare_cgroup_id(const void *a, const void *b)
{
	uint64_t x = ((const struct container *)a)->cgroup_id;
	uint64_t y = ((const struct container *)b)->cgroup_id;

	return x < y ? -1 : x > y;
}

void container_table_init(struct container_table *t)
{
	t->root = NULL;
	t->count = 0;
	t->with_meta = 0;
}

struct container *container_table_get(struct container_table *t, uint64_t cgroup_id)
{
	struct container key = {.cgroup_id = cgroup_id};
	void *node = tfind(&key, &t->root, compare_cgroup_id);

	return node ? *(struct container **)node : NULL;
}

static void container_free(void *p)
{
	struct container *c = p;

	if (!c)
		return;
	while (c->held_head) {
		struct held_event *h = c->held_head;

		c->held_head = h->next;
		free(h);
	}
	if (c->meta) {
		container_meta_free(c->meta);
		free(c->meta);
	}
	free(c->enrichment_error);
	free(c->cgroup_path);
	free(c);
}

void container_set_meta(struct container_table *t, struct container *c, struct container_meta *m)
{
	if (c->meta) {
		container_meta_free(c->meta);
		free(c->meta);
		t->with_meta--;
	}
	c->meta = m;
	if (m)
		t->with_meta++;
}

struct container *container_table_add(struct container_table *t, uint64_t cgroup_id,
				      const char *cgroup_path, bool truncated,
				      const struct container_ident *ident)
{
	struct container *c;
	void *node;

	if (container_table_get(t, cgroup_id)) {
		errno = EEXIST;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cgroup_id = cgroup_id;
	c->cgroup_path = strdup(cgroup_path);
	c->cgroup_path_truncated = truncated;
	c->ident = *ident;
	if (!c->cgroup_path)
		goto out_free;
	node = tsearch(c, &t->root, compare_cgroup_id);
	if (!node)
		goto out_free;
	t->count++;
	return c;

out_free:
	container_free(c);
	errno = ENOMEM;
	return NULL;
}

void container_table_remove(struct container_table *t, struct container *c)
{
	if (!tdelete(c, &t->root, compare_cgroup_id))
		return;
	t->count--;
	if (c->meta)
		t->with_meta--;
	container_free(c);
}

void container_table_release(struct container_table *t, struct container *c)
{
	if (c->held_head)
		c->removed = true;
	else
		container_table_remove(t, c);
}

void container_table_clear(struct container_table *t)
{
	tdestroy(t->root, container_free);
	container_table_init(t);
}
