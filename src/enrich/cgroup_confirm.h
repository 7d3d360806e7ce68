/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CGROUP_CONFIRM_H
#define CTRWATCH_CGROUP_CONFIRM_H

#include <sys/types.h>

#include "enrich/source.h"

/*
 * Whether the engine's cgroupsPath for the container names the cgroup asked about: 1, or 0
 * when it names another. A cgroup whose path no record could hold (the kernel kept its end) is
 * named only when the engine's path ends the same and the cgroup at that whole path has this
 * cgroup's id (cgroup_proof.h): a matching end alone is what anyone can forge. A relative
 * cgroupsPath is under the runtime's own cgroup (runtime_pid's). -errno, with *why, when that
 * could not be told: the cgroup was gone before it was asked, or the runtime's was not seen.
 */
int cgroup_names_this(const struct enrich_request *req, const char *cgroups_path, pid_t runtime_pid,
		      const char **why);

/*
 * What an engine's answer for the container (res->meta) makes of the cgroup asked about:
 * LOOKUP_FOUND when its cgroupsPath names this cgroup; LOOKUP_MISMATCH when it names another
 * (said in res->error and res->claim, the meta dropped); LOOKUP_FAILED, without the engine's
 * words, when it could not be told. ns: containerd's namespace, or NULL.
 */
enum lookup_status cgroup_confirm(const struct enrich_request *req, struct lookup_result *res,
				  const char *engine, const char *ns, pid_t runtime_pid);

#endif
