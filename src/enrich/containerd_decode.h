/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CONTAINERD_DECODE_H
#define CTRWATCH_CONTAINERD_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enrich/container_meta.h"

/*
 * containerd's Containers/Get reply, as it came off the wire (protobuf, with the OCI spec as JSON
 * inside): into m, for namespace ns. Apart from gRPC so that it is fuzzed on its own. Returns 0,
 * or -EPROTO (undecodable, or no container) / -ENOMEM with err (CONTAINERD_ERROR_MAX bytes)
 * filled and m empty.
 */
int containerd_decode_container(const uint8_t *data, size_t len, const char *ns,
				struct container_meta *m, char *err);

/* Whether a container whose spec's cgroupsPath is cgroups_path (or NULL) is the one sought. */
typedef bool (*containerd_cgroup_pick)(const char *cgroups_path, void *ctx);

/*
 * A ListContainersResponse of namespace ns: the first container pick takes, into *m (to be
 * freed with container_meta_free) and id. -ENOENT when none; -errno with err when the reply
 * is no such message.
 */
int containerd_decode_container_list(const uint8_t *data, size_t len, const char *ns,
				     containerd_cgroup_pick pick, void *ctx,
				     struct container_meta *m, char *id, size_t id_size, char *err);

#endif
