// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "event_json.h"
#include "log.h"
#include "pipeline.h"

void pipeline_init(struct pipeline *p, struct output *out)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	json_writer_init(&p->writer);
	if (gethostname(p->hostname, sizeof(p->hostname) - 1))
		strcpy(p->hostname, "unknown");
}

void pipeline_free(struct pipeline *p)
{
	json_writer_free(&p->writer);
}

static void write_line(struct pipeline *p)
{
	int err;

	if (p->write_error)
		return;
	if (json_writer_failed(&p->writer)) {
		log_error("out of memory encoding an event");
		return;
	}
	err = output_write(p->out, p->writer.buf, p->writer.len);
	if (err) {
		p->write_error = err;
		return;
	}
	p->lines++;
}

void pipeline_submit(struct pipeline *p, const struct event *ev)
{
	json_writer_reset(&p->writer);
	event_json_encode(&p->writer, ev, p->hostname);
	write_line(p);
}

void pipeline_submit_lost(struct pipeline *p, uint64_t boot_ns,
			  const uint64_t lost[RECORD_TYPE_MAX])
{
	json_writer_reset(&p->writer);
	event_json_encode_lost(&p->writer, boot_ns, lost, p->hostname);
	write_line(p);
}
