// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What main.c checks and settles before it opens anything: the kernel's BTF, the privileges,
 * the kernel's features, the two settings "privileged" is judged by (posture.h), the cgroup
 * hierarchy to watch, and ring buffer sizes that fit this kernel's page.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "kernel/kernel_features.h"
#include "kernel/privileges.h"
#include "lifecycle/posture.h"
#include "startup_checks.h"

int startup_check_environment(const struct options *opts, struct cgroup_hierarchy *h)
{
	char missing[128];
	const char *btf;
	int err;

	if (privileges_check_btf(&btf)) {
		log_error("kernel BTF not found at %s: needs Linux >= " KERNEL_FEATURES_OLDEST
			  " built with CONFIG_DEBUG_INFO_BTF=y",
			  btf);
		return -ENOENT;
	}
	err = privileges_check(missing, sizeof(missing));
	if (err) {
		log_error("not privileged enough: missing %s (or run as root)", missing);
		return err;
	}
	err = kernel_features_check(missing, sizeof(missing));
	if (err) {
		log_error("this kernel lacks %s: ctrwatch needs Linux >= " KERNEL_FEATURES_OLDEST,
			  missing);
		return err;
	}
	/* where no host PID 1 is found, "privileged" is holding all the running kernel knows */
	err = posture_read_cap_last("/proc/sys/kernel/cap_last_cap");
	if (err)
		log_warn("cannot read /proc/sys/kernel/cap_last_cap (%s): without the host's "
			 "PID 1, \"privileged\" means holding capabilities 0 to %u",
			 strerror(-err), posture_cap_last());
	/* an engine's declaration is privileged when it grants all the host may (declared.h) */
	err = posture_read_grantable("/proc/1/status");
	if (err)
		log_warn("cannot read the host's PID 1's bounding set from /proc/1/status (%s): a "
			 "declaration is privileged when it grants capabilities 0 to %u",
			 strerror(-err), posture_cap_last());
	err = cgroup_hierarchy_find(opts->hierarchy, h);
	if (err)
		log_error("no %s hierarchy is mounted", opts->hierarchy == CGROUP_HIERARCHY_CGROUP2
							    ? "cgroup2"
							: opts->hierarchy == CGROUP_HIERARCHY_CPUSET
							    ? "cgroup v1 cpuset"
							    : "cgroup2 or cgroup v1 cpuset");
	return err;
}

void startup_fit_rings_to_page(struct options *opts)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t *sizes[] = {&opts->lifecycle_ringbuf_size, &opts->exec_ringbuf_size};
	const char *names[] = {"--lifecycle-ringbuf-size", "--ringbuf-size"};

	for (size_t i = 0; i < 2; i++) {
		uint64_t fit = cli_ring_size_for_page(*sizes[i], page);

		if (*sizes[i] && fit != *sizes[i]) {
			log_info("%s %llu is less than this kernel's page (%llu bytes): using %llu",
				 names[i], (unsigned long long)*sizes[i], (unsigned long long)page,
				 (unsigned long long)fit);
			*sizes[i] = fit;
		}
	}
}
