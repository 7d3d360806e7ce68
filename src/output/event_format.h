/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_EVENT_FORMAT_H
#define CTRWATCH_EVENT_FORMAT_H

#include <stdint.h>

#include "common/loss.h"
#include "lifecycle/event.h"
#include "output/json_writer.h"

/* --format: the schema of the lines written (docs/formats.md). */
enum event_format {
	EVENT_FORMAT_NDJSON = 0, /* ctrwatch's own (docs/events.md) */
	EVENT_FORMAT_ECS,	 /* Elastic Common Schema 9.x */
	EVENT_FORMAT_OCSF,	 /* OCSF 1.8.0 */
	EVENT_FORMAT_TEXT,	 /* for a person at a terminal (event_text.h): not JSON */
};

/* The engines a heartbeat says the state of, in this order. */
enum heartbeat_engine {
	HEARTBEAT_CONTAINERD,
	HEARTBEAT_DOCKER,
	HEARTBEAT_PODMAN,
	HEARTBEAT_CRIO,
	HEARTBEAT_ENGINES
};

/*
 * A ctrwatch_heartbeat (docs/events.md): that ctrwatch runs, and how well it sees, every
 * --heartbeat, so that a quiet node is told from a dead or cut-off ctrwatch in the log stream.
 */
struct heartbeat {
	const char *version;
	const char *kernel_release;
	uint64_t interval_s;
	uint64_t uptime_s;
	unsigned int containers;	 /* followed now */
	uint64_t written, written_total; /* lines, since the last heartbeat and since the start */
	uint64_t lost, lost_total;	 /* what ctrwatch_lost counts, likewise */
	uint64_t reader_lag_ms;		 /* the oldest record not read yet: its age */
	uint64_t output_stalled_ms;	 /* lines have waited for the output this long; 0 */
	const char *engines[HEARTBEAT_ENGINES]; /* "up", "down", "absent", "off" */
	bool pinned;
};

/* One format's encoders; each appends one line (a JSON object, but for text) and a newline. */
struct event_encoder {
	void (*event)(struct json_writer *w, const struct event *ev, const char *hostname);
	/* what could not become a line since the last one, by cause */
	void (*lost)(struct json_writer *w, uint64_t boot_ns, const struct loss_counts *lost,
		     const char *hostname);
	/* the work shed for floods of lookalikes since the last one */
	void (*pressure)(struct json_writer *w, uint64_t boot_ns,
			 const struct pressure_counts *pressure, const char *hostname);
	void (*heartbeat)(struct json_writer *w, uint64_t boot_ns, const struct heartbeat *hb,
			  const char *hostname);
};

/* "containerd", "docker", "podman" */
const char *heartbeat_engine_name(enum heartbeat_engine engine);

/* "ndjson", "ecs", "ocsf", "text". Returns 0 or -EINVAL. */
int event_format_parse(const char *name, enum event_format *format);
const struct event_encoder *event_encoder_get(enum event_format format);
const char *event_format_name(enum event_format format);

#endif
