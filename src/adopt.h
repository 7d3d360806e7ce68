/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_ADOPT_H
#define CTRWATCH_ADOPT_H

#include "kernel/cgroup_scan.h"
#include "kernel/ringbuf_reader.h"
#include "kernel/tracked_map.h"
#include "lifecycle/lifecycle.h"

struct adopt_config {
	struct ringbuf_reader *reader; /* on the pinned ring buffer, nothing drained yet */
	/* on the ring buffer of older programs this ctrwatch took over from (read first), or NULL
	 */
	struct ringbuf_reader *draining;
	const char *mount_point; /* the watched hierarchy */
	struct lifecycle *lifecycle;
	struct tracked_map map;	    /* read only: what the kernel tracks */
	cgroup_scan_fn on_existing; /* a container the kernel does not track: as at any start */
	void *ctx;
};

/*
 * Instead of the startup scan, when the programs were found pinned: rebuilds what the previous
 * ctrwatch knew (src/adopt.c says how), so that the drain that follows prints every unread
 * record's event. *adopted: containers taken back silently. Returns 0 or -errno.
 */
int adopt_previous(const struct adopt_config *cfg, unsigned int *adopted);

#endif
