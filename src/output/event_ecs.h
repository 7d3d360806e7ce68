/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_EVENT_ECS_H
#define CTRWATCH_EVENT_ECS_H

#include <stdint.h>

#include "common/loss.h"
#include "lifecycle/event.h"
#include "output/event_format.h"
#include "output/json_writer.h"

/* --format ecs: Elastic Common Schema 9.x documents (docs/formats.md has the mapping, event by
 * event). */
void event_ecs_encode(struct json_writer *w, const struct event *ev, const char *hostname);
void event_ecs_encode_lost(struct json_writer *w, uint64_t boot_ns, const struct loss_counts *lost,
			   const char *hostname);
void event_ecs_encode_pressure(struct json_writer *w, uint64_t boot_ns,
			       const struct pressure_counts *pressure, const char *hostname);

/* Appends a ctrwatch_heartbeat line: event.kind state, the facts under ctrwatch.heartbeat. */
void event_ecs_encode_heartbeat(struct json_writer *w, uint64_t boot_ns, const struct heartbeat *hb,
				const char *hostname);

#endif
