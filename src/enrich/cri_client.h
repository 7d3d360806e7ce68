/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CRI_CLIENT_H
#define CTRWATCH_CRI_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

#include "enrich/container_meta.h"
#include "enrich/cri_decode.h"

#define CRIO_SOCKET_DEFAULT "/var/run/crio/crio.sock"

/*
 * The Kubernetes CRI's RuntimeService over gRPC (runtime.v1): CRI-O's API, and any runtime's CRI
 * endpoint. The calls ctrwatch needs, each with a deadline.
 */
struct cri_client;

struct cri_client *cri_client_open(const char *socket_path, int timeout_ms);
void cri_client_close(struct cri_client *c);

/* The CRI runtime's pid, as its socket's last connection said it; 0 when not known. */
pid_t cri_peer_pid(const struct cri_client *c);
const char *cri_client_socket(const struct cri_client *c);

/*
 * Each returns 0 or -errno (-ENOENT: the runtime does not know it; -ECONNREFUSED: not answering;
 * -ETIMEDOUT) with err (CRI_ERROR_MAX bytes) saying which call failed and why.
 */
/* "<runtime name> <version>" (Version). */
int cri_version(struct cri_client *c, char *version, size_t size, char *err);
/*
 * A container (ContainerStatus, verbose) and its pod (PodSandboxStatus of its sandbox) into m.
 * The pod's call failing leaves the container's answer, with err said (the caller's partial).
 */
int cri_get_container(struct cri_client *c, const char *id, struct container_meta *m, char *err);
/* A pod sandbox's own cgroup (PodSandboxStatus, verbose) into m, m->sandbox set. */
int cri_get_sandbox(struct cri_client *c, const char *id, struct container_meta *m, char *err);
/*
 * A pod's network (PodSandboxStatus: its addresses, its namespaces' modes) into m, one of its
 * containers that another API named (containerd's, for its CRI plugin's containers).
 */
int cri_get_pod_network(struct cri_client *c, const char *sandbox_id, struct container_meta *m,
			char *err);

#endif
