// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event_json.h"
#include "log.h"
#include "pause_image.h"
#include "pipeline.h"

#define LOOKUP_RETRY_NS 1000000000ull /* a failed lookup is retried after this */

void pipeline_init(struct pipeline *p, const struct pipeline_config *cfg)
{
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	json_writer_init(&p->writer);
	if (gethostname(p->hostname, sizeof(p->hostname) - 1))
		strcpy(p->hostname, "unknown");
}

void pipeline_free(struct pipeline *p)
{
	json_writer_free(&p->writer);
}

static void write_line(struct pipeline *p)
{
	int err;

	if (p->write_error)
		return;
	if (json_writer_failed(&p->writer)) {
		log_error("out of memory encoding an event");
		return;
	}
	err = output_write(p->cfg.out, p->writer.buf, p->writer.len);
	if (err) {
		p->write_error = err;
		return;
	}
	p->lines++;
}

static void clear_error(struct container *c)
{
	free(c->enrichment_error);
	c->enrichment_error = NULL;
}

static void set_error(struct container *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_error(struct container *c, const char *fmt, ...)
{
	va_list ap;

	clear_error(c);
	va_start(ap, fmt);
	if (vasprintf(&c->enrichment_error, fmt, ap) < 0)
		c->enrichment_error = NULL;
	va_end(ap);
}

/* A container is looked up once; again only after a lookup that containerd did not answer. */
static bool wants_lookup(const struct container *c, uint64_t now_ns)
{
	if (c->lookup_pending)
		return false;
	if (!c->enrichment)
		return true;
	return c->retry_after_ns && now_ns >= c->retry_after_ns;
}

static void request_lookup(struct pipeline *p, struct container *c, uint64_t now_ns)
{
	if (!p->cfg.enricher) {
		c->enrichment = "none";
		return;
	}
	if (!wants_lookup(c, now_ns))
		return;
	c->retry_after_ns = 0;
	/* a running container whose init the scan could not find: ask containerd for it */
	if (enricher_submit(p->cfg.enricher, c->cgroup_id, &c->ident, c->cgroup_path,
			    !c->init_pid && c->existing)) {
		c->enrichment = "partial";
		set_error(c, "out of memory queueing the containerd lookup");
		return;
	}
	c->lookup_pending = true;
	c->lookup_deadline_ns = now_ns + p->cfg.enrich_timeout_ns;
}

static void hold(struct pipeline *p, struct container *c, const struct event *ev)
{
	struct held_event *h = calloc(1, sizeof(*h));

	if (!h) {
		log_error("out of memory holding a %s event of %s", event_kind_name(ev->kind),
			  c->ident.id);
		return;
	}
	h->ev = *ev;
	if (ev->process) {
		h->process = *ev->process;
		h->ev.process = &h->process;
	}
	if (!c->held_head) {
		c->held_next = p->holding;
		p->holding = c;
		c->held_head = h;
	} else {
		c->held_tail->next = h;
	}
	c->held_tail = h;
}

/* Pause and user filters, once per container, on whatever metadata there is by then. */
static void decide(struct pipeline *p, struct container *c)
{
	if (c->decided)
		return;
	c->decided = true;
	if (p->cfg.pause_filter && c->meta && pause_container(c->meta))
		c->dropped = true;
	else if (!filter_set_keep(p->cfg.filters, c->meta, c->ident.ns[0] ? c->ident.ns : NULL))
		c->dropped = true;
	if (c->dropped)
		p->cfg.untrack(p->cfg.ctx, c->cgroup_id); /* its processes cost nothing more */
}

static void unlink_holding(struct pipeline *p, struct container *c)
{
	for (struct container **pp = &p->holding; *pp; pp = &(*pp)->held_next) {
		if (*pp == c) {
			*pp = c->held_next;
			c->held_next = NULL;
			return;
		}
	}
}

/* Writes (or drops) the held events, and frees the container if its cgroup is gone. */
static void release_held(struct pipeline *p, struct container *c, bool write)
{
	struct held_event *h;

	unlink_holding(p, c);
	while ((h = c->held_head)) {
		c->held_head = h->next;
		if (write) {
			json_writer_reset(&p->writer);
			event_json_encode(&p->writer, &h->ev, p->hostname);
			write_line(p);
		}
		free(h);
	}
	c->held_tail = NULL;
	if (c->removed)
		container_table_remove(p->cfg.table, c);
}

static void try_flush(struct pipeline *p, struct container *c, uint64_t now_ns, bool force)
{
	if (!c->held_head)
		return;
	if (!c->confirmed) {
		/* never proven a container: gone, or still waiting for its start */
		if (c->held_tail->ev.kind == EVENT_CONTAINER_REMOVE || c->removed || force)
			release_held(p, c, false);
		return;
	}
	if (c->lookup_pending && now_ns < c->lookup_deadline_ns && !force)
		return;
	if (c->lookup_pending && !c->enrichment) {
		c->enrichment = "partial";
		set_error(c, "containerd lookup took longer than %llu ms",
			  (unsigned long long)(p->cfg.enrich_timeout_ns / 1000000));
	}
	decide(p, c);
	release_held(p, c, !c->dropped);
}

void pipeline_submit(struct pipeline *p, const struct event *ev, uint64_t now_ns)
{
	struct container *c = ev->container;

	if (c->decided && c->dropped)
		return; /* lifecycle frees it after its remove */
	request_lookup(p, c, now_ns);
	hold(p, c, ev);
	try_flush(p, c, now_ns, false);
}

static void apply_result(struct pipeline *p, struct container *c, struct enrich_result *r,
			 uint64_t now_ns)
{
	struct container_meta *m;

	c->lookup_pending = false;
	switch (r->status) {
	case ENRICH_FOUND:
		if (r->cgroup_confirmed)
			c->confirmed = true;
		if (r->init_pid && !c->init_pid && p->cfg.set_init &&
		    p->cfg.set_init(p->cfg.ctx, c->cgroup_id, r->init_pid) == 0) {
			c->init_pid = r->init_pid;
			c->started = true;
		}
		if (strcmp(c->ident.runtime, "unknown") == 0)
			c->ident.runtime = "containerd";
		if (p->cfg.table->with_meta >= p->cfg.cache_size) {
			c->enrichment = "partial";
			set_error(c, "metadata cache full (--cache-size %u)", p->cfg.cache_size);
			break;
		}
		m = malloc(sizeof(*m));
		if (!m) {
			c->enrichment = "partial";
			set_error(c, "out of memory");
			break;
		}
		*m = r->meta;
		memset(&r->meta, 0, sizeof(r->meta));
		container_set_meta(p->cfg.table, c, m);
		c->enrichment = r->error[0] ? "partial" : "complete";
		if (r->error[0])
			set_error(c, "%s", r->error);
		else
			clear_error(c);
		break;
	case ENRICH_NOT_FOUND:
		c->enrichment = "none";
		clear_error(c);
		break;
	case ENRICH_FAILED:
		c->enrichment = "partial";
		c->retry_after_ns = now_ns + LOOKUP_RETRY_NS;
		set_error(c, "%s", r->error);
		break;
	}
	try_flush(p, c, now_ns, false);
}

void pipeline_take_results(struct pipeline *p, uint64_t now_ns)
{
	struct enrich_result *r, *next;

	if (!p->cfg.enricher)
		return;
	for (r = enricher_take(p->cfg.enricher); r; r = next) {
		struct container *c = container_table_get(p->cfg.table, r->cgroup_id);

		next = r->next;
		if (c)
			apply_result(p, c, r, now_ns);
		enrich_result_free(r);
	}
}

void pipeline_tick(struct pipeline *p, uint64_t now_ns, bool force)
{
	struct container *c = p->holding, *next;

	for (; c; c = next) {
		next = c->held_next;
		try_flush(p, c, now_ns, force);
	}
}

uint64_t pipeline_next_deadline(const struct pipeline *p)
{
	uint64_t next = 0;

	for (const struct container *c = p->holding; c; c = c->held_next)
		if (c->confirmed && c->lookup_pending && (!next || c->lookup_deadline_ns < next))
			next = c->lookup_deadline_ns;
	return next;
}

void pipeline_submit_lost(struct pipeline *p, uint64_t boot_ns,
			  const uint64_t lost[RECORD_TYPE_MAX])
{
	json_writer_reset(&p->writer);
	event_json_encode_lost(&p->writer, boot_ns, lost, p->hostname);
	write_line(p);
}
