// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle/container_table.h"

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
}

struct container *container_table_get(const struct container_table *t, uint64_t cgroup_id)
{
	struct container key = {.cgroup_id = cgroup_id};
	void *node = tfind(&key, &t->root, compare_cgroup_id);

	return node ? *(struct container **)node : NULL;
}

int container_table_insert(struct container_table *t, struct container *c)
{
	void *node;

	if (container_table_get(t, c->cgroup_id))
		return -EEXIST;
	node = tsearch(c, &t->root, compare_cgroup_id);
	if (!node)
		return -ENOMEM;
	t->count++;
	return 0;
}

struct container *container_table_take(struct container_table *t, uint64_t cgroup_id)
{
	struct container *c = container_table_get(t, cgroup_id);

	if (!c)
		return NULL;
	tdelete(c, &t->root, compare_cgroup_id);
	t->count--;
	return c;
}

static void put_entry(void *p)
{
	container_put(p);
}

void container_table_clear(struct container_table *t)
{
	tdestroy(t->root, put_entry);
	container_table_init(t);
}

struct outer_search {
	const char *path;
	bool or_at; /* a container at path itself counts */
	struct container *found;
	size_t found_len;
};

static void visit_outer(const void *node, VISIT which, void *closure)
{
	struct container *c = *(struct container *const *)node;
	struct outer_search *s = closure;
	size_t n = strlen(c->cgroup_path);

	if ((which != postorder && which != leaf) || c->cgroup_path_truncated)
		return;
	if (n > s->found_len && !strncmp(s->path, c->cgroup_path, n) &&
	    (s->path[n] == '/' || (s->or_at && s->path[n] == '\0'))) {
		s->found = c;
		s->found_len = n;
	}
}

struct container *container_table_outer(const struct container_table *t, const char *path)
{
	struct outer_search s = {.path = path};

	twalk_r(t->root, visit_outer, &s);
	return s.found;
}

struct container *container_table_holding(const struct container_table *t, const char *path)
{
	struct outer_search s = {.path = path, .or_at = true};

	twalk_r(t->root, visit_outer, &s);
	return s.found;
}
