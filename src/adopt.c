// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Carrying on from the ctrwatch before us, on the programs it pinned. The kernel kept recording
 * while nobody read: the ring buffer holds every record the previous ctrwatch did not finish
 * (from its oldest unwritten one on), and the tracking map every cgroup the kernel follows. What
 * the previous ctrwatch knew and printed is rebuilt from both before the drain reads the
 * records again:
 *   - a container whose mkdir record is unread is left to its records;
 *   - one the kernel tracks, seen in the hierarchy, is taken back silently, in the phase its
 *     unread records imply (its create and start were printed by the one before);
 *   - one whose cgroup went meanwhile is taken back from its unread rmdir record's path, with
 *     its sub-cgroups, so that its exit and remove are printed;
 *   - one the kernel does not track is a container running before any of us: reported as
 *     existing, as at every start.
 * The kernel does not wait for us: the ring buffer is looked at again after the scan (a cgroup
 * gone between the two looks is known by its rmdir record), and a container taken back reports
 * a create, start or exit whose record is read after the scan (lifecycle.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "ctrwatch_records.h"

/* What the unread records say of one cgroup. */
struct unread {
	uint64_t cgroup_id;
	bool mkdir, start, exit, rmdir;
	uint64_t parent_id;	    /* from its rmdir record */
	char path[CGROUP_PATH_MAX]; /* from its rmdir record */
};

struct adoption {
	const struct adopt_config *cfg;
	void *unread; /* tsearch(3) tree of struct unread *, by cgroup id */
	unsigned int adopted;
	bool sub_pass; /* walking for sub-cgroups, after the containers */
};

static int compare_unread(const void *a, const void *b)
{
	uint64_t x = ((const struct unread *)a)->cgroup_id,
		 y = ((const struct unread *)b)->cgroup_id;

	return x < y ? -1 : x > y;
}

static struct unread *unread_find(struct adoption *a, uint64_t cgroup_id)
{
	struct unread key = {.cgroup_id = cgroup_id};
	void *node = tfind(&key, &a->unread, compare_unread);

	return node ? *(struct unread **)node : NULL;
}

static struct unread *unread_get(struct adoption *a, uint64_t cgroup_id)
{
	struct unread *u = unread_find(a, cgroup_id);

	if (u)
		return u;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->cgroup_id = cgroup_id;
	if (!tsearch(u, &a->unread, compare_unread)) {
		free(u);
		return NULL;
	}
	return u;
}

static int note_record(void *ctx, const void *record, size_t size, uint64_t pos)
{
	const struct record_header *h = record;
	const struct record_cgroup *rc = record;
	struct unread *u;

	(void)pos;
	if (size < sizeof(*h))
		return 0; /* malformed: the drain counts it */
	u = unread_get(ctx, h->cgroup_id);
	if (!u)
		return -ENOMEM;
	switch (h->type) {
	case RECORD_CGROUP_MKDIR: u->mkdir = true; break;
	case RECORD_CONTAINER_START: u->start = true; break;
	case RECORD_CONTAINER_EXIT: u->exit = true; break;
	case RECORD_CGROUP_RMDIR:
		if (size < sizeof(*rc))
			break;
		u->rmdir = true;
		u->parent_id = rc->parent_id;
		memcpy(u->path, rc->path, sizeof(u->path));
		u->path[sizeof(u->path) - 1] = '\0';
		break;
	}
	return 0;
}

/* What the unread records say of a cgroup: nothing, for one they do not name. */
static const struct unread *unread_of(struct adoption *a, uint64_t id)
{
	static const struct unread none;
	const struct unread *u = unread_find(a, id);

	return u ? u : &none;
}

/*
 * A running container's state: its own entry, or, when its init runs in a sub-cgroup (crun's
 * <scope>/container), the started entry of that one. Its unread records count wherever they are.
 */
static int kernel_state(struct adoption *a, const struct existing_container *ec,
			struct adopted_state *st)
{
	const struct tracked_map *map = &a->cfg->map;
	struct tracked_cgroup sub;

	if (map->ops->lookup(map->ctx, ec->cgroup_id, &st->kernel))
		return -ENOENT;
	st->start_unread = unread_of(a, ec->cgroup_id)->start;
	st->exit_unread = unread_of(a, ec->cgroup_id)->exit;
	for (unsigned int i = 0; i < ec->sub_cgroups && i < EXISTING_SUB_CGROUPS_MAX; i++) {
		uint64_t id = ec->sub_cgroup_ids[i];

		st->start_unread |= unread_of(a, id)->start;
		st->exit_unread |= unread_of(a, id)->exit;
		if (st->kernel.state == TRACKED_PENDING && !map->ops->lookup(map->ctx, id, &sub) &&
		    sub.state != TRACKED_PENDING)
			st->kernel = sub;
	}
	return 0;
}

static void on_running(const struct existing_container *ec, void *ctx)
{
	struct adoption *a = ctx;
	struct adopted_state st = {};

	if (unread_of(a, ec->cgroup_id)->mkdir)
		return; /* born while nobody read: its records tell it all */
	if (kernel_state(a, ec, &st)) {
		a->cfg->on_existing(ec, a->cfg->ctx); /* running before any of us */
		return;
	}
	if (!lifecycle_adopt(a->cfg->lifecycle, ec, &st))
		a->adopted++;
}

/* Containers first (sub_pass false), then the sub-cgroups of those. */
static void on_gone(const void *node, VISIT which, void *closure)
{
	const struct unread *u = *(struct unread *const *)node;
	struct adoption *a = closure;
	struct lifecycle *lc = a->cfg->lifecycle;
	struct adopted_state st = {
	    .kernel = {.state = TRACKED_EXITED}, .start_unread = u->start, .exit_unread = u->exit};

	if ((which != postorder && which != leaf) || !u->rmdir || u->mkdir ||
	    lifecycle_knows(lc, u->cgroup_id))
		return;
	if (a->sub_pass) {
		lifecycle_adopt_alias(lc, u->cgroup_id, u->parent_id);
		return;
	}
	lifecycle_adopt_gone(lc, u->cgroup_id, u->path, &st);
	a->adopted += lifecycle_knows(lc, u->cgroup_id);
}

int adopt_previous(const struct adopt_config *cfg, unsigned int *adopted)
{
	struct adoption a = {.cfg = cfg};
	int err;

	err = cfg->draining ? ringbuf_reader_peek(cfg->draining, note_record, &a) : 0;
	if (!err)
		err = ringbuf_reader_peek(cfg->reader, note_record, &a);
	if (!err)
		err = cgroup_scan(cfg->mount_point, on_running, &a);
	/*
	 * Again: a container whose cgroup went between the first look and the scan is in neither
	 * unless its rmdir record, made as the cgroup went, is noted now.
	 */
	if (!err && cfg->draining)
		err = ringbuf_reader_peek(cfg->draining, note_record, &a);
	if (!err)
		err = ringbuf_reader_peek(cfg->reader, note_record, &a);
	if (!err) {
		twalk_r(a.unread, on_gone, &a);
		a.sub_pass = true;
		twalk_r(a.unread, on_gone, &a);
	}
	tdestroy(a.unread, free);
	*adopted = a.adopted;
	return err;
}
