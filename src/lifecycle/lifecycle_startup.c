// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The containers found at startup: running ones the scan of the hierarchy found (and their
 * sub-cgroups), and those a pinned set's tracked map carries over from an earlier ctrwatch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include "common/log.h"
#include "lifecycle/container_table.h"
#include "lifecycle/lifecycle.h"
#include "lifecycle/lifecycle_internal.h"

/*
 * The sub-cgroups of a running container, tracked as it is: its init may run in one (crun's
 * <scope>/container), and that is where its exit will come from. At startup one the kernel
 * tracks already was born after attach (-EEXIST): its mkdir record makes it an alias when it is
 * read. Adopting, one the kernel tracks was the previous ctrwatch's: it is an alias now.
 */
static void add_sub_cgroups(struct lifecycle *lc, const struct existing_container *ec,
			    const struct tracked_cgroup *value, struct container *c, bool adopting)
{
	struct tracked_cgroup kernel;
	bool tracked;

	for (unsigned int i = 0; i < ec->sub_cgroups && i < EXISTING_SUB_CGROUPS_MAX; i++) {
		uint64_t id = ec->sub_cgroup_ids[i];

		if (alias_find(lc, id))
			continue;
		tracked = adopting && lc->map.ops->lookup(lc->map.ctx, id, &kernel) == 0;
		if (!tracked && lc->map.ops->insert(lc->map.ctx, id, value))
			continue;
		if (alias_insert(lc, id, c))
			lc->map.ops->remove(lc->map.ctx, id);
	}
}

int lifecycle_add_existing(struct lifecycle *lc, const struct existing_container *ec,
			   uint64_t now_ns, struct event *ev)
{
	struct tracked_cgroup value = {
	    .state = ec->init_pid ? TRACKED_STARTED : TRACKED_PENDING,
	    .init_tgid = ec->init_pid,
	};
	struct container *c;
	int err;

	err = lc->map.ops->insert(lc->map.ctx, ec->cgroup_id, &value);
	if (err == -EEXIST)
		return 0; /* born after attach: its records are in the ring buffer */
	if (err) {
		log_warn("cannot track existing container %s: %s", ec->ident.id, strerror(-err));
		return 0;
	}
	c = container_new(ec->cgroup_id, ec->cgroup_path, false, &ec->ident);
	if (c && container_table_insert(&lc->table, c)) {
		container_put(c);
		c = NULL;
	}
	if (!c) {
		log_warn("cannot track existing container %s: out of memory", ec->ident.id);
		lc->map.ops->remove(lc->map.ctx, ec->cgroup_id);
		return 0;
	}
	c->phase = ec->init_pid ? CONTAINER_STARTED : CONTAINER_CREATED;
	c->init_pid = ec->init_pid;
	c->confirmed = ec->confirmed;
	c->existing = true;
	c->freeze = CONTAINER_FREEZE_UNKNOWN;
	lc_set_parent(c, container_table_outer(&lc->table, c->cgroup_path));
	add_sub_cgroups(lc, ec, &value, c, false);
	return lc_make_event(ev, EVENT_CONTAINER_EXISTING, now_ns, c);
}

static enum container_phase adopted_phase(const struct adopted_state *st)
{
	if (st->start_unread)
		return CONTAINER_CREATED;
	if (st->exit_unread)
		return CONTAINER_STARTED;
	switch (st->kernel.state) {
	case TRACKED_STARTED: return CONTAINER_STARTED;
	case TRACKED_EXITED: return CONTAINER_EXITED;
	}
	return CONTAINER_CREATED;
}

static struct container *adopt(struct lifecycle *lc, uint64_t cgroup_id, const char *path,
			       const struct container_ident *ident, const struct adopted_state *st)
{
	struct container *c = container_new(cgroup_id, path, false, ident);

	if (c && container_table_insert(&lc->table, c)) {
		container_put(c);
		c = NULL;
	}
	if (!c) {
		log_warn("cannot follow container %s again: out of memory", ident->id);
		return NULL;
	}
	c->phase = adopted_phase(st);
	c->init_pid = c->phase == CONTAINER_CREATED ? 0 : st->kernel.init_tgid;
	c->confirmed =
	    !ident->ambiguous ||
	    ((st->kernel.state != TRACKED_PENDING || st->start_unread || st->exit_unread) &&
	     !cgroup_needs_engine(ident));
	c->existing = true; /* its init, if unknown, comes from containerd */
	c->freeze = CONTAINER_FREEZE_UNKNOWN;
	c->adopted_before_records = c->phase != CONTAINER_CREATED;
	c->adopted_create_unreported = true;
	lc_set_parent(c, container_table_outer(&lc->table, c->cgroup_path));
	return c;
}

int lifecycle_adopt(struct lifecycle *lc, const struct existing_container *ec,
		    const struct adopted_state *st)
{
	struct container *c;

	if (lc_container_of(lc, ec->cgroup_id))
		return 0;
	c = adopt(lc, ec->cgroup_id, ec->cgroup_path, &ec->ident, st);
	if (!c)
		return -ENOMEM;
	add_sub_cgroups(lc, ec, &st->kernel, c, true);
	return 0;
}

int lifecycle_adopt_gone(struct lifecycle *lc, uint64_t cgroup_id, const char *path,
			 const struct adopted_state *st)
{
	struct container_ident ident;

	if (lc_container_of(lc, cgroup_id) || !cgroup_classify(path, &ident))
		return 0;
	return adopt(lc, cgroup_id, path, &ident, st) ? 0 : -ENOMEM;
}

void lifecycle_adopt_alias(struct lifecycle *lc, uint64_t cgroup_id, uint64_t container_id)
{
	struct container *c = container_table_get(&lc->table, container_id);

	if (c && !lc_container_of(lc, cgroup_id))
		alias_insert(lc, cgroup_id, c);
}
