// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>

#include "output/event_ecs.h"
#include "output/event_format.h"
#include "output/event_json.h"
#include "output/event_ocsf.h"
#include "output/event_text.h"

static const struct event_encoder encoders[] = {
    [EVENT_FORMAT_NDJSON] = {event_json_encode, event_json_encode_lost, event_json_encode_pressure,
			     event_json_encode_heartbeat},
    [EVENT_FORMAT_ECS] = {event_ecs_encode, event_ecs_encode_lost, event_ecs_encode_pressure,
			  event_ecs_encode_heartbeat},
    [EVENT_FORMAT_OCSF] = {event_ocsf_encode, event_ocsf_encode_lost, event_ocsf_encode_pressure,
			   event_ocsf_encode_heartbeat},
    [EVENT_FORMAT_TEXT] = {event_text_encode, event_text_encode_lost, event_text_encode_pressure,
			   event_text_encode_heartbeat},
};

static const char *const names[] = {
    [EVENT_FORMAT_NDJSON] = "ndjson",
    [EVENT_FORMAT_ECS] = "ecs",
    [EVENT_FORMAT_OCSF] = "ocsf",
    [EVENT_FORMAT_TEXT] = "text",
};

int event_format_parse(const char *name, enum event_format *format)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(name, names[i])) {
			*format = (enum event_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *event_format_name(enum event_format format)
{
	return names[format];
}

const struct event_encoder *event_encoder_get(enum event_format format)
{
	return &encoders[format];
}
