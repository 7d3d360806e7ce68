// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "common/clock.h"
#include "enrich/enrichment.h"
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

static void encode_labels(struct json_writer *w, const struct container_meta *m)
{
	json_key(w, "labels");
	json_object_begin(w);
	for (size_t i = 0; i < m->n_labels; i++) {
		json_key(w, m->labels[i].key);
		json_string(w, m->labels[i].value);
	}
	json_object_end(w);
}

/* A container whose path named no runtime but that containerd knows is containerd's. */
static const char *runtime_name(const struct container *c, const struct container_meta *m)
{
	if (m && c->ident.runtime == RUNTIME_UNKNOWN)
		return container_runtime_name(RUNTIME_CONTAINERD);
	return container_runtime_name(c->ident.runtime);
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
		encode_labels(w, m);
		if (m->created_ns) {
			char created[RFC3339_NANO_LEN];

			clock_format_rfc3339(m->created_ns, created);
			encode_optional_string(w, "created", created);
		}
		encode_optional_string(w, "runtime_handler", m->runtime_handler);
	}
	json_key(w, "runtime");
	json_string(w, runtime_name(c, m));
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
	const char *uid = m && m->pod_uid	? m->pod_uid
			  : c->ident.pod_uid[0] ? c->ident.pod_uid
						: NULL;

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

static const char *enrichment_state_name(enum enrichment_state state)
{
	switch (state) {
	case ENRICHMENT_PARTIAL: return "partial";
	case ENRICHMENT_COMPLETE: return "complete";
	case ENRICHMENT_UNKNOWN:
	case ENRICHMENT_NONE: break;
	}
	return "none";
}

static void encode_enrichment(struct json_writer *w, const struct enrichment *e)
{
	json_key(w, "enrichment");
	json_string(w, enrichment_state_name(e ? e->state : ENRICHMENT_NONE));
	if (e && e->state == ENRICHMENT_PARTIAL && e->error) {
		json_key(w, "enrichment_error");
		json_string(w, e->error);
	}
}

static size_t bounded_len(const char *s, size_t max)
{
	const char *nul = memchr(s, '\0', max);

	return nul ? (size_t)(nul - s) : max;
}

/* argv arrives NUL-separated; a truncated last argument is kept as far as it goes. */
static void encode_args(struct json_writer *w, const char *args, size_t len)
{
	json_array_begin(w);
	for (size_t i = 0; i < len;) {
		size_t n = bounded_len(args + i, len - i);

		json_string_len(w, args + i, n);
		i += n + 1;
	}
	json_array_end(w);
}

static void encode_process(struct json_writer *w, const struct record_process *p)
{
	size_t args_len = p->args_len < ARGS_MAX ? p->args_len : ARGS_MAX;
	size_t exe_len = p->exe_len < EXE_PATH_MAX ? p->exe_len : EXE_PATH_MAX;

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
	json_string_len(w, p->comm, bounded_len(p->comm, COMM_LEN));
	json_key(w, "exe");
	json_string_len(w, p->exe, bounded_len(p->exe, exe_len));
	json_key(w, "args");
	encode_args(w, p->args, args_len);
	json_key(w, "args_truncated");
	json_bool(w, p->hdr.flags & RECORD_F_TRUNCATED);
	json_object_end(w);
}

/* Exit code as a shell and containerd report it: 128 + signal for a killed process. */
static void encode_exit(struct json_writer *w, uint32_t status, uint32_t flags)
{
	uint32_t signal = status & 0x7f;

	json_key(w, "exit");
	json_object_begin(w);
	json_key(w, "code");
	json_u64(w, signal ? 128 + signal : (status >> 8) & 0xff);
	json_key(w, "signal");
	json_u64(w, signal);
	json_key(w, "core_dumped");
	json_bool(w, flags & RECORD_F_CORE_DUMPED);
	json_key(w, "oom_killed");
	json_bool(w, flags & RECORD_F_OOM_KILLED);
	json_object_end(w);
}

void event_json_encode(struct json_writer *w, const struct event *ev, const char *hostname)
{
	encode_preamble(w, ev->boot_ns, event_kind_name(ev->kind), ev->seq, hostname);
	encode_container(w, ev->container, ev->enrichment ? ev->enrichment->meta : NULL);
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

static const char *const record_names[RECORD_TYPE_MAX] = {
    [RECORD_CGROUP_MKDIR] = "cgroup_mkdir", [RECORD_CONTAINER_START] = "container_start",
    [RECORD_PROCESS_EXEC] = "process_exec", [RECORD_CONTAINER_EXIT] = "container_exit",
    [RECORD_CGROUP_RMDIR] = "cgroup_rmdir",
};

static void encode_count(struct json_writer *w, const char *key, uint64_t n, uint64_t *total)
{
	json_key(w, key);
	json_u64(w, n);
	*total += n;
}

void event_json_encode_lost(struct json_writer *w, uint64_t boot_ns, const struct loss_counts *lost,
			    const char *hostname)
{
	uint64_t total = 0;

	encode_preamble(w, boot_ns, "ctrwatch_lost", 0, hostname);
	json_key(w, "lost");
	json_object_begin(w);
	for (int type = 0; type < RECORD_TYPE_MAX; type++)
		if (record_names[type])
			encode_count(w, record_names[type], lost->ringbuf_full[type], &total);
	encode_count(w, "untracked", lost->untracked, &total);
	encode_count(w, "malformed", lost->malformed, &total);
	encode_count(w, "no_memory", lost->no_memory, &total);
	encode_count(w, "unwritten", lost->unwritten, &total);
	json_key(w, "total");
	json_u64(w, total);
	json_object_end(w);
	json_object_end(w);
	json_newline(w);
}

void event_json_encode_pressure(struct json_writer *w, uint64_t boot_ns,
				const struct pressure_counts *pressure, const char *hostname)
{
	encode_preamble(w, boot_ns, "ctrwatch_pressure", 0, hostname);
	json_key(w, "pressure");
	json_object_begin(w);
	json_key(w, "lookalikes_forgotten");
	json_u64(w, pressure->lookalikes_forgotten);
	json_key(w, "lookups_shed");
	json_u64(w, pressure->lookups_shed);
	json_key(w, "readmitted");
	json_u64(w, pressure->readmitted);
	json_object_end(w);
	json_object_end(w);
	json_newline(w);
}
