// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "output/event_declared.h"
#include "output/event_fields.h"

uint32_t event_exit_signal(uint32_t wait_status)
{
	return wait_status & 0x7f;
}

uint32_t event_exit_code(uint32_t wait_status)
{
	uint32_t signal = event_exit_signal(wait_status);

	return signal ? 128 + signal : (wait_status >> 8) & 0xff;
}

const char *event_runtime_name(const struct container *c, const struct container_meta *m)
{
	if (m && c->ident.runtime == RUNTIME_UNKNOWN)
		return container_runtime_name(RUNTIME_CONTAINERD);
	return container_runtime_name(c->ident.runtime);
}

const char *event_pod_uid(const struct container *c, const struct enrichment *e)
{
	const struct container_meta *m = e ? e->meta : NULL;

	if (m && m->pod_uid)
		return m->pod_uid;
	if (e && e->state == ENRICHMENT_MISMATCH)
		return NULL;
	return c->ident.pod_uid[0] ? c->ident.pod_uid : NULL;
}

const char *event_enrichment_error(const struct enrichment *e)
{
	if (!e || (e->state != ENRICHMENT_PARTIAL && e->state != ENRICHMENT_MISMATCH))
		return NULL;
	return e->error;
}

const char *event_enrichment_name(const struct enrichment *e)
{
	switch (e ? e->state : ENRICHMENT_NONE) {
	case ENRICHMENT_PARTIAL: return "partial";
	case ENRICHMENT_COMPLETE: return "complete";
	case ENRICHMENT_MISMATCH: return "mismatch";
	case ENRICHMENT_UNKNOWN:
	case ENRICHMENT_NONE: break;
	}
	return "none";
}

const struct container_declared *event_declared(const struct event *ev)
{
	const struct container_meta *m = event_meta(ev);

	/* an impostor's program is compared with nobody's word: the claimed one's is not its */
	return m && ev->kind != EVENT_CGROUP_IMPOSTOR ? &m->declared : NULL;
}

const struct container_meta *event_meta(const struct event *ev)
{
	return ev->enrichment ? ev->enrichment->meta : NULL;
}

static size_t bounded_len(const char *s, size_t max)
{
	const char *nul = memchr(s, '\0', max);

	return nul ? (size_t)(nul - s) : max;
}

size_t event_comm_len(const struct record_process *p)
{
	return bounded_len(p->comm, COMM_LEN);
}

size_t event_parent_comm_len(const struct record_process *p)
{
	return bounded_len(p->parent_comm, COMM_LEN);
}

size_t event_exe_len(const struct record_process *p)
{
	return bounded_len(p->exe, p->exe_len < EXE_PATH_MAX ? p->exe_len : EXE_PATH_MAX);
}

const char *event_exe_base(const struct record_process *p, size_t *len)
{
	size_t n = event_exe_len(p), start = n;

	while (start > 0 && p->exe[start - 1] != '/')
		start--;
	*len = n - start;
	return p->exe + start;
}

static size_t args_len(const struct record_process *p)
{
	return p->args_len < ARGS_MAX ? p->args_len : ARGS_MAX;
}

void event_json_args(struct json_writer *w, const struct record_process *p)
{
	size_t len = args_len(p);

	json_array_begin(w);
	for (size_t i = 0; i < len;) {
		size_t n = bounded_len(p->args + i, len - i);

		json_string_len(w, p->args + i, n);
		i += n + 1;
	}
	json_array_end(w);
}

void event_json_parent(struct json_writer *w, const char *key, const struct record_process *p)
{
	json_key(w, key);
	json_object_begin(w);
	json_member_u64(w, "pid", p->ppid);
	json_key(w, "name");
	json_string_len(w, p->parent_comm, event_parent_comm_len(p));
	json_object_end(w);
}

unsigned int event_args_count(const struct record_process *p)
{
	size_t len = args_len(p);
	unsigned int count = 0;

	for (size_t i = 0; i < len; count++)
		i += bounded_len(p->args + i, len - i) + 1;
	return count;
}

void event_json_labels(struct json_writer *w, const struct container_meta *m)
{
	json_object_begin(w);
	for (size_t i = 0; i < m->n_labels; i++) {
		json_key(w, m->labels[i].key);
		json_string(w, m->labels[i].value);
	}
	json_object_end(w);
}

static const char *const record_names[RECORD_TYPE_MAX] = {
    [RECORD_CGROUP_MKDIR] = "cgroup_mkdir", [RECORD_CONTAINER_START] = "container_start",
    [RECORD_PROCESS_EXEC] = "process_exec", [RECORD_CONTAINER_EXIT] = "container_exit",
    [RECORD_CGROUP_RMDIR] = "cgroup_rmdir", [RECORD_CONTAINER_FREEZE] = "container_freeze",
};

size_t event_lost_counters(const struct loss_counts *lost, struct event_counter *out,
			   uint64_t *total)
{
	size_t n = 0;

	for (int type = 0; type < RECORD_TYPE_MAX; type++)
		if (record_names[type])
			out[n++] =
			    (struct event_counter){record_names[type], lost->ringbuf_full[type]};
	out[n++] = (struct event_counter){"untracked", lost->untracked};
	out[n++] = (struct event_counter){"malformed", lost->malformed};
	out[n++] = (struct event_counter){"no_memory", lost->no_memory};
	out[n++] = (struct event_counter){"unwritten", lost->unwritten};
	*total = 0;
	for (size_t i = 0; i < n; i++)
		*total += out[i].n;
	return n;
}

size_t event_pressure_counters(const struct pressure_counts *p, struct event_counter *out)
{
	out[0] = (struct event_counter){"lookalikes_forgotten", p->lookalikes_forgotten};
	out[1] = (struct event_counter){"lookups_shed", p->lookups_shed};
	out[2] = (struct event_counter){"readmitted", p->readmitted};
	out[3] = (struct event_counter){"aliases_refused", p->aliases_refused};
	out[4] = (struct event_counter){"readmissions", p->readmissions};
	out[5] = (struct event_counter){"readmissions_refused", p->readmissions_refused};
	out[6] = (struct event_counter){"creator_quota_refused", p->creator_quota_refused};
	out[7] = (struct event_counter){"creator_rate_refused", p->creator_rate_refused};
	return 8;
}

void event_json_counters(struct json_writer *w, const char *key, const struct event_counter *c,
			 size_t n, const uint64_t *total)
{
	json_key(w, key);
	json_object_begin(w);
	for (size_t i = 0; i < n; i++)
		json_member_u64(w, c[i].name, c[i].n);
	if (total)
		json_member_u64(w, "total", *total);
	json_object_end(w);
}

const char *heartbeat_engine_name(enum heartbeat_engine engine)
{
	static const char *const names[HEARTBEAT_ENGINES] = {"containerd", "docker", "podman",
							     "crio"};

	return names[engine];
}

static void since_and_total(struct json_writer *w, const char *key, uint64_t since, uint64_t total)
{
	json_key(w, key);
	json_object_begin(w);
	json_member_u64(w, "since_last", since);
	json_member_u64(w, "total", total);
	json_object_end(w);
}

void event_json_heartbeat(struct json_writer *w, const char *key, const struct heartbeat *hb)
{
	json_key(w, key);
	json_object_begin(w);
	json_member_string(w, "version", hb->version);
	json_member_string(w, "kernel", hb->kernel_release);
	json_member_u64(w, "interval_s", hb->interval_s);
	json_member_u64(w, "uptime_s", hb->uptime_s);
	json_member_u64(w, "containers", hb->containers);
	since_and_total(w, "events_written", hb->written, hb->written_total);
	since_and_total(w, "lost", hb->lost, hb->lost_total);
	json_member_u64(w, "reader_lag_ms", hb->reader_lag_ms);
	json_member_u64(w, "output_stalled_ms", hb->output_stalled_ms);
	json_key(w, "engines");
	json_object_begin(w);
	for (int i = 0; i < HEARTBEAT_ENGINES; i++)
		json_member_string(w, heartbeat_engine_name(i), hb->engines[i]);
	json_object_end(w);
	json_member_bool(w, "pinned", hb->pinned);
	json_object_end(w);
}

void event_json_exit_flags(struct json_writer *w, uint32_t flags)
{
	json_member_bool(w, "core_dumped", flags & RECORD_F_CORE_DUMPED);
	json_member_bool(w, "oom_killed", flags & RECORD_F_OOM_KILLED);
	json_member_bool(w, "entrypoint_ran", !(flags & RECORD_F_NEVER_STARTED));
}

const struct cgroup_keys cgroup_keys_flat = {"cgroup_id", "cgroup_path", "cgroup_path_truncated",
					     "cgroup_owner_uid"};
const struct cgroup_keys cgroup_keys_nested = {"id", "path", "path_truncated", "owner_uid"};

void event_json_cgroup_members(struct json_writer *w, const struct container *c,
			       const struct cgroup_keys *keys)
{
	json_member_u64(w, keys->id, c->cgroup_id);
	json_member_string(w, keys->path, c->cgroup_path);
	if (c->cgroup_path_truncated)
		json_member_bool(w, keys->path_truncated, true);
	if (c->ident.user_owned)
		json_member_u64(w, keys->owner_uid, c->ident.owner_uid);
}

void event_json_impostor_members(struct json_writer *w, const struct event *ev)
{
	const struct container *c = ev->container;
	const struct enrichment_claim *claim = ev->enrichment ? ev->enrichment->claim : NULL;

	json_member_string(w, "claimed_container_id", c->ident.id);
	event_json_cgroup_members(w, c, &cgroup_keys_flat);
	if (claim) {
		json_member_string(w, "claimed_by_engine", claim->engine);
		json_member_string(w, "claimed_by_namespace",
				   claim->namespace[0] ? claim->namespace : NULL);
		json_member_string(w, "claimed_cgroups_path", claim->cgroups_path);
	}
	if (ev->process)
		json_member_bool(w, "args_truncated", ev->process->hdr.flags & RECORD_F_TRUNCATED);
}

void event_json_addresses(struct json_writer *w, const char *key,
			  const struct container_addresses *a)
{
	char text[ADDRESS_TEXT_MAX];

	if (!a->n)
		return;
	json_key(w, key);
	json_array_begin(w);
	for (uint8_t i = 0; i < a->n; i++) {
		addresses_format(&a->addr[i], text);
		json_string(w, text);
	}
	json_array_end(w);
}

void event_json_capabilities(struct json_writer *w, const char *key, uint64_t caps)
{
	char buf[16];

	json_key(w, key);
	json_array_begin(w);
	for (unsigned int cap = 0; cap < 64; cap++)
		if (caps & (1ull << cap))
			json_string(w, posture_cap_name(cap, buf, sizeof(buf)));
	json_array_end(w);
}

void event_json_posture(struct json_writer *w, const char *key, const struct record_process *p,
			const struct container_declared *declared)
{
	const struct record_posture *pos = &p->posture;

	if (!posture_known(p))
		return;
	json_key(w, key);
	json_object_begin(w);
	json_member_u64(w, "euid", pos->euid);
	json_member_u64(w, "egid", pos->egid);
	json_key(w, "capabilities");
	json_object_begin(w);
	event_json_capabilities(w, "effective", pos->cap_effective);
	event_json_capabilities(w, "permitted", pos->cap_permitted);
	event_json_capabilities(w, "bounding", pos->cap_bounding);
	json_object_end(w);
	json_member_bool(w, "privileged", posture_privileged(pos));
	if (pos->flags & POSTURE_HOST_FOUND) {
		json_key(w, "host_namespaces");
		json_array_begin(w);
		for (int ns = 0; ns < RECORD_NS_KINDS; ns++)
			if (posture_host_ns(pos, ns))
				json_string(w, posture_ns_name(ns));
		json_array_end(w);
	}
	json_member_string(w, "seccomp", posture_seccomp_name(pos->seccomp_mode));
	json_member_bool(w, "no_new_privs", pos->flags & POSTURE_NO_NEW_PRIVS);
	event_json_undeclared(w, "undeclared", p, declared);
	json_object_end(w);
}
