/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_TRACER_H
#define CTRWATCH_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctrwatch_records.h"

struct tracer;

/* Called for each record read from the ring buffer; returning non-zero stops the poll. */
typedef int (*tracer_record_fn)(void *ctx, const void *record, size_t size);

struct tracer_config {
	uint32_t hierarchy_id;
	bool cgroup_v1;
	bool trace_exec;
	uint64_t ringbuf_size;
	tracer_record_fn on_record;
	void *ctx;
};

/* Opens, configures, loads and attaches the programs. Returns 0 or -errno. */
int tracer_open(struct tracer **tracer, const struct tracer_config *cfg);
/* Readable when the kernel woke the reader. */
int tracer_epoll_fd(const struct tracer *tracer);
/* Reads every queued record without waiting. */
int tracer_drain(struct tracer *tracer);
/* Seeds the kernel's tracking map, unless the kernel already tracks the cgroup (-EEXIST). */
int tracer_track(struct tracer *tracer, uint64_t cgroup_id, const struct tracked_cgroup *value);
/* Marks a tracked, still pending cgroup as started with this init. -EEXIST if the kernel saw a
 * start meanwhile (its own init wins), -ENOENT if untracked. */
int tracer_set_init(struct tracer *tracer, uint64_t cgroup_id, uint32_t pid);
/* Stops tracking a cgroup in the kernel; absent is not an error. */
int tracer_untrack(struct tracer *tracer, uint64_t cgroup_id);
/* Failed reservations since load, summed over CPUs, indexed by enum record_type. */
int tracer_read_lost(struct tracer *tracer, uint64_t lost[RECORD_TYPE_MAX]);
void tracer_close(struct tracer *tracer);

#endif
