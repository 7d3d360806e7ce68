/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_LOSS_H
#define CTRWATCH_LOSS_H

#include <stdint.h>

#include "ctrwatch_records.h"

/*
 * Everything ctrwatch could not turn into a line, counted since it started. Each stage counts its
 * own; the pipeline reports what grew as a ctrwatch_lost line (docs/events.md).
 */
struct loss_counts {
	uint64_t
	    ringbuf_full[RECORD_TYPE_MAX]; /* kernel: records the ring buffer had no room for */
	uint64_t untracked; /* kernel: new cgroups the tracking map had no room for */
	uint64_t malformed; /* lifecycle: records too short or of unknown type */
	uint64_t no_memory; /* pipeline: events it could not hold or encode */
	uint64_t unwritten; /* sink: lines the full disk and the full backlog could not take */
};

/*
 * Work ctrwatch shed or redid to stay ahead of a flood of cgroups, counted since it started: no
 * event was lost for it, but an operator wants to see it (docs/events.md, ctrwatch_pressure).
 */
struct pressure_counts {
	uint64_t lookalikes_forgotten; /* /<ns>/<id> cgroups containerd did not know, let go */
	uint64_t lookups_shed;	       /* lookalikes let go unasked: the lookup queue was full */
	uint64_t readmitted;	       /* containers the kernel tracked again at their start */
	uint64_t aliases_refused;      /* sub-cgroups of a container past its share, not followed */
	uint64_t readmissions; /* kernel: cgroups sent again at a start, containers or not */
	uint64_t readmissions_refused;	/* kernel: starts not sent (a cgroup sent lately, the rate,
					   the ring buffer's room) */
	uint64_t creator_quota_refused; /* kernel: new cgroups past their maker's quota (or all
					   makers' share of the map), not tracked */
	uint64_t creator_rate_refused;	/* kernel: new cgroups past their maker's rate */
};

#endif
