/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_EVENT_JSON_H
#define CTRWATCH_EVENT_JSON_H

#include <stdint.h>

#include "event.h"
#include "json_writer.h"

/* Appends one event as a JSON object and a newline (docs/events.md is the schema). */
void event_json_encode(struct json_writer *w, const struct event *ev, const char *hostname);
/* Appends a ctrwatch_lost line: records the kernel could not queue, by record type. */
void event_json_encode_lost(struct json_writer *w, uint64_t boot_ns,
			    const uint64_t lost[RECORD_TYPE_MAX], const char *hostname);

#endif
