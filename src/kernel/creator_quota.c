// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The quotas by creator, userspace's half: the kernel charges each tracked cgroup to who made
 * it (bpf/ctrwatch.bpf.c, charge_creator) against the limits written here. Written at every
 * start, also into a pinned set adopted as it runs: the options of the ctrwatch running are the
 * ones in force.
 */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

#include "kernel/creator_quota.h"

struct creator_quota creator_quota_limits(const struct creator_quota_config *cfg)
{
	struct creator_quota limits = {
	    .container_max = cfg->container_max,
	    .user_max = cfg->user_max,
	    .charged_max = cfg->max_cgroups - cfg->max_cgroups / 4,
	};

	if (!limits.charged_max)
		limits.charged_max = 1; /* zero would be no limit at all */
	if (cfg->rate) {
		limits.ns_per_record = 1000000000ull / cfg->rate;
		limits.burst = cfg->rate * CREATOR_BURST_SECONDS;
		if (!limits.ns_per_record)
			limits.ns_per_record = 1;
	}
	return limits;
}

int creator_quota_write_limits(int fd, const struct creator_quota_config *cfg)
{
	struct creator_quota limits = creator_quota_limits(cfg);
	uint32_t key = CREATOR_QUOTA_LIMITS;

	return bpf_map_update_elem(fd, &key, &limits, BPF_ANY) ? -errno : 0;
}

int creator_quota_read_totals(int fd, struct creator_quota *totals)
{
	uint32_t key = CREATOR_QUOTA_TOTALS;

	memset(totals, 0, sizeof(*totals));
	return bpf_map_lookup_elem(fd, &key, totals) ? -errno : 0;
}
