// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --format ocsf: OCSF 1.8.0 events, one per line.
 *   - a container's init starting, running at startup (existing) or exiting, and a program run
 *     in it (exec): Process Activity (1007), Launch / Other / Terminate, with the container in
 *     process.container (the container profile);
 *   - a container created and removed: Entity Management (3004), Create / Delete, the
 *     container the managed entity (OCSF has no container-lifecycle class; docs/formats.md
 *     says why this one);
 *   - a cgroup named like a container its engine has elsewhere: Detection Finding (2004),
 *     Create, an alert; the program it ran in evidences[0].process, no container;
 *   - ctrwatch's own counters: Base Event (0), Other.
 * What OCSF has no attribute for goes under unmapped.ctrwatch.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "output/event_declared.h"
#include "output/event_fields.h"
#include "output/event_ocsf.h"

#define OCSF_VERSION "1.8.0"
#ifndef CTRWATCH_VERSION
#define CTRWATCH_VERSION "0.0.0-dev"
#endif

enum {
	CATEGORY_NONE = 0,
	CATEGORY_SYSTEM = 1,
	CATEGORY_FINDINGS = 2,
	CATEGORY_IAM = 3,
	CLASS_BASE_EVENT = 0,
	CLASS_DETECTION_FINDING = 2004,
	CLASS_PROCESS_ACTIVITY = 1007,
	CLASS_ENTITY_MANAGEMENT = 3004,
	ACTIVITY_LAUNCH = 1,
	ACTIVITY_TERMINATE = 2,
	ACTIVITY_CREATE = 1,
	ACTIVITY_DELETE = 4,
	ACTIVITY_SUSPEND = 12,
	ACTIVITY_RESUME = 13,
	ACTIVITY_OTHER = 99,
	SEVERITY_INFORMATIONAL = 1,
	SEVERITY_LOW = 2,
	SEVERITY_HIGH = 4,
	DEVICE_TYPE_UNKNOWN = 0,
	ENTITY_TYPE_OTHER = 99,
	FILE_TYPE_REGULAR = 1,
};

struct ocsf_class {
	int category_uid;
	int class_uid;
	int activity_id;
	const char *activity_name;
};

static struct ocsf_class class_of(enum event_kind kind)
{
	switch (kind) {
	case EVENT_CONTAINER_EXISTING:
		return (struct ocsf_class){CATEGORY_SYSTEM, CLASS_PROCESS_ACTIVITY, ACTIVITY_OTHER,
					   "Running"};
	case EVENT_CONTAINER_START:
	case EVENT_PROCESS_EXEC:
	case EVENT_CONTAINER_EXEC_SESSION:
		return (struct ocsf_class){CATEGORY_SYSTEM, CLASS_PROCESS_ACTIVITY, ACTIVITY_LAUNCH,
					   NULL};
	case EVENT_CONTAINER_EXIT:
		return (struct ocsf_class){CATEGORY_SYSTEM, CLASS_PROCESS_ACTIVITY,
					   ACTIVITY_TERMINATE, "Terminate"};
	case EVENT_CONTAINER_CREATE:
		return (struct ocsf_class){CATEGORY_IAM, CLASS_ENTITY_MANAGEMENT, ACTIVITY_CREATE,
					   "Create"};
	case EVENT_CONTAINER_REMOVE:
		return (struct ocsf_class){CATEGORY_IAM, CLASS_ENTITY_MANAGEMENT, ACTIVITY_DELETE,
					   "Delete"};
	case EVENT_CONTAINER_PAUSED:
		return (struct ocsf_class){CATEGORY_IAM, CLASS_ENTITY_MANAGEMENT, ACTIVITY_SUSPEND,
					   "Suspend"};
	case EVENT_CONTAINER_RESUMED:
		return (struct ocsf_class){CATEGORY_IAM, CLASS_ENTITY_MANAGEMENT, ACTIVITY_RESUME,
					   "Resume"};
	case EVENT_CGROUP_IMPOSTOR:
		return (struct ocsf_class){CATEGORY_FINDINGS, CLASS_DETECTION_FINDING,
					   ACTIVITY_CREATE, "Create"};
	}
	return (struct ocsf_class){CATEGORY_NONE, CLASS_BASE_EVENT, ACTIVITY_OTHER, "Other"};
}

/* ctrwatch's own counters: no class fits a sensor's report on itself better than the base. */
static const struct ocsf_class counters_class = {CATEGORY_NONE, CLASS_BASE_EVENT, ACTIVITY_OTHER,
						 "Other"};

/* A pod uid goes in pod_uuid only as a UUID (uuid_t); labels can say anything. */
static bool is_uuid(const char *s)
{
	static const char form[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (!s || strlen(s) != sizeof(form) - 1)
		return false;
	for (size_t i = 0; form[i]; i++)
		if (form[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static void encode_metadata(struct json_writer *w, uint64_t seq, bool container_profile)
{
	char uid[24];

	json_key(w, "metadata");
	json_object_begin(w);
	json_member_string(w, "version", OCSF_VERSION);
	json_key(w, "product");
	json_object_begin(w);
	json_member_string(w, "name", "ctrwatch");
	json_member_string(w, "vendor_name", "ctrwatch");
	json_member_string(w, "version", CTRWATCH_VERSION);
	json_object_end(w);
	json_key(w, "profiles");
	json_array_begin(w);
	json_string(w, "host");
	if (container_profile)
		json_string(w, "container");
	json_array_end(w);
	if (seq) { /* the kernel's per-host record number: unique on this host */
		snprintf(uid, sizeof(uid), "%llu", (unsigned long long)seq);
		json_member_string(w, "uid", uid);
	}
	json_object_end(w);
}

static const char *class_name(int class_uid)
{
	switch (class_uid) {
	case CLASS_PROCESS_ACTIVITY: return "Process Activity";
	case CLASS_ENTITY_MANAGEMENT: return "Entity Management";
	case CLASS_DETECTION_FINDING: return "Detection Finding";
	}
	return "Base Event";
}

static const char *category_name(int category_uid)
{
	switch (category_uid) {
	case CATEGORY_SYSTEM: return "System Activity";
	case CATEGORY_IAM: return "Identity & Access Management";
	case CATEGORY_FINDINGS: return "Findings";
	}
	return "Uncategorized";
}

static void encode_head(struct json_writer *w, uint64_t boot_ns, struct ocsf_class k, uint64_t seq,
			int severity, const char *hostname)
{
	uint64_t wall_ns = clock_boot_to_realtime_ns(boot_ns);

	json_object_begin(w);
	json_member_u64(w, "time", wall_ns / 1000000);
	json_member_u64(w, "category_uid", k.category_uid);
	json_member_string(w, "category_name", category_name(k.category_uid));
	json_member_u64(w, "class_uid", k.class_uid);
	json_member_string(w, "class_name", class_name(k.class_uid));
	json_member_u64(w, "activity_id", k.activity_id);
	json_member_string(w, "activity_name", k.activity_name);
	json_member_u64(w, "type_uid", (uint64_t)k.class_uid * 100 + k.activity_id);
	json_member_u64(w, "severity_id", severity);
	encode_metadata(w, seq, k.class_uid == CLASS_PROCESS_ACTIVITY);
	json_key(w, "device");
	json_object_begin(w);
	json_member_string(w, "hostname", hostname);
	json_member_u64(w, "type_id", DEVICE_TYPE_UNKNOWN);
	json_object_end(w);
}

static void encode_tags(struct json_writer *w, const struct container_meta *m)
{
	json_key(w, "tags");
	json_array_begin(w);
	for (size_t i = 0; i < m->n_labels; i++) {
		json_object_begin(w);
		json_member_string(w, "name", m->labels[i].key);
		json_member_string(w, "value", m->labels[i].value);
		json_object_end(w);
	}
	json_array_end(w);
}

/* process.container: the container profile's object. */
static void encode_container(struct json_writer *w, const struct event *ev)
{
	const struct container *c = ev->container;
	const struct container_meta *m = event_meta(ev);
	const char *pod_uid = event_pod_uid(c, ev->enrichment);

	json_key(w, "container");
	json_object_begin(w);
	json_member_string(w, "uid", c->ident.id);
	json_member_string(w, "runtime", event_runtime_name(c, m));
	if (m) {
		json_member_string(w, "name", m->name);
		encode_tags(w, m);
	}
	if (m && m->image_digest) { /* image.uid is required: no image without its digest */
		json_key(w, "image");
		json_object_begin(w);
		json_member_string(w, "uid", m->image_digest);
		json_member_string(w, "name", m->image);
		json_object_end(w);
	}
	if (pod_uid) {
		json_member_string(w, "orchestrator", "kubernetes");
		if (is_uuid(pod_uid))
			json_member_string(w, "pod_uuid", pod_uid);
	}
	json_object_end(w);
}

/* argv joined by spaces, as cmd_line is; the bytes are the encoder's to escape. */
static void encode_cmd_line(struct json_writer *w, const struct record_process *p)
{
	char line[ARGS_MAX];
	size_t len = p->args_len < ARGS_MAX ? p->args_len : ARGS_MAX;

	memcpy(line, p->args, len);
	while (len > 0 && line[len - 1] == '\0')
		len--;
	for (size_t i = 0; i < len; i++)
		if (line[i] == '\0')
			line[i] = ' ';
	json_key(w, "cmd_line");
	json_string_len(w, line, len);
}

static void encode_pid_process(struct json_writer *w, const char *key, uint32_t pid)
{
	json_key(w, key);
	json_object_begin(w);
	if (pid)
		json_member_u64(w, "pid", pid);
	json_object_end(w);
}

/* A program's name, command line, file and user, in the process object being written. */
static void encode_program(struct json_writer *w, const struct record_process *p)
{
	char uid[16];
	size_t base_len;
	const char *base = event_exe_base(p, &base_len);

	json_key(w, "name");
	json_string_len(w, p->comm, event_comm_len(p));
	encode_cmd_line(w, p);
	json_key(w, "file");
	json_object_begin(w);
	json_key(w, "name");
	json_string_len(w, base, base_len);
	json_key(w, "path");
	json_string_len(w, p->exe, event_exe_len(p));
	json_member_u64(w, "type_id", FILE_TYPE_REGULAR);
	json_object_end(w);
	snprintf(uid, sizeof(uid), "%u", p->uid);
	json_key(w, "user");
	json_object_begin(w);
	json_member_string(w, "uid", uid);
	json_object_end(w);
}

static void encode_process(struct json_writer *w, const struct event *ev)
{
	const struct record_process *p = ev->process;
	uint32_t pid = p ? p->pid : ev->container->init_pid;

	json_key(w, "process");
	json_object_begin(w);
	if (pid)
		json_member_u64(w, "pid", pid);
	if (p) {
		encode_program(w, p);
		event_json_parent(w, "parent_process", p);
	}
	encode_container(w, ev);
	json_object_end(w);
	/* the launcher for a start or an exec; the process itself for its own exit */
	json_key(w, "actor");
	json_object_begin(w);
	encode_pid_process(w, "process", p ? p->ppid : pid);
	json_object_end(w);
}

static void encode_entity(struct json_writer *w, const struct event *ev)
{
	const struct container *c = ev->container;
	const struct container_meta *m = event_meta(ev);

	json_key(w, "entity");
	json_object_begin(w);
	json_member_string(w, "uid", c->ident.id);
	json_member_string(w, "name", m && m->name ? m->name : c->ident.id);
	json_member_string(w, "type", "Container");
	json_member_u64(w, "type_id", ENTITY_TYPE_OTHER);
	json_key(w, "data");
	json_object_begin(w);
	json_member_string(w, "runtime", event_runtime_name(c, m));
	if (m) {
		json_member_string(w, "image", m->image);
		json_member_string(w, "image_digest", m->image_digest);
		json_key(w, "labels");
		event_json_labels(w, m);
	}
	json_object_end(w);
	json_object_end(w);
}

/* unmapped.ctrwatch: what OCSF has no attribute for. */
static void encode_unmapped(struct json_writer *w, const struct event *ev)
{
	const struct container *c = ev->container;
	const struct container_meta *m = event_meta(ev);
	const char *pod_uid = event_pod_uid(c, ev->enrichment);

	json_key(w, "unmapped");
	json_object_begin(w);
	json_key(w, "ctrwatch");
	json_object_begin(w);
	json_member_string(w, "event", event_kind_name(ev->kind));
	if (ev->seq)
		json_member_u64(w, "seq", ev->seq);
	json_member_string(w, "enrichment", event_enrichment_name(ev->enrichment));
	json_member_string(w, "enrichment_error", event_enrichment_error(ev->enrichment));
	/* as NDJSON's and ECS's, truncation too */
	event_json_cgroup_members(w, c, &cgroup_keys_flat);
	if (c->parent_id[0])
		json_member_string(w, "parent_container_id", c->parent_id);
	json_member_string(w, "exec_id", ev->exec_id);
	if (m) {
		json_member_string(w, "containerd_namespace", m->namespace);
		json_member_string(w, "runtime_handler", m->runtime_handler);
		if (m->labels_truncated)
			json_member_bool(w, "labels_truncated", true);
		event_json_declared(w, "declared", &m->declared);
		event_json_addresses(w, "ips", &m->addresses);
	}
	if (pod_uid || (m && m->pod_name)) {
		json_key(w, "pod");
		json_object_begin(w);
		if (m) {
			json_member_string(w, "name", m->pod_name);
			json_member_string(w, "namespace", m->pod_namespace);
		}
		json_member_string(w, "uid", pod_uid);
		if (m)
			json_member_bool(w, "sandbox", ev->enrichment->sandbox);
		json_object_end(w);
	}
	if (ev->kind == EVENT_CONTAINER_CREATE && c->readmitted)
		json_member_bool(w, "readmitted", true);
	if (ev->process) {
		json_member_bool(w, "args_truncated", ev->process->hdr.flags & RECORD_F_TRUNCATED);
		event_json_posture(w, "posture", ev->process, event_declared(ev));
	}
	if (ev->kind == EVENT_CONTAINER_EXIT) {
		json_member_u64(w, "exit_signal", event_exit_signal(ev->exit_status));
		event_json_exit_flags(w, ev->exit_flags);
	}
	json_object_end(w);
	json_object_end(w);
}

/* The program an impostor ran, as evidence: no container, which it only claims to be. */
static void encode_evidence_process(struct json_writer *w, const struct record_process *p)
{
	json_key(w, "evidences");
	json_array_begin(w);
	json_object_begin(w);
	json_key(w, "process");
	json_object_begin(w);
	json_member_u64(w, "pid", p->pid);
	encode_program(w, p);
	json_object_end(w);
	json_object_end(w);
	json_array_end(w);
}

/*
 * A cgroup named like a container its engine has elsewhere: a Detection Finding, an alert.
 * finding_info.uid is the cgroup's id (one finding per impostor cgroup); what the engine says
 * and the claimed id go under unmapped.ctrwatch.
 */
static void encode_impostor(struct json_writer *w, const struct event *ev, const char *hostname)
{
	const char *reason = event_enrichment_error(ev->enrichment);
	char uid[48];

	encode_head(w, ev->boot_ns, class_of(ev->kind), ev->seq, SEVERITY_HIGH, hostname);
	json_member_string(w, "message", reason);
	json_key(w, "finding_info");
	json_object_begin(w);
	snprintf(uid, sizeof(uid), "cgroup_impostor:%llu",
		 (unsigned long long)ev->container->cgroup_id);
	json_member_string(w, "uid", uid);
	json_member_string(w, "title",
			   "A cgroup is named like a container its engine has elsewhere");
	json_member_string(w, "desc", reason);
	json_key(w, "types");
	json_array_begin(w);
	json_string(w, "cgroup_impostor");
	json_array_end(w);
	json_object_end(w);
	if (ev->process)
		encode_evidence_process(w, ev->process);
	json_key(w, "unmapped");
	json_object_begin(w);
	json_key(w, "ctrwatch");
	json_object_begin(w);
	json_member_string(w, "event", event_kind_name(ev->kind));
	event_json_impostor_members(w, ev);
	json_object_end(w);
	json_object_end(w);
	json_object_end(w);
	json_newline(w);
}

void event_ocsf_encode(struct json_writer *w, const struct event *ev, const char *hostname)
{
	struct ocsf_class k = class_of(ev->kind);

	if (ev->kind == EVENT_CGROUP_IMPOSTOR) {
		encode_impostor(w, ev, hostname);
		return;
	}

	encode_head(w, ev->boot_ns, k, ev->seq, SEVERITY_INFORMATIONAL, hostname);
	if (k.class_uid == CLASS_PROCESS_ACTIVITY)
		encode_process(w, ev);
	else
		encode_entity(w, ev);
	if (ev->kind == EVENT_CONTAINER_EXIT)
		json_member_u64(w, "exit_code", event_exit_code(ev->exit_status));
	encode_unmapped(w, ev);
	json_object_end(w);
	json_newline(w);
}

static void encode_counters(struct json_writer *w, const char *message, const char *name,
			    const struct event_counter *c, size_t n, const uint64_t *total)
{
	json_member_string(w, "message", message);
	json_key(w, "unmapped");
	json_object_begin(w);
	json_key(w, "ctrwatch");
	json_object_begin(w);
	json_member_string(w, "event", name);
	event_json_counters(w, name + strlen("ctrwatch_"), c, n, total);
	json_object_end(w);
	json_object_end(w);
}

void event_ocsf_encode_lost(struct json_writer *w, uint64_t boot_ns, const struct loss_counts *lost,
			    const char *hostname)
{
	struct event_counter c[EVENT_LOST_COUNTERS];
	uint64_t total;
	size_t n = event_lost_counters(lost, c, &total);

	encode_head(w, boot_ns, counters_class, 0, total ? SEVERITY_LOW : SEVERITY_INFORMATIONAL,
		    hostname);
	encode_counters(w, "ctrwatch could not report some events", "ctrwatch_lost", c, n, &total);
	json_object_end(w);
	json_newline(w);
}

void event_ocsf_encode_pressure(struct json_writer *w, uint64_t boot_ns,
				const struct pressure_counts *pressure, const char *hostname)
{
	struct event_counter c[EVENT_LOST_COUNTERS];
	size_t n = event_pressure_counters(pressure, c);

	encode_head(w, boot_ns, counters_class, 0, SEVERITY_INFORMATIONAL, hostname);
	encode_counters(w, "ctrwatch shed work to keep up with a flood of cgroups",
			"ctrwatch_pressure", c, n, NULL);
	json_object_end(w);
	json_newline(w);
}

void event_ocsf_encode_heartbeat(struct json_writer *w, uint64_t boot_ns,
				 const struct heartbeat *hb, const char *hostname)
{
	encode_head(w, boot_ns, counters_class, 0, SEVERITY_INFORMATIONAL, hostname);
	json_member_string(w, "message", "ctrwatch is running");
	json_key(w, "unmapped");
	json_object_begin(w);
	json_key(w, "ctrwatch");
	json_object_begin(w);
	json_member_string(w, "event", "ctrwatch_heartbeat");
	event_json_heartbeat(w, "heartbeat", hb);
	json_object_end(w);
	json_object_end(w);
	json_object_end(w);
	json_newline(w);
}
