/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_ENGINE_CLIENT_H
#define CTRWATCH_ENGINE_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "enrich/container_meta.h"
#include "enrich/engine_decode.h"

#define DOCKER_SOCKET_DEFAULT "/var/run/docker.sock"
#define PODMAN_SOCKET_DEFAULT "/run/podman/podman.sock"

/*
 * A container engine's HTTP API on its unix socket: Docker's Engine API, or Podman's copy of it
 * (its "compat" endpoints). Docker runs its containers on containerd, but the name, image and
 * labels users know are Docker's own; Podman has no containerd at all.
 */
struct engine_client;

/*
 * engine names the engine in errors ("docker", "podman"); namespace is what the containers'
 * meta says ("moby": where Docker puts them in containerd; NULL for Podman). NULL with errno
 * set when out of memory; the socket is not touched until a call.
 */
struct engine_client *engine_client_open(const char *engine, const char *socket_path,
					 const char *namespace, int timeout_ms);
/*
 * A rootless Podman's API, on a socket its user (uid) controls: every call is refused (-EPERM)
 * unless the socket is served by uid, and the cgroups it names are under that user's systemd
 * manager (/user.slice/user-UID.slice/user@UID.service).
 */
struct engine_client *engine_client_open_user(const char *socket_path, uid_t uid, int timeout_ms);
/* Calls made after deadline_ms (CLOCK_MONOTONIC, clock.h) fail at once, and none outlasts it;
 * 0: each call has its own timeout only. */
void engine_client_set_deadline(struct engine_client *c, int64_t deadline_ms);
void engine_client_close(struct engine_client *c);
const char *engine_client_socket(const struct engine_client *c);

/* GET /version: the engine's version. 0 or -errno as below. */
int engine_version(struct engine_client *c, char *version, size_t size, char *err);

/*
 * The container id (GET /containers/json filtered by id, then /images/{id}/json for the digest)
 * into m, with m->cgroups_path where the engine put its cgroup (GET /info's driver; the
 * container's inspect too when that default is not cgroup_path): the caller compares.
 * Returns 0 with m filled (err non-empty if the image digest could not be had), -ENOENT (the
 * engine does not know it), -ECONNREFUSED (nothing answers on the socket), -ETIMEDOUT, or
 * -EIO / -EPROTO; err (ENGINE_ERROR_MAX bytes) says which request failed and why.
 */
int engine_get_container(struct engine_client *c, const char *id, const char *cgroup_path,
			 struct container_meta *m, char *err);

#endif
