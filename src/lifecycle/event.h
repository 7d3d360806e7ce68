/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_EVENT_H
#define CTRWATCH_EVENT_H

#include <stdint.h>

#include "ctrwatch_records.h"
#include "lifecycle/container.h"

struct enrichment;

enum event_kind {
	EVENT_CONTAINER_EXISTING,
	EVENT_CONTAINER_CREATE,
	EVENT_CONTAINER_START,
	EVENT_PROCESS_EXEC,
	EVENT_CONTAINER_EXIT,
	EVENT_CONTAINER_REMOVE,
	EVENT_CONTAINER_EXEC_SESSION, /* a process entered the running container from outside */
	EVENT_CONTAINER_PAUSED,	      /* its cgroup frozen */
	EVENT_CONTAINER_RESUMED,      /* its cgroup thawed */
	/*
	 * A cgroup named like a container its engine has elsewhere (enrichment "mismatch"): not
	 * a lifecycle, one alert in place of its start (or of its remove, if it never started).
	 */
	EVENT_CGROUP_IMPOSTOR,
};

#define EVENT_KINDS (EVENT_CGROUP_IMPOSTOR + 1)

/* The ring buffers a record comes from (kernel/record_rings.h). */
enum event_ring {
	EVENT_RING_LIFECYCLE, /* creates, starts, exits, removes, pauses, exec sessions */
	EVENT_RING_EXEC,      /* --exec's exec records */
	EVENT_RING_DRAINING,  /* the older programs' one, taken over: merged by seq too */
	EVENT_RINGS,
};

/*
 * One lifecycle event on its way to output: the lifecycle makes it, the pipeline holds it until
 * its container is enriched and judged, an encoder writes it.
 */
struct event {
	enum event_kind kind;
	uint64_t boot_ns;	     /* CLOCK_BOOTTIME of the kernel event */
	struct container *container; /* a reference the event owns: event_release() drops it */
	/* What containerd said of the container, set by the pipeline as it writes; NULL: nothing */
	const struct enrichment *enrichment;
	const struct record_process *process; /* start and exec; borrowed from the ring buffer */
	const char *exec_id;  /* a session's, when containerd named it; set by the pipeline */
	uint32_t exit_status; /* exit: wait(2) status */
	uint32_t exit_flags;  /* exit: RECORD_F_CORE_DUMPED, _OOM_KILLED, _NEVER_STARTED */
	uint64_t seq;	      /* the record's seq (the kernel's per-host counter) */
	/* Where its record sits, kept there until the line is out: which ring buffer, and where */
	enum event_ring ring;
	uint64_t ring_pos; /* EVENT_NO_RING_POS: made by the startup scan, from no record */
};

#define EVENT_NO_RING_POS UINT64_MAX

const char *event_kind_name(enum event_kind kind);

static inline void event_release(struct event *ev)
{
	container_put(ev->container);
	ev->container = NULL;
}

#endif
