/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CREATOR_QUOTA_H
#define CTRWATCH_CREATOR_QUOTA_H

#include <stdint.h>

#include "ctrwatch_records.h"

/*
 * Userspace's side of the quotas by creator (struct creator_quota, the creator_quota map): the
 * limits it writes at every start, from the options, and the kernel's totals it reads for
 * /metrics and ctrwatch_pressure. The owner of the map's CREATOR_QUOTA_LIMITS entry.
 */
struct creator_quota_config {
	uint32_t max_cgroups;	/* the tracking map's size */
	uint32_t container_max; /* --container-cgroup-quota */
	uint32_t user_max;	/* --user-cgroup-quota */
	uint32_t rate;		/* --creator-cgroup-rate: records a second, per creator */
};

#define CONTAINER_CGROUP_QUOTA_DEFAULT 1024
#define USER_CGROUP_QUOTA_DEFAULT      256
#define CREATOR_CGROUP_RATE_DEFAULT    100
/* A creator may send this many seconds of its rate at once (a kind node's pods at its boot). */
#define CREATOR_BURST_SECONDS 4

/*
 * The limits entry for cfg: pure. All creators but the host may hold three quarters of the map
 * together; the last quarter is the open pool's alone (the runtimes' containers).
 */
struct creator_quota creator_quota_limits(const struct creator_quota_config *cfg);
/* Writes the limits into the map fd. Returns 0 or -errno. */
int creator_quota_write_limits(int fd, const struct creator_quota_config *cfg);
/* Reads the kernel's totals from the map fd. Returns 0 or -errno. */
int creator_quota_read_totals(int fd, struct creator_quota *totals);

#endif
