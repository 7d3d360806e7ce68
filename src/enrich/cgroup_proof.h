/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CGROUP_PROOF_H
#define CTRWATCH_CGROUP_PROOF_H

#include <stdint.h>

/*
 * Whether the cgroup at path (from the watched hierarchy's root, mounted at mount_point) is the
 * cgroup whose id the kernel gave (cgroup_proof.c): the proof that an engine's path names a
 * cgroup whose whole path no record could hold. name_to_handle_at() gives the cgroup's kernfs
 * id, unique for the boot, with no capability. 0 when it is; -ESRCH when another cgroup is
 * there; -errno when there is none (the cgroup is gone, or the path is no directory).
 */
int cgroup_proof(const char *mount_point, const char *path, uint64_t cgroup_id);

#endif
