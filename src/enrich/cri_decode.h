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
/* What of a PodSandboxStatus reply goes into m. */
enum cri_sandbox_part {
	/* m becomes the sandbox's own: the pod's fields, its labels, its cgroupsPath, sandbox set
	 */
	CRI_SANDBOX_ITSELF,
	/* m is one of the pod's containers, decoded already: the pod's name, namespace, uid and
	   runtime handler, and its network (below) */
	CRI_SANDBOX_POD,
	/* m is one of the pod's containers, named by another API (containerd's): only its network
	 */
	CRI_SANDBOX_NETWORK,
};
/*
 * PodSandboxStatus (verbose for CRI_SANDBOX_ITSELF). The pod's network, in each part: its
 * addresses (network.ip, additional_ips) and, for the kinds of namespace the container's own
 * declaration did not say (a pod's containers join its sandbox's by path), whether the pod's
 * network, pid and ipc namespaces are the node's (linux.namespaces.options, NODE).
 */
int cri_decode_sandbox_status(const uint8_t *data, size_t len, struct container_meta *m,
			      enum cri_sandbox_part part, char *err);

#endif
