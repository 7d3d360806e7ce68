// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The pipeline: a container's events from the kernel's records to its lines, in record order,
 * each held while its container's lookup is pending (pipeline_internal.h says who does what).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "common/log.h"
#include "enrich/enrichment.h"
#include "metrics/metrics.h"
#include "output/event_fields.h"
#include "output/event_format.h"
#include "output/json_writer.h"
#include "pipeline.h"
#include "pipeline_internal.h"

static int compare_slot(const void *a, const void *b)
{
	uint64_t x = ((const struct slot *)a)->container->cgroup_id;
	uint64_t y = ((const struct slot *)b)->container->cgroup_id;

	return x < y ? -1 : x > y;
}

struct slot *slot_find(struct pipeline *p, uint64_t cgroup_id)
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

void slot_set_meta(struct pipeline *p, struct slot *s, struct container_meta *m)
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
void slot_free(struct pipeline *p, struct slot *s)
{
	struct held_event *h;

	if (!TAILQ_EMPTY(&s->held))
		TAILQ_REMOVE(&p->holding, s, holding_link);
	while ((h = TAILQ_FIRST(&s->held))) {
		TAILQ_REMOVE(&s->held, h, link);
		held_event_free(h);
	}
	tdelete(s, &p->slots, compare_slot);
	slot_set_meta(p, s, NULL);
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
bool pipeline_write_line(struct pipeline *p)
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
	if (!pipeline_write_line(p))
		return;
	metrics_event_written(ev->kind, s->enrichment.state);
	p->lines++;
}

void slot_set_error(struct slot *s, const char *fmt, ...)
{
	va_list ap;

	free(s->enrichment.error);
	va_start(ap, fmt);
	if (vasprintf(&s->enrichment.error, fmt, ap) < 0)
		s->enrichment.error = NULL;
	va_end(ap);
}

void slot_set_partial(struct slot *s, const char *why)
{
	s->enrichment.state = ENRICHMENT_PARTIAL;
	slot_set_error(s, "%s", why);
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

void slot_try_flush(struct pipeline *p, struct slot *s, uint64_t now_ns, bool force)
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
		slot_set_error(s, "lookup took longer than %llu ms",
			       (unsigned long long)(p->cfg.enrich_timeout_ns / 1000000));
	}
	decide(p, s);
	release_held(p, s, s->verdict == VERDICT_KEEP,
		     !force && now_ns < s->exec_deadline_ns && slot_exec_waiting(s));
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
		slot_make_urgent(p, s);
	if (slot_request_lookup(p, s, now_ns) == -EBUSY && !s->container->confirmed) {
		hold(p, s, ev);
		if (slot_forget(p, s))
			p->pressure.lookups_shed++;
		/* else it started meanwhile: held until its start record confirms it */
		return;
	}
	hold(p, s, ev);
	slot_request_exec_ids(p, s, now_ns);
	slot_try_flush(p, s, now_ns, false);
}

void pipeline_tick(struct pipeline *p, uint64_t now_ns, bool force)
{
	struct slot *s, *next;

	/* slot_try_flush() may free s, never another slot */
	for (s = TAILQ_FIRST(&p->holding); s; s = next) {
		next = TAILQ_NEXT(s, holding_link);
		slot_try_flush(p, s, now_ns, force);
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
		if (slot_exec_waiting(s) && (!next || s->exec_deadline_ns < next))
			next = s->exec_deadline_ns;
	}
	return next;
}
