// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "common/clock.h"
#include "enrich/enrichment.h"
#include "output/event_declared.h"
#include "output/event_fields.h"
#include "output/event_json.h"

const char *event_kind_name(enum event_kind kind)
{
	switch (kind) {
	case EVENT_CONTAINER_EXISTING: return "container_existing";
	case EVENT_CONTAINER_CREATE: return "container_create";
	case EVENT_CONTAINER_START: return "container_start";
	case EVENT_PROCESS_EXEC: return "process_exec";
	case EVENT_CONTAINER_EXIT: return "container_exit";
	case EVENT_CONTAINER_REMOVE: return "container_remove";
	case EVENT_CONTAINER_EXEC_SESSION: return "container_exec_session";
	case EVENT_CONTAINER_PAUSED: return "container_paused";
	case EVENT_CONTAINER_RESUMED: return "container_resumed";
	case EVENT_CGROUP_IMPOSTOR: return "cgroup_impostor";
	}
	return "unknown";
}

/* seq: the record's number, 0 for ctrwatch's own lines (which no record carries). */
static void encode_preamble(struct json_writer *w, uint64_t boot_ns, const char *event,
			    uint64_t seq, const char *hostname)
{
	char time[RFC3339_NANO_LEN];

	clock_format_rfc3339(clock_boot_to_realtime_ns(boot_ns), time);
	json_object_begin(w);
	json_member_string(w, "time", time);
	json_member_string(w, "event", event);
	if (seq)
		json_member_u64(w, "seq", seq);
	json_key(w, "host");
	json_object_begin(w);
	json_member_string(w, "hostname", hostname);
	json_object_end(w);
}

static void encode_container(struct json_writer *w, const struct container *c,
			     const struct container_meta *m)
{
	json_key(w, "container");
	json_object_begin(w);
	json_member_string(w, "id", c->ident.id);
	if (m) {
		json_member_string(w, "name", m->name);
		json_member_string(w, "namespace", m->namespace);
		json_member_string(w, "image", m->image);
		json_member_string(w, "image_digest", m->image_digest);
		json_key(w, "labels");
		event_json_labels(w, m);
		if (m->labels_truncated)
			json_member_bool(w, "labels_truncated", true);
		if (m->created_ns) {
			char created[RFC3339_NANO_LEN];

			clock_format_rfc3339(m->created_ns, created);
			json_member_string(w, "created", created);
		}
		json_member_string(w, "runtime_handler", m->runtime_handler);
		event_json_declared(w, "declared", &m->declared);
		event_json_addresses(w, "ips", &m->addresses);
	}
	json_member_string(w, "runtime", event_runtime_name(c, m));
	event_json_cgroup_members(w, c, &cgroup_keys_flat);
	if (c->parent_id[0])
		json_member_string(w, "parent_id", c->parent_id);
	json_object_end(w);
}

/* Pod fields from containerd's labels, else the pod uid the cgroup path names. */
static void encode_pod(struct json_writer *w, const struct container *c, const struct enrichment *e)
{
	const struct container_meta *m = e ? e->meta : NULL;
	const char *uid = event_pod_uid(c, e);

	if (!uid && !(m && (m->pod_name || e->sandbox)))
		return;
	json_key(w, "pod");
	json_object_begin(w);
	if (m) {
		json_member_string(w, "name", m->pod_name);
		json_member_string(w, "namespace", m->pod_namespace);
	}
	json_member_string(w, "uid", uid);
	if (m)
		json_member_bool(w, "sandbox", e->sandbox);
	json_object_end(w);
}

static void encode_enrichment(struct json_writer *w, const struct enrichment *e)
{
	json_member_string(w, "enrichment", event_enrichment_name(e));
	json_member_string(w, "enrichment_error", event_enrichment_error(e));
}

/*
 * session: the program of an exec session, whose parent (the runtime's exec) is named too, and
 * its exec id when containerd named one
 */
static void encode_process(struct json_writer *w, const struct record_process *p, bool session,
			   const char *exec_id, const struct container_declared *declared)
{
	json_key(w, "process");
	json_object_begin(w);
	json_member_u64(w, "pid", p->pid);
	json_member_u64(w, "ppid", p->ppid);
	json_member_u64(w, "uid", p->uid);
	json_member_u64(w, "gid", p->gid);
	json_key(w, "comm");
	json_string_len(w, p->comm, event_comm_len(p));
	if (session) {
		json_key(w, "parent_comm");
		json_string_len(w, p->parent_comm, event_parent_comm_len(p));
		json_member_string(w, "exec_id", exec_id);
	}
	json_key(w, "exe");
	json_string_len(w, p->exe, event_exe_len(p));
	json_key(w, "args");
	event_json_args(w, p);
	json_member_bool(w, "args_truncated", p->hdr.flags & RECORD_F_TRUNCATED);
	event_json_posture(w, "posture", p, declared);
	json_object_end(w);
}

static void encode_exit(struct json_writer *w, uint32_t status, uint32_t flags)
{
	json_key(w, "exit");
	json_object_begin(w);
	json_member_u64(w, "code", event_exit_code(status));
	json_member_u64(w, "signal", event_exit_signal(status));
	event_json_exit_flags(w, flags);
	json_object_end(w);
}

/*
 * A cgroup named like a container its engine has elsewhere: one alert, whose cgroup is its own
 * and whose container is only claimed (docs/events.md). No "container" object: no line about
 * one cgroup carries another's container as its own.
 */
static void encode_impostor(struct json_writer *w, const struct event *ev, const char *hostname)
{
	const struct container *c = ev->container;
	const struct enrichment_claim *claim = ev->enrichment ? ev->enrichment->claim : NULL;

	encode_preamble(w, ev->boot_ns, event_kind_name(ev->kind), ev->seq, hostname);
	json_member_string(w, "claimed_container_id", c->ident.id);
	json_key(w, "cgroup");
	json_object_begin(w);
	event_json_cgroup_members(w, c, &cgroup_keys_nested);
	json_object_end(w);
	if (claim) {
		json_key(w, "claimed_by");
		json_object_begin(w);
		json_member_string(w, "engine", claim->engine);
		json_member_string(w, "namespace", claim->namespace[0] ? claim->namespace : NULL);
		json_member_string(w, "cgroups_path", claim->cgroups_path);
		json_object_end(w);
	}
	json_member_string(w, "reason", event_enrichment_error(ev->enrichment));
	if (ev->process)
		encode_process(w, ev->process, false, NULL, NULL); /* the claimed one's: not its */
	json_object_end(w);
	json_newline(w);
}

void event_json_encode(struct json_writer *w, const struct event *ev, const char *hostname)
{
	if (ev->kind == EVENT_CGROUP_IMPOSTOR) {
		encode_impostor(w, ev, hostname);
		return;
	}
	encode_preamble(w, ev->boot_ns, event_kind_name(ev->kind), ev->seq, hostname);
	encode_container(w, ev->container, event_meta(ev));
	encode_pod(w, ev->container, ev->enrichment);
	encode_enrichment(w, ev->enrichment);
	if (ev->kind == EVENT_CONTAINER_CREATE && ev->container->readmitted) {
		json_key(w, "readmitted"); /* seen at its start: "time" is the start's */
		json_bool(w, true);
	}
	if (ev->process)
		encode_process(w, ev->process, ev->kind == EVENT_CONTAINER_EXEC_SESSION,
			       ev->exec_id, event_declared(ev));
	if (ev->kind == EVENT_CONTAINER_EXIT)
		encode_exit(w, ev->exit_status, ev->exit_flags);
	json_object_end(w);
	json_newline(w);
}

void event_json_encode_lost(struct json_writer *w, uint64_t boot_ns, const struct loss_counts *lost,
			    const char *hostname)
{
	struct event_counter c[EVENT_LOST_COUNTERS];
	uint64_t total;
	size_t n = event_lost_counters(lost, c, &total);

	encode_preamble(w, boot_ns, "ctrwatch_lost", 0, hostname);
	event_json_counters(w, "lost", c, n, &total);
	json_object_end(w);
	json_newline(w);
}

void event_json_encode_pressure(struct json_writer *w, uint64_t boot_ns,
				const struct pressure_counts *pressure, const char *hostname)
{
	struct event_counter c[EVENT_LOST_COUNTERS];
	size_t n = event_pressure_counters(pressure, c);

	encode_preamble(w, boot_ns, "ctrwatch_pressure", 0, hostname);
	event_json_counters(w, "pressure", c, n, NULL);
	json_object_end(w);
	json_newline(w);
}

void event_json_encode_heartbeat(struct json_writer *w, uint64_t boot_ns,
				 const struct heartbeat *hb, const char *hostname)
{
	encode_preamble(w, boot_ns, "ctrwatch_heartbeat", 0, hostname);
	event_json_heartbeat(w, "heartbeat", hb);
	json_object_end(w);
	json_newline(w);
}
