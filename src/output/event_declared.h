/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_EVENT_DECLARED_H
#define CTRWATCH_EVENT_DECLARED_H

#include "enrich/declared.h"
#include "ctrwatch_records.h"
#include "output/json_writer.h"

/*
 * What the engine declared a container may do, and what a process held beyond it, the same in
 * every format (docs/events.md): the formats differ only in where they put them.
 */

/*
 * key: {privileged, capabilities_added, host_namespaces, mounts [{source, destination,
 * read_only, sensitive}], mounts_truncated, seccomp, apparmor, read_only_rootfs, user,
 * user_namespace}, each only when the engine said it. Nothing when no declaration was read.
 */
void event_json_declared(struct json_writer *w, const char *key,
			 const struct container_declared *d);
/*
 * key: {capabilities, host_namespaces}: what the process held that d does not declare
 * (posture_undeclared). Nothing when it held nothing more, or without a posture or declaration.
 */
void event_json_undeclared(struct json_writer *w, const char *key, const struct record_process *p,
			   const struct container_declared *d);

#endif
