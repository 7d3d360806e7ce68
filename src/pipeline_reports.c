// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The lines that say what was lost or shed (ctrwatch_lost, ctrwatch_pressure) and the
 * heartbeat, each with the counts since the last one.
 */
#define _GNU_SOURCE

#include "common/clock.h"
#include "common/log.h"
#include "metrics/metrics.h"
#include "output/event_fields.h"
#include "output/event_format.h"
#include "output/json_writer.h"
#include "pipeline.h"
#include "pipeline_internal.h"

static void warn_loss(const struct loss_counts *d)
{
	uint64_t ringbuf = 0;

	for (int i = 0; i < RECORD_TYPE_MAX; i++)
		ringbuf += d->ringbuf_full[i];
	if (ringbuf)
		log_warn("the kernel dropped records: ring buffer full (see --ringbuf-size)");
	if (d->untracked)
		log_warn(
		    "the kernel's cgroup tracking map is full: %llu new cgroups are not followed",
		    (unsigned long long)d->untracked);
	if (d->malformed)
		log_warn("%llu malformed records from the kernel were dropped",
			 (unsigned long long)d->malformed);
	if (d->no_memory)
		log_warn("out of memory: %llu events were not written",
			 (unsigned long long)d->no_memory);
	if (d->unwritten)
		log_warn("the output stayed full: %llu events were not written",
			 (unsigned long long)d->unwritten);
}

/* delta = now - before, counter by counter; true if any grew. */
/* delta = now - before, counter by counter, over structs of uint64_t only; true if any grew. */
static bool counters_delta(const void *now, const void *before, void *delta, size_t size)
{
	const uint64_t *n = now, *b = before;
	uint64_t *d = delta;
	bool any = false;

	for (size_t i = 0; i < size / sizeof(uint64_t); i++) {
		d[i] = n[i] - b[i];
		any |= d[i] != 0;
	}
	return any;
}

_Static_assert(sizeof(struct loss_counts) % sizeof(uint64_t) == 0, "counters only");
_Static_assert(sizeof(struct pressure_counts) % sizeof(uint64_t) == 0, "counters only");

void pipeline_report_pressure(struct pipeline *p, uint64_t now_ns,
			      const struct pressure_counts *others)
{
	struct pressure_counts now = *others, d;
	bool first =
	    !p->pressure_reported.lookalikes_forgotten && !p->pressure_reported.lookups_shed;

	now.lookalikes_forgotten = p->pressure.lookalikes_forgotten;
	now.lookups_shed = p->pressure.lookups_shed;
	if (now.aliases_refused && !p->pressure_reported.aliases_refused)
		log_warn(
		    "a container makes more sub-cgroups than ctrwatch follows; the rest are not "
		    "followed (ctrwatch_pressure)");
	if ((now.creator_quota_refused || now.creator_rate_refused) &&
	    !p->pressure_reported.creator_quota_refused &&
	    !p->pressure_reported.creator_rate_refused)
		log_warn(
		    "a container's tasks or a user make more cgroups than their quota or rate; "
		    "the rest are not tracked (ctrwatch_pressure, "
		    "ctrwatch_kernel_creator_refused_total)");
	if (now.readmissions_refused && !p->pressure_reported.readmissions_refused)
		log_warn("starts in cgroups ctrwatch does not track come faster than it looks at "
			 "them; the rest are not looked at (ctrwatch_pressure)");
	if (!counters_delta(&now, &p->pressure_reported, &d, sizeof(now)))
		return;
	if (first && (d.lookalikes_forgotten || d.lookups_shed))
		log_warn("cgroups that look like containers but are not keep appearing; "
			 "they are let go (ctrwatch_pressure)");
	p->pressure_reported = now;
	json_writer_reset(&p->writer);
	p->encoder->pressure(&p->writer, now_ns, &d, p->hostname);
	pipeline_write_line(p);
}

void pipeline_report_loss(struct pipeline *p, uint64_t now_ns, const struct loss_counts *totals)
{
	struct loss_counts now = *totals, delta;

	now.no_memory += p->no_memory;
	metrics_set_lost(&now);
	if (!counters_delta(&now, &p->reported, &delta, sizeof(now)))
		return;
	p->reported = now;
	warn_loss(&delta);
	json_writer_reset(&p->writer);
	p->encoder->lost(&p->writer, now_ns, &delta, p->hostname);
	pipeline_write_line(p);
}

static uint64_t lost_total(const struct loss_counts *lost)
{
	struct event_counter c[EVENT_LOST_COUNTERS];
	uint64_t total;

	event_lost_counters(lost, c, &total);
	return total;
}

void pipeline_write_heartbeat(struct pipeline *p, uint64_t now_ns, struct heartbeat *hb)
{
	uint64_t lost = lost_total(&p->reported);

	hb->written_total = p->lines;
	hb->written = p->lines - p->lines_at_heartbeat;
	hb->lost_total = lost;
	hb->lost = lost - p->lost_at_heartbeat;
	hb->output_stalled_ms = sink_stalled_ns(p->cfg.sink) / 1000000;
	p->lines_at_heartbeat = p->lines;
	p->lost_at_heartbeat = lost;
	json_writer_reset(&p->writer);
	p->encoder->heartbeat(&p->writer, now_ns, hb, p->hostname);
	if (pipeline_write_line(p))
		metrics_heartbeat_written(clock_boot_to_realtime_ns(now_ns) / 1000000000ull);
}
