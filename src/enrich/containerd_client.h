/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CONTAINERD_CLIENT_H
#define CTRWATCH_CONTAINERD_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

#include "enrich/container_meta.h"
#include "enrich/containerd_decode.h"

#define CONTAINERD_SOCKET_DEFAULT "/run/containerd/containerd.sock"
#define CONTAINERD_ERROR_MAX	  200

/* containerd's API over gRPC: the calls ctrwatch needs, each with a deadline. */
struct containerd_client;

struct containerd_client *containerd_client_open(const char *socket_path, int timeout_ms);
void containerd_client_close(struct containerd_client *c);

/* containerd's pid, as its socket's last connection said it; 0 when not known (runtime_cgroup.h).
 */
pid_t containerd_peer_pid(const struct containerd_client *c);

/*
 * Each call returns 0 or -errno (-ENOENT: containerd does not know it; -ECONNREFUSED: containerd
 * is not answering; -ETIMEDOUT) with err saying which call failed and why.
 */
int containerd_version(struct containerd_client *c, char *version, size_t size, char *err);
/* *names is a malloc'ed array of malloc'ed strings. */
int containerd_list_namespaces(struct containerd_client *c, char ***names, size_t *n, char *err);
/* Fills m from Containers/Get in namespace ns (all but the image digest). */
int containerd_get_container(struct containerd_client *c, const char *ns, const char *id,
			     struct container_meta *m, char *err);
/*
 * The first container of namespace ns (Containers/List) whose cgroupsPath pick takes, into *m and
 * id: for a cgroup whose name says no id. -ENOENT when none.
 */
int containerd_find_container(struct containerd_client *c, const char *ns,
			      containerd_cgroup_pick pick, void *ctx, struct container_meta *m,
			      char *id, size_t id_size, char *err);
int containerd_get_image_digest(struct containerd_client *c, const char *ns, const char *image,
				char **digest, char *err);
/* The pid of a container's init task and its status (Tasks/Get). */
int containerd_get_task(struct containerd_client *c, const char *ns, const char *id,
			unsigned int *pid, unsigned int *status, char *err);

/*
 * The exec id of the process pid (a host pid) in container id (Tasks/ListPids and the runc
 * shim's ProcessDetails): "" when the shim names none for it (the container's own process, or
 * an exec whose pid the shim has not recorded yet); -ESRCH when the pid is not the container's
 * (any more: a session that already ended).
 */
int containerd_get_exec_id(struct containerd_client *c, const char *ns, const char *id,
			   unsigned int pid, char *exec_id, size_t size, char *err);

void containerd_free_strings(char **s, size_t n);

#endif
