/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_DECLARED_DECODE_H
#define CTRWATCH_DECLARED_DECODE_H

#include <stddef.h>

#include "enrich/declared.h"

struct json_t; /* jansson's json_t: its header is not ours to spread (json_writer.h's names) */

/*
 * An engine's declaration (declared.h) read from what it answered: untrusted JSON, every field
 * optional. Each returns 0 (d->known when anything was read) or -ENOMEM; d is freed on error.
 */

/*
 * An OCI runtime spec (containerd's Containers/Get, a CRI runtime's verbose runtimeSpec):
 * process.capabilities (all five sets), linux.namespaces (a kind absent is the host's; one
 * joined by the path /proc/1/ns/<kind> is too; one joined by another path is not said), mounts
 * of type or option bind, linux.seccomp, process.apparmorProfile, root.readonly, process.user,
 * linux.uidMappings. Privileged when it
 * grants every capability the host may (posture_grantable: an OCI spec has no such word, and
 * runtimes give a privileged container all they hold themselves).
 */
int declared_from_oci_spec(const struct json_t *spec, struct container_declared *d);
/*
 * Docker's or Podman's inspect: HostConfig's Privileged, CapAdd, CapDrop, the modes of pid,
 * network, ipc, uts, cgroup and user namespaces, ReadonlyRootfs and SecurityOpt; Mounts of
 * type bind; AppArmorProfile; Config.User.
 */
int declared_from_inspect(const struct json_t *inspect, enum declared_engine engine,
			  struct container_declared *d);
/* The same from JSON text (len bytes); text that is no JSON declares nothing. */
int declared_from_oci_spec_text(const char *text, size_t len, struct container_declared *d);
int declared_from_inspect_text(const char *text, size_t len, enum declared_engine engine,
			       struct container_declared *d);

#endif
