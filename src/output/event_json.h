/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_EVENT_JSON_H
#define CTRWATCH_EVENT_JSON_H

#include <stdint.h>

#include "common/loss.h"
#include "lifecycle/event.h"
#include "output/event_format.h"
#include "output/json_writer.h"

/* Appends one event as a JSON object and a newline (docs/events.md is the schema). */
void event_json_encode(struct json_writer *w, const struct event *ev, const char *hostname);
/* Appends a ctrwatch_lost line: what could not become a line since the last one, by cause. */
void event_json_encode_lost(struct json_writer *w, uint64_t boot_ns, const struct loss_counts *lost,
			    const char *hostname);

/* Appends a ctrwatch_pressure line: the work shed for floods of lookalikes since the last one. */
void event_json_encode_pressure(struct json_writer *w, uint64_t boot_ns,
				const struct pressure_counts *pressure, const char *hostname);

/* Appends a ctrwatch_heartbeat line. */
void event_json_encode_heartbeat(struct json_writer *w, uint64_t boot_ns,
				 const struct heartbeat *hb, const char *hostname);

#endif
