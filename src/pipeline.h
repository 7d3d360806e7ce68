/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_PIPELINE_H
#define CTRWATCH_PIPELINE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "json_writer.h"
#include "output.h"

#define HOSTNAME_MAX 256

/*
 * The stages after classification: enrichment and filters (to come), then the JSON encoder and
 * the output. One event in, zero or one line out.
 */
struct pipeline {
	struct output *out;
	struct json_writer writer;
	char hostname[HOSTNAME_MAX];
	uint64_t lines;
	int write_error; /* first failed write, -errno; the caller stops on it */
};

void pipeline_init(struct pipeline *p, struct output *out);
void pipeline_free(struct pipeline *p);
void pipeline_submit(struct pipeline *p, const struct event *ev);
void pipeline_submit_lost(struct pipeline *p, uint64_t boot_ns,
			  const uint64_t lost[RECORD_TYPE_MAX]);

#endif
