/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_EVENT_H
#define CTRWATCH_EVENT_H

#include <stdint.h>

#include "ctrwatch_records.h"

struct container;

enum event_kind {
	EVENT_CONTAINER_EXISTING,
	EVENT_CONTAINER_CREATE,
	EVENT_CONTAINER_START,
	EVENT_PROCESS_EXEC,
	EVENT_CONTAINER_EXIT,
	EVENT_CONTAINER_REMOVE,
};

/*
 * One lifecycle event on its way to output: classification made it, enrichment and filters may
 * add to it or drop it, an encoder writes it. Borrowed pointers: valid for the call only.
 */
struct event {
	enum event_kind kind;
	uint64_t boot_ns; /* CLOCK_BOOTTIME of the kernel event */
	struct container *container;
	const struct record_process *process; /* start and exec */
	uint32_t exit_status;		      /* exit: wait(2) status */
	uint32_t exit_flags;		      /* exit: RECORD_F_CORE_DUMPED, RECORD_F_OOM_KILLED */
};

const char *event_kind_name(enum event_kind kind);

#endif
