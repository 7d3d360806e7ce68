/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CRI_DECODE_H
#define CTRWATCH_CRI_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "enrich/container_meta.h"

#define CRI_ERROR_MAX 200

/*
 * A CRI runtime's replies (CRI-O's, or any runtime's CRI endpoint), as they came off the wire:
 * protobuf, with the runtime's verbose JSON (its OCI spec, its sandbox's id) in info["info"].
 * Apart from gRPC so that they are fuzzed on their own. Each returns 0, or -EPROTO
 * (undecodable, or no status) / -ENOMEM with err (CRI_ERROR_MAX bytes) filled and m empty.
 */

/*
 * ContainerStatus(verbose) into m: name, image, image digest (of image_ref), labels, creation,
 * the spec's linux.cgroupsPath; *sandbox_id (malloc'ed, or NULL) is its pod's sandbox.
 */
int cri_decode_container_status(const uint8_t *data, size_t len, struct container_meta *m,
				char **sandbox_id, char *err);
/*
 * PodSandboxStatus(verbose). With pod_only, the pod's name, namespace and uid and the runtime
 * handler go into m (a container's, decoded already); without, m becomes the sandbox's own: the
 * pod's fields, its labels, its cgroupsPath, and sandbox set.
 */
int cri_decode_sandbox_status(const uint8_t *data, size_t len, struct container_meta *m,
			      bool pod_only, char *err);

#endif
