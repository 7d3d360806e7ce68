/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_EVENT_TEXT_H
#define CTRWATCH_EVENT_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "output/event_format.h"

/*
 * --format text: one aligned line per event for a person at a terminal (docs/formats.md): local
 * time with milliseconds, a word for the event, the container's name (or short id), image and
 * pod, then what happened (the program and its arguments, the exit, the claim). Every string
 * of the container's goes through text_line.c's escaping.
 */

/*
 * Settles the lines' looks once, before the first: colour (a terminal, and no NO_COLOR), and
 * the terminal's width (0: not a terminal; fields are still cut to their columns).
 */
void event_text_configure(bool colour, size_t width);

void event_text_encode(struct json_writer *w, const struct event *ev, const char *hostname);
void event_text_encode_lost(struct json_writer *w, uint64_t boot_ns, const struct loss_counts *lost,
			    const char *hostname);
void event_text_encode_pressure(struct json_writer *w, uint64_t boot_ns,
				const struct pressure_counts *pressure, const char *hostname);
void event_text_encode_heartbeat(struct json_writer *w, uint64_t boot_ns,
				 const struct heartbeat *hb, const char *hostname);

#endif
