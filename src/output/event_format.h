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
};

/* One format's encoders; each appends one JSON object and a newline. */
struct event_encoder {
	void (*event)(struct json_writer *w, const struct event *ev, const char *hostname);
	/* what could not become a line since the last one, by cause */
	void (*lost)(struct json_writer *w, uint64_t boot_ns, const struct loss_counts *lost,
		     const char *hostname);
	/* the work shed for floods of lookalikes since the last one */
	void (*pressure)(struct json_writer *w, uint64_t boot_ns,
			 const struct pressure_counts *pressure, const char *hostname);
};

/* "ndjson", "ecs", "ocsf". Returns 0 or -EINVAL. */
int event_format_parse(const char *name, enum event_format *format);
const struct event_encoder *event_encoder_get(enum event_format format);
const char *event_format_name(enum event_format format);

#endif
