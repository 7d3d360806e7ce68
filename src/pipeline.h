/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_PIPELINE_H
#define CTRWATCH_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/loss.h"
#include "enrich/lookup.h"
#include "filter/policy.h"
#include "lifecycle/event.h"
#include "lifecycle/lifecycle.h"
#include "output/event_format.h"
#include "output/sink.h"

struct event_encoder;

struct pipeline_config {
	struct sink *sink;
	struct lifecycle *lifecycle;	 /* told what enrichment and the filters learn */
	const struct lookup_ops *lookup; /* NULL: no enrichment */
	void *lookup_ctx;
	struct policy policy;
	uint64_t enrich_timeout_ns;
	unsigned int cache_size;	     /* containers whose metadata is kept */
	uint64_t cache_bytes;		     /* ... and their memory; 0: unbounded */
	const struct event_encoder *encoder; /* --format; NULL: ndjson */
};

/*
 * The stages after classification. Each container's events are held, in order, until it is
 * confirmed as a container and containerd answered its lookup (or --enrich-timeout passed); then
 * the policy decides once, and the events are encoded and written. All calls come from the one
 * thread that reads the ring buffer.
 */
struct pipeline;

/* Returns NULL with errno set. */
struct pipeline *pipeline_new(const struct pipeline_config *cfg);
/* Frees what is still held, unwritten: call pipeline_tick(force) first to write it. */
void pipeline_free(struct pipeline *p);
/* Takes the event, and with it the container reference it holds. now_ns is CLOCK_BOOTTIME. */
void pipeline_submit(struct pipeline *p, struct event *ev, uint64_t now_ns);
/* Applies finished lookups. */
void pipeline_take_results(struct pipeline *p, uint64_t now_ns);
/* Writes what waited past its deadline; force: everything that can be (at exit). */
void pipeline_tick(struct pipeline *p, uint64_t now_ns, bool force);
/*
 * Per ring buffer (enum event_ring), the position of the oldest record whose event is still
 * held (not written, not dropped), or EVENT_NO_RING_POS: the reader must not give the kernel
 * back its room yet.
 */
void pipeline_oldest_records(const struct pipeline *p, uint64_t oldest[EVENT_RINGS]);
/* The earliest lookup deadline among held events, or 0. */
uint64_t pipeline_next_deadline(const struct pipeline *p);
/*
 * Writes a ctrwatch_heartbeat line, in order with the events (a stalled output keeps it waiting
 * with them): hb's facts, and the pipeline's own (lines written and lost since the last one and
 * in all, how long the output has kept lines waiting).
 */
void pipeline_write_heartbeat(struct pipeline *p, uint64_t now_ns, struct heartbeat *hb);
/*
 * Given the totals counted by the other stages (the pipeline adds its own), writes a
 * ctrwatch_lost line, and a warning per cause, if any grew since the last call.
 */
void pipeline_report_loss(struct pipeline *p, uint64_t now_ns, const struct loss_counts *totals);
/*
 * Writes a ctrwatch_pressure line if the work shed for floods of lookalike cgroups grew since the
 * last call. others: the totals the other stages count (the pipeline's own fields are ignored).
 */
void pipeline_report_pressure(struct pipeline *p, uint64_t now_ns,
			      const struct pressure_counts *others);
/* The first failed write, -errno, or 0. Nothing more is written after one. */
int pipeline_write_error(const struct pipeline *p);

#endif
