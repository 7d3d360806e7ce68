/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_ENGINE_DECODE_H
#define CTRWATCH_ENGINE_DECODE_H

#include <stdbool.h>
#include <stddef.h>

#include "enrich/container_meta.h"

#define ENGINE_ERROR_MAX 200

/*
 * The Docker Engine API's replies (Podman serves the same ones), as they came off the socket:
 * JSON whose names, labels and image references are the user's. Apart from the HTTP client so
 * that they are fuzzed on their own.
 */

/*
 * Container id into m, from a list reply (GET /containers/json?all=1&filters={"id":[id]}: an
 * array, Docker answers it from a snapshot without taking the container's lock, which an
 * inspect waits on while the container starts) or an inspect reply (GET /containers/{id}/json:
 * one object, with the runtime handler and Created to the nanosecond). The name (without
 * Docker's leading '/'), the image reference, labels, Created, namespace as given (NULL: none).
 * *image_id is the image's ID ("sha256:…"), malloc'ed, or NULL. Returns 0; -ENOENT when a list
 * has no such container; -EPROTO (not such a reply, or one about another id) / -ENOMEM with err
 * (ENGINE_ERROR_MAX bytes) filled; m is empty unless 0.
 */
int engine_decode_container(const char *json, size_t len, const char *id, const char *namespace,
			    struct container_meta *m, char **image_id, char *err);

/*
 * GET /images/{id}/json: the digest of image (the reference the container was created with) in
 * RepoDigests ("repo@sha256:…"), the entry of image's repository first, else the first one.
 * *digest is malloc'ed, or NULL when the image has none (built or loaded here, never pulled).
 * Returns 0, or -EPROTO / -ENOMEM with err filled.
 */
int engine_decode_image_digest(const char *json, size_t len, const char *image, char **digest,
			       char *err);

/*
 * GET /info: whether the engine's cgroup driver is systemd's ("CgroupDriver": "systemd") or not
 * (cgroupfs). Returns 0, or -EPROTO for a reply without one.
 */
int engine_decode_cgroup_driver(const char *json, size_t len, bool *systemd);
/*
 * An inspect reply of container id (GET /containers/{id}/json): its HostConfig.CgroupParent,
 * malloc'ed, or NULL when it has none (the engine's default); what the engine declared the
 * container may do, into m->declared (declared_decode.h; engine says whose default
 * capabilities); its addresses on its networks, into m->addresses (NetworkSettings). Returns 0,
 * -EPROTO (not such a reply, or one about another id) or -ENOMEM; nothing kept on error.
 */
int engine_decode_inspect(const char *json, size_t len, const char *id, enum declared_engine engine,
			  char **parent, struct container_meta *m);

#endif
