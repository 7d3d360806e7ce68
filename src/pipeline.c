// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "enrich/enrichment.h"
#include "metrics/metrics.h"
#include "output/event_fields.h"
#include "output/event_format.h"
#include "output/json_writer.h"
#include "pipeline.h"

#define HOSTNAME_MAX	256
#define LOOKUP_RETRY_NS 1000000000ull /* a failed lookup is retried after this */

/* An event waiting for its container's lookup; it holds a container reference. */
struct held_event {
	struct event ev;
	struct record_process process; /* the copy ev.process points to */
	bool exec_asked;	       /* a session whose exec id was asked for */
	bool exec_pending;	       /* ... and not answered yet */
	char exec_id[EXEC_ID_MAX + 1]; /* what ev.exec_id points to, once answered */
	TAILQ_ENTRY(held_event) link;
};

TAILQ_HEAD(held_list, held_event);

enum verdict {
	VERDICT_PENDING, /* the policy has not been asked yet */
	VERDICT_KEEP,
	VERDICT_DROP,
};

/* The pipeline's state of one container, from its first event until its remove went out. */
struct slot {
	struct container *container; /* a reference */
	struct enrichment enrichment;
	size_t meta_bytes; /* what enrichment.meta holds, counted in the cache */
	bool lookup_pending;
	bool lookup_urgent; /* the pending lookup searches everywhere, before any lookalike's */
	uint64_t lookup_deadline_ns;
	uint64_t retry_after_ns; /* a failed lookup is retried from then on */
	/* held sessions asked for their exec id go out without it then, answered or not */
	uint64_t exec_deadline_ns;
	enum verdict verdict;
	enum metrics_drop_reason drop_reason; /* with VERDICT_DROP */
	bool impostor_alerted;		      /* its one cgroup_impostor line went out */
	struct held_list held;
	TAILQ_ENTRY(slot) holding_link; /* in pipeline.holding while held is not empty */
};

struct pipeline {
	struct pipeline_config cfg;
	const struct event_encoder *encoder;
	void *slots;		    /* tsearch(3) tree of struct slot *, keyed by cgroup id */
	unsigned int with_meta;	    /* slots holding containerd metadata: the cache's size */
	size_t meta_bytes;	    /* ... and what it holds (container_meta_size) */
	TAILQ_HEAD(, slot) holding; /* slots with held events */
	struct json_writer writer;
	char hostname[HOSTNAME_MAX];
	uint64_t no_memory; /* events not written for lack of memory */
	uint64_t lines;	    /* events written (or waiting for the output), since the start */
	uint64_t lines_at_heartbeat, lost_at_heartbeat;
	struct loss_counts reported;
	struct pressure_counts pressure, pressure_reported; /* ours: forgotten and shed */
	int write_error;
};

static int compare_slot(const void *a, const void *b)
{
	uint64_t x = ((const struct slot *)a)->container->cgroup_id;
	uint64_t y = ((const struct slot *)b)->container->cgroup_id;

	return x < y ? -1 : x > y;
}

static struct slot *slot_find(struct pipeline *p, uint64_t cgroup_id)
{
	struct container key_container = {.cgroup_id = cgroup_id};
	struct slot key = {.container = &key_container};
	void *node = tfind(&key, &p->slots, compare_slot);

	return node ? *(struct slot **)node : NULL;
}

static struct slot *slot_get(struct pipeline *p, struct container *c)
{
	struct slot *s = slot_find(p, c->cgroup_id);

	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->container = c;
	TAILQ_INIT(&s->held);
	if (!tsearch(s, &p->slots, compare_slot)) {
		free(s);
		return NULL;
	}
	container_get(c);
	return s;
}

static void held_event_free(struct held_event *h)
{
	event_release(&h->ev);
	free(h);
}

static void set_meta(struct pipeline *p, struct slot *s, struct container_meta *m)
{
	if (s->enrichment.meta) {
		container_meta_free(s->enrichment.meta);
		free(s->enrichment.meta);
		p->with_meta--;
		p->meta_bytes -= s->meta_bytes;
	}
	s->enrichment.meta = m;
	s->enrichment.sandbox = policy_is_sandbox(&s->container->ident, m);
	s->meta_bytes = m ? container_meta_size(m) : 0;
	if (m)
		p->with_meta++;
	p->meta_bytes += s->meta_bytes;
}

/* Drops whatever the slot still holds, unwritten, and its container reference. */
static void slot_free(struct pipeline *p, struct slot *s)
{
	struct held_event *h;

	if (!TAILQ_EMPTY(&s->held))
		TAILQ_REMOVE(&p->holding, s, holding_link);
	while ((h = TAILQ_FIRST(&s->held))) {
		TAILQ_REMOVE(&s->held, h, link);
		held_event_free(h);
	}
	tdelete(s, &p->slots, compare_slot);
	set_meta(p, s, NULL);
	free(s->enrichment.error);
	free(s->enrichment.claim);
	container_put(s->container);
	free(s);
}

struct pipeline *pipeline_new(const struct pipeline_config *cfg)
{
	struct pipeline *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->cfg = *cfg;
	p->encoder = cfg->encoder ? cfg->encoder : event_encoder_get(EVENT_FORMAT_NDJSON);
	TAILQ_INIT(&p->holding);
	json_writer_init(&p->writer);
	if (gethostname(p->hostname, sizeof(p->hostname) - 1))
		strcpy(p->hostname, "unknown");
	return p;
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	/* The root is a tree node like those tfind() returns: its first member is the key. */
	while (p->slots)
		slot_free(p, *(struct slot **)p->slots);
	json_writer_free(&p->writer);
	free(p);
}

int pipeline_write_error(const struct pipeline *p)
{
	return p->write_error;
}

/* True when the line is written, or waits in the sink's backlog to be. */
static bool write_line(struct pipeline *p)
{
	int err;

	if (p->write_error)
		return false;
	if (json_writer_failed(&p->writer)) {
		log_error("out of memory encoding an event");
		p->no_memory++;
		return false;
	}
	err = sink_write(p->cfg.sink, p->writer.buf, p->writer.len);
	if (err)
		p->write_error = err;
	return !err;
}

static void write_event(struct pipeline *p, struct slot *s, struct event *ev)
{
	ev->enrichment = &s->enrichment;
	json_writer_reset(&p->writer);
	p->encoder->event(&p->writer, ev, p->hostname);
	if (!write_line(p))
		return;
	metrics_event_written(ev->kind, s->enrichment.state);
	p->lines++;
}

static void set_error(struct slot *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct slot *s, const char *fmt, ...)
{
	va_list ap;

	free(s->enrichment.error);
	va_start(ap, fmt);
	if (vasprintf(&s->enrichment.error, fmt, ap) < 0)
		s->enrichment.error = NULL;
	va_end(ap);
}

static void set_partial(struct slot *s, const char *why)
{
	s->enrichment.state = ENRICHMENT_PARTIAL;
	set_error(s, "%s", why);
}

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
static int request_lookup(struct pipeline *p, struct slot *s, uint64_t now_ns)
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
		set_partial(s, "too many lookups of rootless containers wait: not asked");
		return 0;
	}
	if (err) {
		set_partial(s, "out of memory queueing the containerd lookup");
		return 0;
	}
	s->lookup_pending = true;
	s->lookup_urgent = req.urgent;
	s->lookup_deadline_ns = now_ns + p->cfg.enrich_timeout_ns;
	return 0;
}

/* Its start just confirmed a container whose lookup still waits behind lookalikes'. */
static void make_urgent(struct pipeline *p, struct slot *s)
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
static bool forget(struct pipeline *p, struct slot *s)
{
	if (lifecycle_forget(p->cfg.lifecycle, s->container->cgroup_id))
		return false;
	slot_free(p, s);
	return true;
}

/* Whether a held session still waits for its exec id. */
static bool exec_waiting(const struct slot *s)
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
static void request_exec_ids(struct pipeline *p, struct slot *s, uint64_t now_ns)
{
	const struct container_meta *m = s->enrichment.meta;
	struct held_event *h;
	bool waiting;

	if (!p->cfg.lookup || !m || !m->namespace)
		return;
	waiting = exec_waiting(s);
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

/* Takes the event's reference. */
static void hold(struct pipeline *p, struct slot *s, struct event *ev)
{
	struct held_event *h = calloc(1, sizeof(*h));

	if (!h) {
		log_error("out of memory holding a %s event of %s", event_kind_name(ev->kind),
			  s->container->ident.id);
		p->no_memory++;
		event_release(ev);
		return;
	}
	h->ev = *ev;
	if (ev->process) {
		h->process = *ev->process;
		h->ev.process = &h->process;
	}
	if (TAILQ_EMPTY(&s->held))
		TAILQ_INSERT_TAIL(&p->holding, s, holding_link);
	TAILQ_INSERT_TAIL(&s->held, h, link);
}

/* The policy, once per container, on whatever containerd said by then. */
static void decide(struct pipeline *p, struct slot *s)
{
	const struct container *c = s->container;

	if (s->verdict != VERDICT_PENDING)
		return;
	switch (policy_decide(&p->cfg.policy, &c->ident, s->enrichment.meta)) {
	case POLICY_KEEP: s->verdict = VERDICT_KEEP; return;
	case POLICY_DROP_SANDBOX: s->drop_reason = METRICS_DROP_SANDBOX; break;
	case POLICY_DROP_FILTERED: s->drop_reason = METRICS_DROP_FILTER; break;
	}
	s->verdict = VERDICT_DROP;
	lifecycle_drop(p->cfg.lifecycle, c->cgroup_id);
}

/*
 * An impostor (its engine has the container its name claims elsewhere) is no container: no line
 * of it may carry the claimed container as its own. Its one cgroup_impostor line takes the place
 * of its start (with the program it ran), or of its first line found running, or of its remove
 * if it never started; every other event of it is not written (counted, "impostor").
 */
static void write_impostor(struct pipeline *p, struct slot *s, const struct event *ev)
{
	struct event alert = *ev; /* borrows ev's references: not released */

	if (!s->impostor_alerted &&
	    (ev->kind == EVENT_CONTAINER_START || ev->kind == EVENT_CONTAINER_EXISTING ||
	     ev->kind == EVENT_CONTAINER_REMOVE)) {
		s->impostor_alerted = true;
		alert.kind = EVENT_CGROUP_IMPOSTOR;
		write_event(p, s, &alert);
		return;
	}
	metrics_event_dropped(METRICS_DROP_IMPOSTOR);
}

/*
 * Writes (or drops) the held events, up to a session still waiting for its exec id if upto_exec
 * (what follows it waits too: events go out in order). The slot ends with the container's
 * remove, or with a drop: the lifecycle forgot it then, so no other event of it can come.
 */
static void release_held(struct pipeline *p, struct slot *s, bool write, bool upto_exec)
{
	bool ended = s->verdict == VERDICT_DROP;
	struct held_event *h;

	/* answers that come after their event went find no event: ignored */
	while ((h = TAILQ_FIRST(&s->held))) {
		if (upto_exec && h->exec_pending)
			return;
		TAILQ_REMOVE(&s->held, h, link);
		if (TAILQ_EMPTY(&s->held))
			TAILQ_REMOVE(&p->holding, s, holding_link);
		ended |= h->ev.kind == EVENT_CONTAINER_REMOVE;
		if (write && s->enrichment.state == ENRICHMENT_MISMATCH)
			write_impostor(p, s, &h->ev);
		else if (write)
			write_event(p, s, &h->ev);
		else if (s->verdict == VERDICT_DROP)
			metrics_event_dropped(s->drop_reason);
		held_event_free(h);
	}
	if (ended)
		slot_free(p, s);
}

static void try_flush(struct pipeline *p, struct slot *s, uint64_t now_ns, bool force)
{
	if (TAILQ_EMPTY(&s->held))
		return;
	if (!s->container->confirmed) {
		/*
		 * Never proven a container: gone, or still waiting for its start or its lookup.
		 * Stopping (force) keeps it held, unwritten: its record is then not given back, and
		 * a ctrwatch after us on the pinned ring buffer reads it again and decides.
		 */
		if (TAILQ_LAST(&s->held, held_list)->ev.kind == EVENT_CONTAINER_REMOVE)
			release_held(p, s, false, false);
		return;
	}
	if (s->lookup_pending && now_ns < s->lookup_deadline_ns && !force)
		return;
	if (s->lookup_pending && s->enrichment.state == ENRICHMENT_UNKNOWN) {
		s->enrichment.state = ENRICHMENT_PARTIAL;
		set_error(s, "lookup took longer than %llu ms",
			  (unsigned long long)(p->cfg.enrich_timeout_ns / 1000000));
	}
	decide(p, s);
	release_held(p, s, s->verdict == VERDICT_KEEP,
		     !force && now_ns < s->exec_deadline_ns && exec_waiting(s));
}

void pipeline_submit(struct pipeline *p, struct event *ev, uint64_t now_ns)
{
	struct slot *s = slot_get(p, ev->container);

	if (!s) {
		log_error("out of memory following container %s", ev->container->ident.id);
		p->no_memory++;
		event_release(ev);
		return;
	}
	if (ev->kind == EVENT_CONTAINER_START)
		make_urgent(p, s);
	if (request_lookup(p, s, now_ns) == -EBUSY && !s->container->confirmed) {
		hold(p, s, ev);
		if (forget(p, s))
			p->pressure.lookups_shed++;
		/* else it started meanwhile: held until its start record confirms it */
		return;
	}
	hold(p, s, ev);
	request_exec_ids(p, s, now_ns);
	try_flush(p, s, now_ns, false);
}

/*
 * forget() of a lookalike whose lookup said no, counted as pressure. Not an unnamed directory
 * (a containerd namespace's at the top, at every node's start): no flood, nothing to say.
 */
static bool forget_lookalike(struct pipeline *p, struct slot *s)
{
	bool unnamed = cgroup_needs_engine(&s->container->ident);

	if (!forget(p, s))
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
		set_error(s, "metadata cache full (--cache-size %u)", p->cfg.cache_size);
		return;
	}
	if (p->cfg.cache_bytes &&
	    p->meta_bytes + container_meta_size(&r->meta) > p->cfg.cache_bytes) {
		s->enrichment.state = ENRICHMENT_PARTIAL;
		set_error(s, "metadata cache full (--cache-bytes %llu)",
			  (unsigned long long)p->cfg.cache_bytes);
		return;
	}
	m = malloc(sizeof(*m));
	if (!m) {
		set_partial(s, "out of memory");
		return;
	}
	*m = r->meta;
	memset(&r->meta, 0, sizeof(r->meta));
	set_meta(p, s, m);
	if (r->error[0]) {
		set_partial(s, r->error);
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
		try_flush(p, s, now_ns, false);
		return;
	}
	s->lookup_pending = false;
	switch (r->status) {
	case LOOKUP_FOUND:
		apply_found(p, s, r);
		request_exec_ids(p, s, now_ns);
		break;
	case LOOKUP_NOT_FOUND:
		if (!r->searched_all) {
			/* only the namespace its path names was asked: a lookalike's lookup */
			if (!s->container->confirmed && forget_lookalike(p, s))
				return;
			/* confirmed since (or started meanwhile): it is asked again, everywhere */
			if (s->container->confirmed)
				request_lookup(p, s, now_ns);
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
		set_meta(p, s, NULL);
		s->enrichment.state = ENRICHMENT_MISMATCH;
		set_error(s, "%s", r->error);
		free(s->enrichment.claim);
		s->enrichment.claim = malloc(sizeof(*s->enrichment.claim));
		if (s->enrichment.claim)
			*s->enrichment.claim = r->claim;
		break;
	case LOOKUP_FAILED:
		/* containerd cannot vouch for a lookalike now; if it starts, its start will */
		if (!s->container->confirmed && forget_lookalike(p, s))
			return;
		set_partial(s, r->error);
		s->retry_after_ns = now_ns + LOOKUP_RETRY_NS;
		break;
	}
	try_flush(p, s, now_ns, false);
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

void pipeline_tick(struct pipeline *p, uint64_t now_ns, bool force)
{
	struct slot *s, *next;

	/* try_flush() may free s, never another slot */
	for (s = TAILQ_FIRST(&p->holding); s; s = next) {
		next = TAILQ_NEXT(s, holding_link);
		try_flush(p, s, now_ns, force);
	}
}

void pipeline_oldest_records(const struct pipeline *p, uint64_t oldest[EVENT_RINGS])
{
	const struct held_event *h;
	const struct slot *s;

	for (int r = 0; r < EVENT_RINGS; r++)
		oldest[r] = EVENT_NO_RING_POS;
	/* A slot holds its events in record order: its first one from a ring is its oldest there.
	 */
	TAILQ_FOREACH(s, &p->holding, holding_link)
	{
		bool seen[EVENT_RINGS] = {false};

		TAILQ_FOREACH(h, &s->held, link)
		{
			if (h->ev.ring_pos == EVENT_NO_RING_POS || seen[h->ev.ring])
				continue;
			seen[h->ev.ring] = true;
			if (h->ev.ring_pos < oldest[h->ev.ring])
				oldest[h->ev.ring] = h->ev.ring_pos;
		}
	}
}

uint64_t pipeline_next_deadline(const struct pipeline *p)
{
	const struct slot *s;
	uint64_t next = 0;

	TAILQ_FOREACH(s, &p->holding, holding_link)
	{
		if (s->container->confirmed && s->lookup_pending &&
		    (!next || s->lookup_deadline_ns < next))
			next = s->lookup_deadline_ns;
		if (exec_waiting(s) && (!next || s->exec_deadline_ns < next))
			next = s->exec_deadline_ns;
	}
	return next;
}

static void warn_loss(const struct loss_counts *d)
{
	uint64_t ringbuf = 0;

	for (int i = 0; i < RECORD_TYPE_MAX; i++)
		ringbuf += d->ringbuf_full[i];
	if (ringbuf)
		log_warn("the kernel dropped records: ring buffer full (see --ringbuf-size)");
	if (d->untracked)
		log_warn(
		    "the kernel's cgroup tracking map is full: %llu new cgroups are not followed",
		    (unsigned long long)d->untracked);
	if (d->malformed)
		log_warn("%llu malformed records from the kernel were dropped",
			 (unsigned long long)d->malformed);
	if (d->no_memory)
		log_warn("out of memory: %llu events were not written",
			 (unsigned long long)d->no_memory);
	if (d->unwritten)
		log_warn("the output stayed full: %llu events were not written",
			 (unsigned long long)d->unwritten);
}

/* delta = now - before, counter by counter; true if any grew. */
/* delta = now - before, counter by counter, over structs of uint64_t only; true if any grew. */
static bool counters_delta(const void *now, const void *before, void *delta, size_t size)
{
	const uint64_t *n = now, *b = before;
	uint64_t *d = delta;
	bool any = false;

	for (size_t i = 0; i < size / sizeof(uint64_t); i++) {
		d[i] = n[i] - b[i];
		any |= d[i] != 0;
	}
	return any;
}

_Static_assert(sizeof(struct loss_counts) % sizeof(uint64_t) == 0, "counters only");
_Static_assert(sizeof(struct pressure_counts) % sizeof(uint64_t) == 0, "counters only");

void pipeline_report_pressure(struct pipeline *p, uint64_t now_ns,
			      const struct pressure_counts *others)
{
	struct pressure_counts now = *others, d;
	bool first =
	    !p->pressure_reported.lookalikes_forgotten && !p->pressure_reported.lookups_shed;

	now.lookalikes_forgotten = p->pressure.lookalikes_forgotten;
	now.lookups_shed = p->pressure.lookups_shed;
	if (now.aliases_refused && !p->pressure_reported.aliases_refused)
		log_warn(
		    "a container makes more sub-cgroups than ctrwatch follows; the rest are not "
		    "followed (ctrwatch_pressure)");
	if ((now.creator_quota_refused || now.creator_rate_refused) &&
	    !p->pressure_reported.creator_quota_refused &&
	    !p->pressure_reported.creator_rate_refused)
		log_warn(
		    "a container's tasks or a user make more cgroups than their quota or rate; "
		    "the rest are not tracked (ctrwatch_pressure, "
		    "ctrwatch_kernel_creator_refused_total)");
	if (now.readmissions_refused && !p->pressure_reported.readmissions_refused)
		log_warn("starts in cgroups ctrwatch does not track come faster than it looks at "
			 "them; the rest are not looked at (ctrwatch_pressure)");
	if (!counters_delta(&now, &p->pressure_reported, &d, sizeof(now)))
		return;
	if (first && (d.lookalikes_forgotten || d.lookups_shed))
		log_warn("cgroups that look like containers but are not keep appearing; "
			 "they are let go (ctrwatch_pressure)");
	p->pressure_reported = now;
	json_writer_reset(&p->writer);
	p->encoder->pressure(&p->writer, now_ns, &d, p->hostname);
	write_line(p);
}

void pipeline_report_loss(struct pipeline *p, uint64_t now_ns, const struct loss_counts *totals)
{
	struct loss_counts now = *totals, delta;

	now.no_memory += p->no_memory;
	metrics_set_lost(&now);
	if (!counters_delta(&now, &p->reported, &delta, sizeof(now)))
		return;
	p->reported = now;
	warn_loss(&delta);
	json_writer_reset(&p->writer);
	p->encoder->lost(&p->writer, now_ns, &delta, p->hostname);
	write_line(p);
}

static uint64_t lost_total(const struct loss_counts *lost)
{
	struct event_counter c[EVENT_LOST_COUNTERS];
	uint64_t total;

	event_lost_counters(lost, c, &total);
	return total;
}

void pipeline_write_heartbeat(struct pipeline *p, uint64_t now_ns, struct heartbeat *hb)
{
	uint64_t lost = lost_total(&p->reported);

	hb->written_total = p->lines;
	hb->written = p->lines - p->lines_at_heartbeat;
	hb->lost_total = lost;
	hb->lost = lost - p->lost_at_heartbeat;
	hb->output_stalled_ms = sink_stalled_ns(p->cfg.sink) / 1000000;
	p->lines_at_heartbeat = p->lines;
	p->lost_at_heartbeat = lost;
	json_writer_reset(&p->writer);
	p->encoder->heartbeat(&p->writer, now_ns, hb, p->hostname);
	if (write_line(p))
		metrics_heartbeat_written(clock_boot_to_realtime_ns(now_ns) / 1000000000ull);
}
