/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_EVENT_FIELDS_H
#define CTRWATCH_EVENT_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "common/loss.h"
#include "enrich/enrichment.h"
#include "lifecycle/event.h"
#include "lifecycle/posture.h"
#include "output/event_format.h"
#include "output/json_writer.h"

/*
 * The facts every output format prints, each worked out once: the formats (event_json.c,
 * event_ecs.c, event_ocsf.c) differ in names and nesting, not in what a field says.
 */

/* Exit code as a shell and containerd report it: 128 + signal for a killed process. */
uint32_t event_exit_code(uint32_t wait_status);
uint32_t event_exit_signal(uint32_t wait_status);
/* The runtime; a container whose path named none but that containerd knows is containerd's. */
const char *event_runtime_name(const struct container *c, const struct container_meta *m);
/*
 * The pod uid from containerd's labels, else the one the cgroup path names (not for a cgroup the
 * engine placed elsewhere: that uid is the real container's); NULL: none.
 */
const char *event_pod_uid(const struct container *c, const struct enrichment *e);
const char *event_enrichment_name(const struct enrichment *e);
/* Why enrichment is partial, or where the engine's container is for a mismatch; NULL: none. */
const char *event_enrichment_error(const struct enrichment *e);
/* The metadata containerd gave, or NULL. */
const struct container_meta *event_meta(const struct event *ev);
/* What the engine declared the container may do (NULL: no metadata; see its known). */
const struct container_declared *event_declared(const struct event *ev);

/* A process record's strings, bounded by their fields whatever the kernel wrote. */
size_t event_comm_len(const struct record_process *p);
size_t event_parent_comm_len(const struct record_process *p);
size_t event_exe_len(const struct record_process *p);
/* The base name of the executable: what follows its last '/'. */
const char *event_exe_base(const struct record_process *p, size_t *len);
/* argv as a JSON array (NUL-separated in the record; a cut last argument kept as it goes). */
void event_json_args(struct json_writer *w, const struct record_process *p);
unsigned int event_args_count(const struct record_process *p);
/* The launcher as ECS's process.parent and OCSF's process.parent_process: {"pid", "name"}. */
void event_json_parent(struct json_writer *w, const char *key, const struct record_process *p);
/* The containerd labels as a JSON object of strings. */
void event_json_labels(struct json_writer *w, const struct container_meta *m);

/* A ctrwatch_lost line's counters: name and count, in a fixed order; returns how many. */
#define EVENT_LOST_COUNTERS (RECORD_TYPE_MAX + 4)
struct event_counter {
	const char *name;
	uint64_t n;
};
size_t event_lost_counters(const struct loss_counts *lost, struct event_counter *out,
			   uint64_t *total);
size_t event_pressure_counters(const struct pressure_counts *p, struct event_counter *out);
/* "key": {each counter, then "total" when total is not NULL} */
void event_json_counters(struct json_writer *w, const char *key, const struct event_counter *c,
			 size_t n, const uint64_t *total);

/* key: the heartbeat's facts as an object, the same in every format (docs/events.md). */
void event_json_heartbeat(struct json_writer *w, const char *key, const struct heartbeat *hb);
/* An exit's flags as members, the same names in every format: core_dumped, oom_killed,
 * entrypoint_ran (RECORD_F_CORE_DUMPED, _OOM_KILLED, not _NEVER_STARTED). */
void event_json_exit_flags(struct json_writer *w, uint32_t flags);
/* key: a container's addresses (enrich/addresses.h), canonical, in the engine's order; nothing
 * when it gave none. */
void event_json_addresses(struct json_writer *w, const char *key,
			  const struct container_addresses *a);
/* A capability set as an array of names, CAP_CHOWN first (lifecycle/posture.h). */
void event_json_capabilities(struct json_writer *w, const char *key, uint64_t caps);
/*
 * key: what the process could do as its program started, the same in every format
 * (docs/events.md): euid, egid, capabilities {effective, permitted, bounding}, privileged,
 * host_namespaces (when the host's PID 1 was found), seccomp, no_new_privs, and undeclared: what
 * it held beyond declared (event_declared.h; NULL: compare with nothing). Nothing for a record
 * without a posture.
 */
void event_json_posture(struct json_writer *w, const char *key, const struct record_process *p,
			const struct container_declared *declared);
/* The names a cgroup's members take: flat among others (cgroup_id, ...), or in an object of their
 * own (id, ...: an impostor's "cgroup"). */
struct cgroup_keys {
	const char *id, *path, *path_truncated, *owner_uid;
};
extern const struct cgroup_keys cgroup_keys_flat, cgroup_keys_nested;

/* A container's cgroup as members: its id, path, path_truncated when it was cut, and owner_uid
 * in a user's delegated subtree. */
void event_json_cgroup_members(struct json_writer *w, const struct container *c,
			       const struct cgroup_keys *keys);
/*
 * A cgroup_impostor's own cgroup and its claim, as flat members of the object being written
 * (ECS's ctrwatch.*, OCSF's unmapped.ctrwatch): claimed_container_id, cgroup_id, cgroup_path,
 * cgroup_path_truncated, cgroup_owner_uid, claimed_by_engine, claimed_by_namespace,
 * claimed_cgroups_path, and with its program, args_truncated.
 */
void event_json_impostor_members(struct json_writer *w, const struct event *ev);

#endif
