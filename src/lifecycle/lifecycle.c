// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The containers' lifecycle from the kernel's records, as they come (lifecycle_internal.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "lifecycle/container_table.h"
#include "lifecycle/lifecycle.h"
#include "lifecycle/lifecycle_internal.h"

static int compare_alias(const void *a, const void *b)
{
	uint64_t x = ((const struct alias *)a)->cgroup_id, y = ((const struct alias *)b)->cgroup_id;

	return x < y ? -1 : x > y;
}

struct alias *alias_find(struct lifecycle *lc, uint64_t cgroup_id)
{
	struct alias key = {.cgroup_id = cgroup_id};
	void *node = tfind(&key, &lc->aliases, compare_alias);

	return node ? *(struct alias **)node : NULL;
}

static void alias_free(struct lifecycle *lc, struct alias *a)
{
	tdelete(a, &lc->aliases, compare_alias);
	a->container->aliases--;
	container_put(a->container);
	free(a);
}

/* The container a cgroup is, or is inside of. */
struct container *lc_container_of(struct lifecycle *lc, uint64_t cgroup_id)
{
	struct container *c = container_table_get(&lc->table, cgroup_id);
	struct alias *a;

	if (c)
		return c;
	a = alias_find(lc, cgroup_id);
	return a ? a->container : NULL;
}

struct alias_search {
	const struct container *container;
	struct alias *found;
};

static void find_alias_of(const void *node, VISIT which, void *closure)
{
	struct alias_search *search = closure;
	struct alias *a = *(struct alias *const *)node;

	if ((which == postorder || which == leaf) && !search->found &&
	    a->container == search->container)
		search->found = a;
}

/* Takes every alias of c out of the tree and the kernel map (they are few: one a crun one). */
static void drop_aliases(struct lifecycle *lc, const struct container *c)
{
	struct alias_search search;

	do {
		search = (struct alias_search){.container = c};
		twalk_r(lc->aliases, find_alias_of, &search);
		if (search.found) {
			lc->map.ops->remove(lc->map.ctx, search.found->cgroup_id);
			alias_free(lc, search.found);
		}
	} while (search.found);
}

/* cgroup_id is now a cgroup of c. Returns 0 or -ENOMEM. */
int alias_insert(struct lifecycle *lc, uint64_t cgroup_id, struct container *c)
{
	struct alias *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->cgroup_id = cgroup_id;
	a->container = container_get(c);
	if (!tsearch(a, &lc->aliases, compare_alias)) {
		container_put(a->container);
		free(a);
		return -ENOMEM;
	}
	c->aliases++;
	return 0;
}

struct alias_set_init {
	struct lifecycle *lc;
	const struct container *container;
	uint32_t pid;
};

static void set_init_of_alias(const void *node, VISIT which, void *closure)
{
	struct alias_set_init *s = closure;
	struct alias *a = *(struct alias *const *)node;

	if ((which == postorder || which == leaf) && a->container == s->container)
		s->lc->map.ops->set_init(s->lc->map.ctx, a->cgroup_id, s->pid);
}

/*
 * A new cgroup that names no container: inside a tracked container's cgroup it is that
 * container's (kept in the kernel map, so that a start or exit in it is seen); else nothing.
 * A container's share is bounded: past it the cgroup is not followed (counted), so that a
 * container with a writable cgroupfs cannot fill the kernel map. What each creator holds there
 * is the kernel's to bound (quotas by creator). Returns whether it became an alias.
 */
static bool add_alias(struct lifecycle *lc, const struct record_cgroup *r, const char *path)
{
	struct container *parent = lc_container_of(lc, r->parent_id);
	size_t n;

	if (!parent || alias_find(lc, r->hdr.cgroup_id))
		return parent != NULL;
	n = strlen(parent->cgroup_path);
	/* a path's tail cannot show its beginning: the kernel's parent id alone says */
	if (!(r->hdr.flags & RECORD_F_PATH_TAIL) &&
	    (strncmp(path, parent->cgroup_path, n) != 0 || path[n] != '/'))
		return false; /* the kernel and the paths disagree: trust neither */
	if (parent->aliases >= ALIASES_PER_CONTAINER) {
		lc->aliases_refused++;
		return false;
	}
	return alias_insert(lc, r->hdr.cgroup_id, parent) == 0;
}

struct lifecycle *lifecycle_new(const struct tracked_map *map)
{
	struct lifecycle *lc = calloc(1, sizeof(*lc));

	if (!lc)
		return NULL;
	container_table_init(&lc->table);
	lc->map = *map;
	return lc;
}

void lifecycle_free(struct lifecycle *lc)
{
	if (!lc)
		return;
	while (lc->aliases)
		alias_free(lc, *(struct alias **)lc->aliases);
	container_table_clear(&lc->table);
	free(lc);
}

/* Fills *ev with a new reference to c. */
int lc_make_event(struct event *ev, enum event_kind kind, uint64_t boot_ns, struct container *c)
{
	*ev = (struct event){.kind = kind,
			     .boot_ns = boot_ns,
			     .container = container_get(c),
			     .ring_pos = EVENT_NO_RING_POS};
	return 1;
}

/*
 * The end of a longer path, cut anywhere: from its first whole component on ("/…"). -EINVAL
 * when no component is whole.
 */
static int tail_from_component(char *path)
{
	char *slash = strchr(path + 1, '/');

	if (path[0] == '/')
		return 0; /* cut right at a component */
	if (!slash)
		return -EINVAL;
	memmove(path, slash, strlen(slash) + 1);
	return 0;
}

/*
 * A container made inside another's cgroup (kind, Docker-in-Docker) names the one outside: the
 * container its parent cgroup belongs to (at mkdir), or, for one found running (scan, adoption,
 * outers found first), the one whose path holds its path.
 */
void lc_set_parent(struct container *c, const struct container *outer)
{
	if (!outer || outer == c || (cgroup_needs_engine(&outer->ident) && !outer->confirmed))
		return;
	memcpy(c->parent_id, outer->ident.id, sizeof(c->parent_id));
}

/*
 * A record's path, NUL-terminated in out, its length bounded by the record's room. -EINVAL for
 * one with a NUL inside: no path a runtime makes.
 */
static int record_path(const char *in, uint32_t in_len, char out[CGROUP_PATH_MAX])
{
	size_t len = in_len < CGROUP_PATH_MAX ? in_len : CGROUP_PATH_MAX - 1;

	memcpy(out, in, len);
	out[len] = '\0';
	return strlen(out) == len ? 0 : -EINVAL;
}

/*
 * Whether a cgroup a layout names is one to follow on its own rather than as part of the one
 * it is in. A path's tail cannot show the two levels of /<namespace>/<id> or the top of an
 * unnamed one. An unnamed one inside a container is that container's sub-cgroup (its own
 * directory, not a container's); inside a candidate no start or engine has confirmed
 * (`ctr run --cgroup /a/b/c` passes /a/b, named like /<namespace>/<id>), it is a candidate
 * of its own: the engine tells which of them is a container.
 */
static bool own_cgroup(struct lifecycle *lc, const struct record_cgroup *r,
		       const struct container_ident *ident)
{
	const struct container *outer;

	if ((r->hdr.flags & RECORD_F_PATH_TAIL) &&
	    (ident->form == CGROUP_FORM_CONTAINERD_NS || ident->form == CGROUP_FORM_UNNAMED))
		return false;
	if (ident->form != CGROUP_FORM_UNNAMED)
		return true;
	outer = lc_container_of(lc, r->parent_id);
	return !outer || (outer->ident.ambiguous && !outer->confirmed);
}

static int on_cgroup_mkdir(struct lifecycle *lc, const struct record_cgroup *r, struct event *ev)
{
	struct container_ident ident;
	struct container *c;
	char path[CGROUP_PATH_MAX];
	int err;

	if (record_path(r->path, r->path_len, path)) {
		lc->map.ops->remove(lc->map.ctx, r->hdr.cgroup_id);
		return 0;
	}
	if ((r->hdr.flags & RECORD_F_PATH_TAIL) && tail_from_component(path)) {
		lc->map.ops->remove(lc->map.ctx, r->hdr.cgroup_id);
		return 0;
	}
	if (!cgroup_classify(path, &ident) || !own_cgroup(lc, r, &ident)) {
		/* Not a container, nor inside one: stop paying for it in the kernel. */
		if (!add_alias(lc, r, path))
			lc->map.ops->remove(lc->map.ctx, r->hdr.cgroup_id);
		return 0;
	}
	c = container_table_get(&lc->table, r->hdr.cgroup_id);
	if (c) { /* already reported by the startup scan, or taken back as its mkdir came */
		if (!c->adopted_create_unreported)
			return 0;
		c->adopted_create_unreported = false;
		return lc_make_event(ev, EVENT_CONTAINER_CREATE, r->hdr.timestamp_ns, c);
	}

	c = container_new(r->hdr.cgroup_id, path, r->hdr.flags & RECORD_F_TRUNCATED, &ident);
	if (!c) {
		log_warn("cannot track container %s: %s", ident.id, strerror(errno));
		return 0;
	}
	c->created_ns = r->hdr.timestamp_ns;
	lc_set_parent(c, lc_container_of(lc, r->parent_id));
	if (r->hdr.flags & RECORD_F_READMITTED) {
		c->readmitted = true;
		lc->readmitted++;
	}
	/*
	 * "/<namespace>/<id>" is also what any two-level directory looks like. Such a cgroup is
	 * confirmed by its start (a program that entered new namespaces, which only the kernel
	 * side reports) or by containerd; the pipeline holds its events until then.
	 */
	c->confirmed = !ident.ambiguous;
	err = container_table_insert(&lc->table, c);
	if (err) {
		log_warn("cannot track container %s: %s", ident.id, strerror(-err));
		container_put(c);
		return 0;
	}
	return lc_make_event(ev, EVENT_CONTAINER_CREATE, c->created_ns, c);
}

/*
 * A start record of a container taken back as started, or as exited, its init's: the kernel
 * started it (and it may have exited too) between the adoption's look at the ring buffer and
 * its look at the map. Its exit record, if any, follows.
 */
static bool trailing_start(struct container *c, uint32_t pid)
{
	bool trailing =
	    c->adopted_before_records && c->phase != CONTAINER_CREATED && c->init_pid == pid;

	if (trailing)
		c->adopted_before_records = false;
	return trailing;
}

static int on_process(struct lifecycle *lc, const struct record_process *r, struct event *ev)
{
	struct container *c = lc_container_of(lc, r->hdr.cgroup_id);
	enum event_kind kind = EVENT_PROCESS_EXEC;

	if (!c)
		return 0; /* not a container, or one dropped after the kernel saw this */
	if (r->hdr.type == RECORD_CONTAINER_START) {
		if (c->phase != CONTAINER_CREATED && !trailing_start(c, r->pid))
			return 0;
		c->phase = CONTAINER_STARTED;
		if (!cgroup_needs_engine(&c->ident)) /* else only its engine's record confirms it */
			c->confirmed = true;
		c->init_pid = r->pid;
		kind = EVENT_CONTAINER_START;
	} else if (r->hdr.flags & RECORD_F_EXEC_SESSION) {
		kind = EVENT_CONTAINER_EXEC_SESSION;
	}
	lc_make_event(ev, kind, r->hdr.timestamp_ns, c);
	ev->process = r;
	return 1;
}

static int on_container_exit(struct lifecycle *lc, const struct record_exit *r, struct event *ev)
{
	struct container *c = lc_container_of(lc, r->hdr.cgroup_id);

	if (!c || (c->phase == CONTAINER_EXITED && !c->adopted_before_records))
		return 0;
	/*
	 * Only the init's exit is the container's. A sub-cgroup's kernel entry can take another
	 * process for a start (one that entered namespaces there after the container started, as
	 * an exec session does); its exit is not the container's.
	 */
	if (c->init_pid && r->pid != c->init_pid)
		return 0;
	c->adopted_before_records = false;
	c->phase = CONTAINER_EXITED;
	if (r->hdr.flags & RECORD_F_NEVER_STARTED)
		c->init_pid = r->pid; /* the init that never ran the program: its exit's pid */
	lc_make_event(ev, EVENT_CONTAINER_EXIT, r->hdr.timestamp_ns, c);
	ev->exit_status = r->exit_status;
	ev->exit_flags = r->hdr.flags;
	return 1;
}

/*
 * Paused or resumed: reported when it changes what was last reported (the kernel reports
 * changes; two programs can report one while a takeover has both attached). A cgroup v1 freezer
 * record names its cgroup by path: the container at that path, or holding it.
 */
static int on_container_freeze(struct lifecycle *lc, const struct record_freeze *r,
			       struct event *ev)
{
	enum container_freeze now = r->frozen ? CONTAINER_FROZEN : CONTAINER_THAWED;
	char path[CGROUP_PATH_MAX];
	struct container *c = NULL;

	if (r->hdr.cgroup_id)
		c = lc_container_of(lc, r->hdr.cgroup_id);
	else if (!(r->hdr.flags & RECORD_F_TRUNCATED) && !record_path(r->path, r->path_len, path))
		c = container_table_holding(&lc->table, path);
	/*
	 * After its init's end a freeze is the runtime's cleanup, not a pause: runc freezes the
	 * cgroup, kills what is left and thaws it (cgroup2; seen on every CRI delete there).
	 */
	if (!c || c->freeze == now || c->phase == CONTAINER_EXITED)
		return 0;
	c->freeze = now;
	return lc_make_event(
	    ev, now == CONTAINER_FROZEN ? EVENT_CONTAINER_PAUSED : EVENT_CONTAINER_RESUMED,
	    r->hdr.timestamp_ns, c);
}

/* The kernel already forgot the cgroup; the table's reference goes to the remove event. */
static int on_cgroup_rmdir(struct lifecycle *lc, const struct record_cgroup *r, struct event *ev)
{
	struct container *c = container_table_take(&lc->table, r->hdr.cgroup_id);
	struct alias *a;

	if (!c) {
		a = alias_find(lc, r->hdr.cgroup_id);
		if (a) /* a cgroup inside a container went: the container did not */
			alias_free(lc, a);
		return 0;
	}
	drop_aliases(lc, c); /* the kernel removed them first: children go before parents */
	*ev = (struct event){.kind = EVENT_CONTAINER_REMOVE,
			     .boot_ns = r->hdr.timestamp_ns,
			     .container = c,
			     .ring_pos = EVENT_NO_RING_POS};
	return 1;
}

int lifecycle_handle_record(struct lifecycle *lc, const void *data, size_t size, struct event *ev)
{
	const struct record_header *hdr = data;
	size_t want;
	int made = -EINVAL;

	if (size < sizeof(*hdr) || !(want = record_size(hdr->type)) || size < want) {
		lc->malformed_records++;
		return -EINVAL;
	}
	switch (hdr->type) {
	case RECORD_CGROUP_MKDIR: made = on_cgroup_mkdir(lc, data, ev); break;
	case RECORD_CONTAINER_START:
	case RECORD_PROCESS_EXEC: made = on_process(lc, data, ev); break;
	case RECORD_CONTAINER_EXIT: made = on_container_exit(lc, data, ev); break;
	case RECORD_CGROUP_RMDIR: made = on_cgroup_rmdir(lc, data, ev); break;
	case RECORD_CONTAINER_FREEZE: made = on_container_freeze(lc, data, ev); break;
	}
	if (made == 1)
		ev->seq = hdr->seq; /* ring_pos is the reader's to set */
	return made;
}

bool lifecycle_knows(struct lifecycle *lc, uint64_t cgroup_id)
{
	return lc_container_of(lc, cgroup_id) != NULL;
}

void lifecycle_confirm(struct lifecycle *lc, uint64_t cgroup_id, uint32_t init_pid)
{
	struct container *c = container_table_get(&lc->table, cgroup_id);

	if (!c)
		return;
	c->confirmed = true;
	/* A running container whose init the scan could not see: now its exit can be reported. */
	if (init_pid && c->phase == CONTAINER_CREATED && !c->init_pid &&
	    lc->map.ops->set_init(lc->map.ctx, cgroup_id, init_pid) == 0) {
		struct alias_set_init s = {.lc = lc, .container = c, .pid = init_pid};

		twalk_r(lc->aliases, set_init_of_alias, &s); /* it may run in one of them */
		c->init_pid = init_pid;
		c->phase = CONTAINER_STARTED;
	}
}

/* Out of the table, with its aliases; the kernel map entry of the cgroup itself is the caller's. */
static void take_out(struct lifecycle *lc, uint64_t cgroup_id)
{
	struct container *c = container_table_take(&lc->table, cgroup_id);

	if (c)
		drop_aliases(lc, c);
	container_put(c);
}

void lifecycle_drop(struct lifecycle *lc, uint64_t cgroup_id)
{
	lc->map.ops->remove(lc->map.ctx, cgroup_id); /* its processes cost nothing more */
	take_out(lc, cgroup_id);
}

void lifecycle_identify(struct lifecycle *lc, uint64_t cgroup_id, const char *id)
{
	struct container *c = container_table_get(&lc->table, cgroup_id);

	if (c && cgroup_needs_engine(&c->ident) && cgroup_is_identifier(id, strlen(id)))
		snprintf(c->ident.id, sizeof(c->ident.id), "%s", id);
}

int lifecycle_forget(struct lifecycle *lc, uint64_t cgroup_id)
{
	struct container *c = container_table_get(&lc->table, cgroup_id);
	/* one that needs its engine's word is let go started or not: its start proves nothing */
	int err = c && cgroup_needs_engine(&c->ident) ? lc->map.ops->remove(lc->map.ctx, cgroup_id)
						      : lc->map.ops->forget(lc->map.ctx, cgroup_id);

	if (err == -EBUSY)
		return err;
	if (err) /* the map refused a delete: nothing to free there, forget it here all the same */
		log_warn("cannot untrack cgroup %llu: %s", (unsigned long long)cgroup_id,
			 strerror(-err));
	take_out(lc, cgroup_id);
	return 0;
}

unsigned int lifecycle_count(const struct lifecycle *lc)
{
	return lc->table.count;
}

uint64_t lifecycle_malformed(const struct lifecycle *lc)
{
	return lc->malformed_records;
}

uint64_t lifecycle_aliases_refused(const struct lifecycle *lc)
{
	return lc->aliases_refused;
}

uint64_t lifecycle_readmitted(const struct lifecycle *lc)
{
	return lc->readmitted;
}
