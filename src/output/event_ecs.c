// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --format ecs: one Elastic Common Schema 9.x document per line. ECS fields where ECS has
 * them (docs/formats.md maps each event); what ECS does not define goes under the one custom
 * namespace "ctrwatch". No invented top-level names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "output/event_ecs.h"
#include "output/event_declared.h"
#include "output/event_fields.h"

#define ECS_VERSION "9.4.0"

/* event.category and event.type, one value each, per event. */
struct ecs_kind {
	const char *category;
	const char *type;
};

static struct ecs_kind ecs_kind_of(enum event_kind kind)
{
	switch (kind) {
	case EVENT_CONTAINER_EXISTING: return (struct ecs_kind){"process", "info"};
	case EVENT_CONTAINER_CREATE: return (struct ecs_kind){"configuration", "creation"};
	case EVENT_CONTAINER_START:
	case EVENT_PROCESS_EXEC:
	case EVENT_CONTAINER_EXEC_SESSION: return (struct ecs_kind){"process", "start"};
	case EVENT_CONTAINER_EXIT: return (struct ecs_kind){"process", "end"};
	case EVENT_CONTAINER_REMOVE: return (struct ecs_kind){"configuration", "deletion"};
	case EVENT_CONTAINER_PAUSED:
	case EVENT_CONTAINER_RESUMED: return (struct ecs_kind){"process", "change"};
	case EVENT_CGROUP_IMPOSTOR: return (struct ecs_kind){"intrusion_detection", "info"};
	}
	return (struct ecs_kind){"host", "info"};
}

static void one_string_array(struct json_writer *w, const char *key, const char *value)
{
	json_key(w, key);
	json_array_begin(w);
	json_string(w, value);
	json_array_end(w);
}

static void encode_head(struct json_writer *w, uint64_t boot_ns, const char *kind,
			struct ecs_kind k, const char *action, const char *dataset, uint64_t seq,
			const char *hostname)
{
	char time[RFC3339_NANO_LEN];

	clock_format_rfc3339(clock_boot_to_realtime_ns(boot_ns), time);
	json_object_begin(w);
	json_member_string(w, "@timestamp", time);
	json_key(w, "ecs");
	json_object_begin(w);
	json_member_string(w, "version", ECS_VERSION);
	json_object_end(w);
	json_key(w, "event");
	json_object_begin(w);
	json_member_string(w, "kind", kind);
	one_string_array(w, "category", k.category);
	one_string_array(w, "type", k.type);
	json_member_string(w, "action", action);
	json_member_string(w, "module", "ctrwatch");
	json_member_string(w, "dataset", dataset);
	if (seq)
		json_member_u64(w, "sequence", seq);
	json_object_end(w);
	json_key(w, "host");
	json_object_begin(w);
	json_member_string(w, "hostname", hostname);
	json_object_end(w);
}

struct dedotted {
	char *key;	  /* dots made underscores */
	const char *orig; /* the label's own key */
	size_t place;	  /* in m->labels */
	bool named_so;	  /* orig had no dot: it is key */
};

/*
 * By key; of labels that dedot to one key, the one named so first, then by their own keys: an
 * engine's labels come in no fixed order (containerd's are a Go map), and which value a key
 * carries must not change from one line to the next.
 */
static int compare_dedotted(const void *a, const void *b)
{
	const struct dedotted *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	c = y->named_so - x->named_so;
	return c ? c : strcmp(x->orig, y->orig);
}

/*
 * container.labels with dots in keys made underscores, as Beats' labels.dedot does:
 * Elasticsearch expands a dotted key into objects, so "app" and "app.kubernetes.io/name" on
 * one container would conflict in the mapping and the document be refused. Of labels that
 * dedot to one key, one is written (compare_dedotted: the one named so, whatever the order
 * the engine gave them in); an empty key is left out: a line never has a key twice. Sorted
 * once, not compared pairwise: a container's labels are its user's, and many.
 */
static void encode_labels_dedotted(struct json_writer *w, const struct container_meta *m)
{
	struct dedotted *d = calloc(m->n_labels ? m->n_labels : 1, sizeof(*d));
	size_t n = 0;

	json_key(w, "labels");
	json_object_begin(w);
	for (size_t i = 0; d && i < m->n_labels; i++) {
		char *key = strdup(m->labels[i].key);

		if (!key || !*key) {
			free(key);
			continue;
		}
		d[n] = (struct dedotted){key, m->labels[i].key, i, true};
		for (char *c = key; *c; c++)
			if (*c == '.') {
				*c = '_';
				d[n].named_so = false;
			}
		n++;
	}
	qsort(d, n, sizeof(*d), compare_dedotted);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && !strcmp(d[i - 1].key, d[i].key))
			continue; /* the first of a key is written */
		json_key(w, d[i].key);
		json_string(w, m->labels[d[i].place].value);
	}
	json_object_end(w);
	for (size_t i = 0; i < n; i++)
		free(d[i].key);
	free(d);
}

static void encode_container(struct json_writer *w, const struct event *ev)
{
	const struct container *c = ev->container;
	const struct container_meta *m = event_meta(ev);

	json_key(w, "container");
	json_object_begin(w);
	json_member_string(w, "id", c->ident.id);
	json_member_string(w, "runtime", event_runtime_name(c, m));
	if (m) {
		json_member_string(w, "name", m->name);
		encode_labels_dedotted(w, m);
	}
	if (m && (m->image || m->image_digest)) {
		json_key(w, "image");
		json_object_begin(w);
		json_member_string(w, "name", m->image);
		if (m->image_digest) {
			json_key(w, "hash");
			json_object_begin(w);
			one_string_array(w, "all", m->image_digest);
			json_object_end(w);
		}
		json_object_end(w);
	}
	/* the container's by its entrypoint: a session's privileges are the session's own */
	if (ev->kind == EVENT_CONTAINER_START && posture_known(ev->process)) {
		json_key(w, "security_context");
		json_object_begin(w);
		json_member_bool(w, "privileged", posture_privileged(&ev->process->posture));
		json_object_end(w);
	}
	json_object_end(w);
}

/* related.ip: where the container can be reached (its pod's addresses, or its networks'), for a
   SIEM to join its lines with flow logs. */
static void encode_related(struct json_writer *w, const struct event *ev)
{
	const struct container_meta *m = event_meta(ev);

	if (!m || !m->addresses.n)
		return;
	json_key(w, "related");
	json_object_begin(w);
	event_json_addresses(w, "ip", &m->addresses);
	json_object_end(w);
}

/* The pod, when Kubernetes runs the container: orchestrator.resource is the pod. */
static void encode_orchestrator(struct json_writer *w, const struct event *ev)
{
	const struct container_meta *m = event_meta(ev);
	const char *uid = event_pod_uid(ev->container, ev->enrichment);

	if (!uid && !(m && m->pod_name))
		return;
	json_key(w, "orchestrator");
	json_object_begin(w);
	json_member_string(w, "type", "kubernetes");
	if (m)
		json_member_string(w, "namespace", m->pod_namespace);
	json_key(w, "resource");
	json_object_begin(w);
	json_member_string(w, "type", "pod");
	if (m)
		json_member_string(w, "name", m->pod_name);
	json_member_string(w, "id", uid);
	json_object_end(w);
	json_object_end(w);
}

static void key_id(struct json_writer *w, const char *key, uint32_t id)
{
	char s[16];

	snprintf(s, sizeof(s), "%u", id);
	json_key(w, key);
	json_object_begin(w);
	json_member_string(w, "id", s);
	json_object_end(w);
}

/*
 * The effective user and the capabilities where ECS has them (the rest, the effective group
 * too, which ECS's process has no field for: ctrwatch.posture).
 */
static void encode_posture(struct json_writer *w, const struct record_process *p)
{
	if (!posture_known(p))
		return;
	key_id(w, "user", p->posture.euid);
	json_key(w, "thread");
	json_object_begin(w);
	json_key(w, "capabilities");
	json_object_begin(w);
	event_json_capabilities(w, "effective", p->posture.cap_effective);
	event_json_capabilities(w, "permitted", p->posture.cap_permitted);
	json_object_end(w);
	json_object_end(w);
}

static void encode_process(struct json_writer *w, const struct event *ev)
{
	const struct record_process *p = ev->process;
	uint32_t pid = p ? p->pid : ev->container->init_pid;

	if (!p && !pid && ev->kind != EVENT_CONTAINER_EXIT)
		return;
	json_key(w, "process");
	json_object_begin(w);
	if (pid)
		json_member_u64(w, "pid", pid);
	if (p) {
		event_json_parent(w, "parent", p);
		json_key(w, "name");
		json_string_len(w, p->comm, event_comm_len(p));
		json_key(w, "executable");
		json_string_len(w, p->exe, event_exe_len(p));
		json_key(w, "args");
		event_json_args(w, p);
		json_member_u64(w, "args_count", event_args_count(p));
		/* the kernel gives the real ids (bpf_get_current_uid_gid) */
		key_id(w, "real_user", p->uid);
		key_id(w, "real_group", p->gid);
		encode_posture(w, p);
	}
	if (ev->kind == EVENT_CONTAINER_EXIT)
		json_member_u64(w, "exit_code", event_exit_code(ev->exit_status));
	json_object_end(w);
}

/* What ECS has no field for, under "ctrwatch". */
static void encode_custom(struct json_writer *w, const struct event *ev)
{
	const struct container *c = ev->container;
	const struct container_meta *m = event_meta(ev);

	json_key(w, "ctrwatch");
	json_object_begin(w);
	json_member_string(w, "enrichment", event_enrichment_name(ev->enrichment));
	json_member_string(w, "enrichment_error", event_enrichment_error(ev->enrichment));
	event_json_cgroup_members(w, c, &cgroup_keys_flat);
	if (c->parent_id[0])
		json_member_string(w, "parent_container_id", c->parent_id);
	json_member_string(w, "exec_id", ev->exec_id);
	if (m) {
		json_member_string(w, "containerd_namespace", m->namespace);
		json_member_string(w, "runtime_handler", m->runtime_handler);
		json_member_bool(w, "pod_sandbox", ev->enrichment->sandbox);
		if (m->labels_truncated)
			json_member_bool(w, "labels_truncated", true);
		event_json_declared(w, "declared", &m->declared);
	}
	if (ev->kind == EVENT_CONTAINER_CREATE && c->readmitted)
		json_member_bool(w, "readmitted", true);
	if (ev->process) {
		json_member_bool(w, "args_truncated", ev->process->hdr.flags & RECORD_F_TRUNCATED);
		event_json_posture(w, "posture", ev->process, event_declared(ev));
	}
	if (ev->kind == EVENT_CONTAINER_EXIT) {
		json_key(w, "exit");
		json_object_begin(w);
		json_member_u64(w, "signal", event_exit_signal(ev->exit_status));
		event_json_exit_flags(w, ev->exit_flags);
		json_object_end(w);
	}
	json_object_end(w);
}

/*
 * A cgroup named like a container its engine has elsewhere: an alert (event.kind "alert"),
 * with no container.* field (the container is only claimed: ctrwatch.claimed_container_id),
 * the program it ran in process.*, what the engine says under ctrwatch.
 */
static void encode_impostor(struct json_writer *w, const struct event *ev, const char *hostname)
{
	encode_head(w, ev->boot_ns, "alert", ecs_kind_of(ev->kind), event_kind_name(ev->kind),
		    "ctrwatch.container", ev->seq, hostname);
	json_member_string(w, "message", event_enrichment_error(ev->enrichment));
	json_key(w, "rule");
	json_object_begin(w);
	json_member_string(w, "name", "cgroup_impostor");
	json_member_string(w, "description",
			   "a cgroup is named like a container its engine has elsewhere");
	json_object_end(w);
	encode_process(w, ev);
	json_key(w, "ctrwatch");
	json_object_begin(w);
	event_json_impostor_members(w, ev);
	json_object_end(w);
	json_object_end(w);
	json_newline(w);
}

void event_ecs_encode(struct json_writer *w, const struct event *ev, const char *hostname)
{
	if (ev->kind == EVENT_CGROUP_IMPOSTOR) {
		encode_impostor(w, ev, hostname);
		return;
	}
	encode_head(w, ev->boot_ns, "event", ecs_kind_of(ev->kind), event_kind_name(ev->kind),
		    "ctrwatch.container", ev->seq, hostname);
	encode_container(w, ev);
	encode_orchestrator(w, ev);
	encode_process(w, ev);
	encode_related(w, ev);
	encode_custom(w, ev);
	json_object_end(w);
	json_newline(w);
}

static void encode_counters(struct json_writer *w, const char *name, const struct event_counter *c,
			    size_t n, const uint64_t *total)
{
	json_key(w, "ctrwatch");
	json_object_begin(w);
	event_json_counters(w, name, c, n, total);
	json_object_end(w);
}

void event_ecs_encode_lost(struct json_writer *w, uint64_t boot_ns, const struct loss_counts *lost,
			   const char *hostname)
{
	struct event_counter c[EVENT_LOST_COUNTERS];
	uint64_t total;
	size_t n = event_lost_counters(lost, c, &total);

	encode_head(w, boot_ns, "metric", (struct ecs_kind){"host", "info"}, "ctrwatch_lost",
		    "ctrwatch.lost", 0, hostname);
	encode_counters(w, "lost", c, n, &total);
	json_object_end(w);
	json_newline(w);
}

void event_ecs_encode_pressure(struct json_writer *w, uint64_t boot_ns,
			       const struct pressure_counts *pressure, const char *hostname)
{
	struct event_counter c[EVENT_LOST_COUNTERS];
	size_t n = event_pressure_counters(pressure, c);

	encode_head(w, boot_ns, "metric", (struct ecs_kind){"host", "info"}, "ctrwatch_pressure",
		    "ctrwatch.pressure", 0, hostname);
	encode_counters(w, "pressure", c, n, NULL);
	json_object_end(w);
	json_newline(w);
}

void event_ecs_encode_heartbeat(struct json_writer *w, uint64_t boot_ns, const struct heartbeat *hb,
				const char *hostname)
{
	encode_head(w, boot_ns, "state", (struct ecs_kind){"host", "info"}, "ctrwatch_heartbeat",
		    "ctrwatch.heartbeat", 0, hostname);
	json_key(w, "agent");
	json_object_begin(w);
	json_member_string(w, "name", "ctrwatch");
	json_member_string(w, "type", "ctrwatch");
	json_member_string(w, "version", hb->version);
	json_object_end(w);
	json_key(w, "ctrwatch");
	json_object_begin(w);
	event_json_heartbeat(w, "heartbeat", hb);
	json_object_end(w);
	json_object_end(w);
	json_newline(w);
}
