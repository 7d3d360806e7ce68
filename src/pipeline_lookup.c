// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Asking who a container is, and an exec session's exec id, and applying the answers: found
 * (its metadata cached), not found, failed (asked again), or an impostor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "enrich/enrichment.h"
#include "pipeline.h"
#include "pipeline_internal.h"

/* A container is looked up once; again only after a lookup that containerd did not answer. */
static bool wants_lookup(const struct slot *s, uint64_t now_ns)
{
	if (s->lookup_pending)
		return false;
	if (s->enrichment.state == ENRICHMENT_UNKNOWN)
		return true;
	return s->retry_after_ns && now_ns >= s->retry_after_ns;
}

/* Returns -EBUSY when a lookalike's lookup was refused: the queue for those is full. */
int slot_request_lookup(struct pipeline *p, struct slot *s, uint64_t now_ns)
{
	const struct container *c = s->container;
	struct lookup_request req = {
	    .cgroup_id = c->cgroup_id,
	    .ident = &c->ident,
	    .cgroup_path = c->cgroup_path,
	    .cgroup_path_tail = c->cgroup_path_truncated,
	    /* a running container whose init the scan could not find: ask containerd for it */
	    .want_init_pid = !c->init_pid && c->existing,
	    .urgent = c->confirmed,
	};
	int err;

	if (!p->cfg.lookup) {
		s->enrichment.state = ENRICHMENT_NONE;
		return 0;
	}
	if (!wants_lookup(s, now_ns))
		return 0;
	s->retry_after_ns = 0;
	err = p->cfg.lookup->submit(p->cfg.lookup_ctx, &req);
	if (err == -EBUSY)
		return err;
	if (err == -EAGAIN) {
		slot_set_partial(s, "too many lookups of rootless containers wait: not asked");
		return 0;
	}
	if (err) {
		slot_set_partial(s, "out of memory queueing the containerd lookup");
		return 0;
	}
	s->lookup_pending = true;
	s->lookup_urgent = req.urgent;
	s->lookup_deadline_ns = now_ns + p->cfg.enrich_timeout_ns;
	return 0;
}

/* Its start just confirmed a container whose lookup still waits behind lookalikes'. */
void slot_make_urgent(struct pipeline *p, struct slot *s)
{
	if (!p->cfg.lookup || !s->lookup_pending || s->lookup_urgent)
		return;
	p->cfg.lookup->promote(p->cfg.lookup_ctx, s->container->cgroup_id);
	s->lookup_urgent = true;
}

/*
 * An unconfirmed lookalike containerd does not know, or that no lookup could be afforded for:
 * let go here, in the lifecycle and in the kernel, unwritten. False when the kernel saw its start
 * meanwhile: then it stays, and that start confirms it.
 */
bool slot_forget(struct pipeline *p, struct slot *s)
{
	if (lifecycle_forget(p->cfg.lifecycle, s->container->cgroup_id))
		return false;
	slot_free(p, s);
	return true;
}

/* Whether a held session still waits for its exec id. */
bool slot_exec_waiting(const struct slot *s)
{
	const struct held_event *h;

	TAILQ_FOREACH(h, &s->held, link)
	if (h->exec_pending)
		return true;
	return false;
}

/*
 * The exec id of each held session, once containerd has named the container (its namespace is
 * where the task lives). Sessions of containers it does not know go out without one.
 */
void slot_request_exec_ids(struct pipeline *p, struct slot *s, uint64_t now_ns)
{
	const struct container_meta *m = s->enrichment.meta;
	struct held_event *h;
	bool waiting;

	if (!p->cfg.lookup || !m || !m->namespace)
		return;
	waiting = slot_exec_waiting(s);
	TAILQ_FOREACH(h, &s->held, link)
	{
		struct lookup_request req = {
		    .cgroup_id = s->container->cgroup_id,
		    .ident = &s->container->ident,
		    .cgroup_path = s->container->cgroup_path,
		    .urgent = true,
		    .namespace = m->namespace,
		};

		if (h->ev.kind != EVENT_CONTAINER_EXEC_SESSION || h->exec_asked || !h->ev.process)
			continue;
		h->exec_asked = true;
		req.session_pid = h->ev.process->pid;
		if (p->cfg.lookup->submit(p->cfg.lookup_ctx, &req))
			continue;
		h->exec_pending = true;
		if (!waiting)
			s->exec_deadline_ns = now_ns + p->cfg.enrich_timeout_ns;
		waiting = true;
	}
}

/* A session's exec id came: its event may go. */
static void apply_exec_id(struct slot *s, const struct lookup_result *r)
{
	struct held_event *h;

	TAILQ_FOREACH(h, &s->held, link)
	{
		if (!h->exec_pending || h->ev.process->pid != r->session_pid)
			continue;
		h->exec_pending = false;
		if (r->status == LOOKUP_FOUND) {
			snprintf(h->exec_id, sizeof(h->exec_id), "%s", r->exec_id);
			h->ev.exec_id = h->exec_id;
		}
		return;
	}
}

/*
 * slot_forget() of a lookalike whose lookup said no, counted as pressure. Not an unnamed directory
 * (a containerd namespace's at the top, at every node's start): no flood, nothing to say.
 */
static bool forget_lookalike(struct pipeline *p, struct slot *s)
{
	bool unnamed = cgroup_needs_engine(&s->container->ident);

	if (!slot_forget(p, s))
		return false;
	if (!unnamed)
		p->pressure.lookalikes_forgotten++;
	return true;
}

static void apply_found(struct pipeline *p, struct slot *s, struct lookup_result *r)
{
	struct container_meta *m;

	/* found: the path named it, or (a /<ns>/<id> lookalike) its spec names this cgroup */
	if (r->id[0])
		lifecycle_identify(p->cfg.lifecycle, r->cgroup_id, r->id);
	lifecycle_confirm(p->cfg.lifecycle, r->cgroup_id, r->init_pid);
	if (p->with_meta >= p->cfg.cache_size) {
		s->enrichment.state = ENRICHMENT_PARTIAL;
		slot_set_error(s, "metadata cache full (--cache-size %u)", p->cfg.cache_size);
		return;
	}
	if (p->cfg.cache_bytes &&
	    p->meta_bytes + container_meta_size(&r->meta) > p->cfg.cache_bytes) {
		s->enrichment.state = ENRICHMENT_PARTIAL;
		slot_set_error(s, "metadata cache full (--cache-bytes %llu)",
			       (unsigned long long)p->cfg.cache_bytes);
		return;
	}
	m = malloc(sizeof(*m));
	if (!m) {
		slot_set_partial(s, "out of memory");
		return;
	}
	*m = r->meta;
	memset(&r->meta, 0, sizeof(r->meta));
	slot_set_meta(p, s, m);
	if (r->error[0]) {
		slot_set_partial(s, r->error);
	} else {
		s->enrichment.state = ENRICHMENT_COMPLETE;
		free(s->enrichment.error);
		s->enrichment.error = NULL;
	}
}

static void apply_result(struct pipeline *p, struct slot *s, struct lookup_result *r,
			 uint64_t now_ns)
{
	if (r->session_pid) {
		apply_exec_id(s, r);
		slot_try_flush(p, s, now_ns, false);
		return;
	}
	s->lookup_pending = false;
	switch (r->status) {
	case LOOKUP_FOUND:
		apply_found(p, s, r);
		slot_request_exec_ids(p, s, now_ns);
		break;
	case LOOKUP_NOT_FOUND:
		if (!r->searched_all) {
			/* only the namespace its path names was asked: a lookalike's lookup */
			if (!s->container->confirmed && forget_lookalike(p, s))
				return;
			/* confirmed since (or started meanwhile): it is asked again, everywhere */
			if (s->container->confirmed)
				slot_request_lookup(p, s, now_ns);
			break;
		}
		s->enrichment.state = ENRICHMENT_NONE;
		free(s->enrichment.error);
		s->enrichment.error = NULL;
		break;
	case LOOKUP_MISMATCH:
		/* a lookalike named like a container that is elsewhere: let go as any lookalike */
		if (!s->container->confirmed && forget_lookalike(p, s))
			return;
		slot_set_meta(p, s, NULL);
		s->enrichment.state = ENRICHMENT_MISMATCH;
		slot_set_error(s, "%s", r->error);
		free(s->enrichment.claim);
		s->enrichment.claim = malloc(sizeof(*s->enrichment.claim));
		if (s->enrichment.claim)
			*s->enrichment.claim = r->claim;
		break;
	case LOOKUP_FAILED:
		/* containerd cannot vouch for a lookalike now; if it starts, its start will */
		if (!s->container->confirmed && forget_lookalike(p, s))
			return;
		slot_set_partial(s, r->error);
		s->retry_after_ns = now_ns + LOOKUP_RETRY_NS;
		break;
	}
	slot_try_flush(p, s, now_ns, false);
}

void pipeline_take_results(struct pipeline *p, uint64_t now_ns)
{
	struct lookup_result_list results = STAILQ_HEAD_INITIALIZER(results);
	struct lookup_result *r;

	if (!p->cfg.lookup)
		return;
	p->cfg.lookup->take(p->cfg.lookup_ctx, &results);
	while ((r = STAILQ_FIRST(&results))) {
		struct slot *s = slot_find(p, r->cgroup_id);

		STAILQ_REMOVE_HEAD(&results, link);
		if (s) /* else its remove or its drop went out meanwhile */
			apply_result(p, s, r, now_ns);
		lookup_result_free(r);
	}
}
