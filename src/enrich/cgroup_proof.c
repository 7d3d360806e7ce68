// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A cgroup's whole path proven by its id (cgroup_proof.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "enrich/cgroup_proof.h"

int cgroup_proof(const char *mount_point, const char *path, uint64_t cgroup_id)
{
	struct {
		struct file_handle fh;
		unsigned char id[8]; /* kernfs: the node's 64-bit id, the cgroup id */
	} h = {.fh.handle_bytes = sizeof(h.id)};
	char full[PATH_MAX];
	uint64_t id;
	int mount_id, n;

	if (!mount_point || !path || path[0] != '/')
		return -EINVAL;
	n = snprintf(full, sizeof(full), "%s%s", mount_point, path);
	if (n < 0 || (size_t)n >= sizeof(full))
		return -ENAMETOOLONG;
	/* AT_HANDLE_FID would do on 6.5+; a cgroup directory is encodable on every kernel */
	if (name_to_handle_at(AT_FDCWD, full, &h.fh, &mount_id, 0))
		return -errno;
	if (h.fh.handle_bytes != sizeof(id))
		return -EPROTO; /* not a kernfs node's handle */
	memcpy(&id, h.id, sizeof(id));
	return id == cgroup_id ? 0 : -ESRCH;
}
