// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The event in every --format, each line checked (check_line.c, check_text.c). */
#include "check_line.h"
#include "output/event_format.h"
#include "output/event_text.h"

void fuzz_check_every_format(struct json_writer *w, const struct event *ev)
{
	for (int f = EVENT_FORMAT_NDJSON; f <= EVENT_FORMAT_OCSF; f++) {
		json_writer_reset(w);
		event_encoder_get(f)->event(w, ev, "host");
		if (!json_writer_failed(w))
			fuzz_check_line(w->buf, w->len);
	}
	/* text, coloured on a terminal 80 wide, then plain with no width */
	for (int tty = 1; tty >= 0; tty--) {
		event_text_configure(tty, tty ? 80 : 0);
		json_writer_reset(w);
		event_encoder_get(EVENT_FORMAT_TEXT)->event(w, ev, "host");
		if (!json_writer_failed(w))
			fuzz_check_text_line(w->buf, w->len, tty ? 80 : 0);
	}
}
