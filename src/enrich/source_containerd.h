/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_SOURCE_CONTAINERD_H
#define CTRWATCH_SOURCE_CONTAINERD_H

#include "enrich/containerd_client.h"
#include "enrich/source.h"

/*
 * containerd's answer for req on c: the container (in the namespace its path names, then, for
 * a known container, in every one; or, for a cgroup whose name says no id, the one whose
 * cgroupsPath names it), its image digest and, if asked for, its init. Also Docker's fallback,
 * on its own connection (namespace "moby").
 */
void containerd_find(struct containerd_client *c, const struct enrich_request *req,
		     struct lookup_result *res);

/*
 * A running container's init, as containerd's task knows it (a host pid): for containers found
 * at startup whose init /proc could not show, e.g. without the host's pid namespace.
 */
void containerd_find_init_pid(struct containerd_client *c, struct lookup_result *res,
			      const char *id);

#endif
