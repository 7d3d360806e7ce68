/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CGROUP_SCAN_H
#define CTRWATCH_CGROUP_SCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lifecycle/cgroup_path.h"

/* Sub-cgroups of one container the scan reports; runtimes make one (crun's "container"). */
#define EXISTING_SUB_CGROUPS_MAX 16

struct existing_container {
	const char *cgroup_path; /* relative to the hierarchy root, starting with '/' */
	uint64_t cgroup_id;
	uint32_t init_pid; /* 0 when neither the cgroup nor its sub-cgroups hold a process yet */
	bool confirmed;	   /* false: a /<ns>/<id> lookalike that containerd must confirm */
	struct container_ident ident;
	/* The container's own sub-cgroups (cgroup ids), where its init or children may run. */
	uint64_t sub_cgroup_ids[EXISTING_SUB_CGROUPS_MAX];
	unsigned int sub_cgroups;
};

typedef void (*cgroup_scan_fn)(const struct existing_container *c, void *ctx);

/*
 * Walks the hierarchy mounted at mount_point and calls fn for each container cgroup found.
 * Returns 0 or -errno.
 */
int cgroup_scan(const char *mount_point, cgroup_scan_fn fn, void *ctx);

/* The cgroup id of the cgroup directory at path (its kernfs node id). Returns 0 or -errno. */
int cgroup_id_of(const char *path, uint64_t *id);

/*
 * The container's init among the processes of a cgroup: the one that is pid 1 in its own pid
 * namespace, else the one whose parent is outside the cgroup. Returns 0 if there is none.
 */
pid_t cgroup_find_init(const char *cgroup_dir);

#endif
