/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_PIPELINE_INTERNAL_H
#define CTRWATCH_PIPELINE_INTERNAL_H
/*
 * What the files behind pipeline.h share, and nothing else includes: the pipeline's state
 * (struct pipeline, made and freed by pipeline.c) and its slots, one per container:
 *   pipeline.c          the slots, events held for a lookup, the policy's verdict, writing lines
 *                       in record order, and the oldest record still held per ring;
 *   pipeline_lookup.c   asking who a container is (and an exec session's id), and applying the
 *                       answers: found, not found, failed, an impostor;
 *   pipeline_reports.c  the loss, pressure and heartbeat lines.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "enrich/enrichment.h"
#include "metrics/metrics.h"
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

/* pipeline.c: the slots, and writing */
struct slot *slot_find(struct pipeline *p, uint64_t cgroup_id);
void slot_free(struct pipeline *p, struct slot *s);
void slot_set_meta(struct pipeline *p, struct slot *s, struct container_meta *m);
void slot_set_error(struct slot *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void slot_set_partial(struct slot *s, const char *why);
/* Writes what p->writer holds: false when it could not (p->write_error says why). */
bool pipeline_write_line(struct pipeline *p);
void slot_try_flush(struct pipeline *p, struct slot *s, uint64_t now_ns, bool force);

/* pipeline_lookup.c: asking who a container is, and taking the answers */
int slot_request_lookup(struct pipeline *p, struct slot *s, uint64_t now_ns);
void slot_make_urgent(struct pipeline *p, struct slot *s);
bool slot_forget(struct pipeline *p, struct slot *s);
bool slot_exec_waiting(const struct slot *s);
void slot_request_exec_ids(struct pipeline *p, struct slot *s, uint64_t now_ns);

#endif
