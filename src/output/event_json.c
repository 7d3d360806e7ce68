// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "common/clock.h"
#include "enrich/enrichment.h"
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
	json_key(w, "time");
	json_string(w, time);
	json_key(w, "event");
	json_string(w, event);
	if (seq) {
		json_key(w, "seq");
		json_u64(w, seq);
	}
	json_key(w, "host");
	json_object_begin(w);
	json_key(w, "hostname");
	json_string(w, hostname);
	json_object_end(w);
}

static void encode_optional_string(struct json_writer *w, const char *key, const char *value)
{
	if (!value)
		return;
	json_key(w, key);
	json_string(w, value);
}

static void encode_container(struct json_writer *w, const struct container *c,
			     const struct container_meta *m)
{
	json_key(w, "container");
	json_object_begin(w);
	json_key(w, "id");
	json_string(w, c->ident.id);
	if (m) {
		encode_optional_string(w, "name", m->name);
		encode_optional_string(w, "namespace", m->namespace);
		encode_optional_string(w, "image", m->image);
		encode_optional_string(w, "image_digest", m->image_digest);
		json_key(w, "labels");
		event_json_labels(w, m);
		if (m->created_ns) {
			char created[RFC3339_NANO_LEN];

			clock_format_rfc3339(m->created_ns, created);
			encode_optional_string(w, "created", created);
		}
		encode_optional_string(w, "runtime_handler", m->runtime_handler);
	}
	json_key(w, "runtime");
	json_string(w, event_runtime_name(c, m));
	json_key(w, "cgroup_id");
	json_u64(w, c->cgroup_id);
	json_key(w, "cgroup_path");
	json_string(w, c->cgroup_path);
	if (c->cgroup_path_truncated) {
		json_key(w, "cgroup_path_truncated");
		json_bool(w, true);
	}
	json_object_end(w);
}

/* Pod fields from containerd's labels, else the pod uid the cgroup path names. */
static void encode_pod(struct json_writer *w, const struct container *c, const struct enrichment *e)
{
	const struct container_meta *m = e ? e->meta : NULL;
	const char *uid = event_pod_uid(c, m);

	if (!uid && !(m && (m->pod_name || e->sandbox)))
		return;
	json_key(w, "pod");
	json_object_begin(w);
	if (m) {
		encode_optional_string(w, "name", m->pod_name);
		encode_optional_string(w, "namespace", m->pod_namespace);
	}
	encode_optional_string(w, "uid", uid);
	if (m) {
		json_key(w, "sandbox");
		json_bool(w, e->sandbox);
	}
	json_object_end(w);
}

static void encode_enrichment(struct json_writer *w, const struct enrichment *e)
{
	json_key(w, "enrichment");
	json_string(w, event_enrichment_name(e));
	if (e && e->state == ENRICHMENT_PARTIAL && e->error) {
		json_key(w, "enrichment_error");
		json_string(w, e->error);
	}
}

static void encode_process(struct json_writer *w, const struct record_process *p)
{
	json_key(w, "process");
	json_object_begin(w);
	json_key(w, "pid");
	json_u64(w, p->pid);
	json_key(w, "ppid");
	json_u64(w, p->ppid);
	json_key(w, "uid");
	json_u64(w, p->uid);
	json_key(w, "gid");
	json_u64(w, p->gid);
	json_key(w, "comm");
	json_string_len(w, p->comm, event_comm_len(p));
	json_key(w, "exe");
	json_string_len(w, p->exe, event_exe_len(p));
	json_key(w, "args");
	event_json_args(w, p);
	json_key(w, "args_truncated");
	json_bool(w, p->hdr.flags & RECORD_F_TRUNCATED);
	json_object_end(w);
}

static void encode_exit(struct json_writer *w, uint32_t status, uint32_t flags)
{
	json_key(w, "exit");
	json_object_begin(w);
	json_key(w, "code");
	json_u64(w, event_exit_code(status));
	json_key(w, "signal");
	json_u64(w, event_exit_signal(status));
	json_key(w, "core_dumped");
	json_bool(w, flags & RECORD_F_CORE_DUMPED);
	json_key(w, "oom_killed");
	json_bool(w, flags & RECORD_F_OOM_KILLED);
	json_object_end(w);
}

void event_json_encode(struct json_writer *w, const struct event *ev, const char *hostname)
{
	encode_preamble(w, ev->boot_ns, event_kind_name(ev->kind), ev->seq, hostname);
	encode_container(w, ev->container, event_meta(ev));
	encode_pod(w, ev->container, ev->enrichment);
	encode_enrichment(w, ev->enrichment);
	if (ev->kind == EVENT_CONTAINER_CREATE && ev->container->readmitted) {
		json_key(w, "readmitted"); /* seen at its start: "time" is the start's */
		json_bool(w, true);
	}
	if (ev->process)
		encode_process(w, ev->process);
	if (ev->kind == EVENT_CONTAINER_EXIT)
		encode_exit(w, ev->exit_status, ev->exit_flags);
	json_object_end(w);
	json_newline(w);
}

static void encode_counters(struct json_writer *w, const struct event_counter *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_key(w, c[i].name);
		json_u64(w, c[i].n);
	}
}

void event_json_encode_lost(struct json_writer *w, uint64_t boot_ns, const struct loss_counts *lost,
			    const char *hostname)
{
	struct event_counter c[EVENT_LOST_COUNTERS];
	uint64_t total;
	size_t n = event_lost_counters(lost, c, &total);

	encode_preamble(w, boot_ns, "ctrwatch_lost", 0, hostname);
	json_key(w, "lost");
	json_object_begin(w);
	encode_counters(w, c, n);
	json_key(w, "total");
	json_u64(w, total);
	json_object_end(w);
	json_object_end(w);
	json_newline(w);
}

void event_json_encode_pressure(struct json_writer *w, uint64_t boot_ns,
				const struct pressure_counts *pressure, const char *hostname)
{
	struct event_counter c[EVENT_LOST_COUNTERS];
	size_t n = event_pressure_counters(pressure, c);

	encode_preamble(w, boot_ns, "ctrwatch_pressure", 0, hostname);
	json_key(w, "pressure");
	json_object_begin(w);
	encode_counters(w, c, n);
	json_object_end(w);
	json_object_end(w);
	json_newline(w);
}
