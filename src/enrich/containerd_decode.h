/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CONTAINERD_DECODE_H
#define CTRWATCH_CONTAINERD_DECODE_H

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

#endif
