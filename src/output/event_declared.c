// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* An engine's declaration and what a process held beyond it, as JSON (event_declared.h). */
#include "lifecycle/posture.h"
#include "output/event_declared.h"
#include "output/event_fields.h"

static void member_tri(struct json_writer *w, const char *key, enum declared_tri v)
{
	if (v != DECLARED_UNKNOWN)
		json_member_bool(w, key, v == DECLARED_YES);
}

static void ns_names(struct json_writer *w, const char *key, uint8_t bits)
{
	json_key(w, key);
	json_array_begin(w);
	for (int ns = 0; ns < RECORD_NS_KINDS; ns++)
		if (bits & (1u << ns))
			json_string(w, posture_ns_name(ns));
	json_array_end(w);
}

static void mounts(struct json_writer *w, const struct container_declared *d)
{
	json_key(w, "mounts");
	json_array_begin(w);
	for (size_t i = 0; i < d->n_mounts; i++) {
		json_object_begin(w);
		json_member_string(w, "source", d->mounts[i].source);
		json_member_string(w, "destination", d->mounts[i].destination);
		json_member_bool(w, "read_only", d->mounts[i].read_only);
		json_member_bool(w, "sensitive", d->mounts[i].sensitive);
		json_object_end(w);
	}
	json_array_end(w);
	if (d->mounts_truncated)
		json_member_bool(w, "mounts_truncated", true);
}

void event_json_declared(struct json_writer *w, const char *key, const struct container_declared *d)
{
	if (!d || !d->known)
		return;
	json_key(w, key);
	json_object_begin(w);
	member_tri(w, "privileged", d->privileged);
	if (d->caps_known)
		event_json_capabilities(w, "capabilities_added", d->caps_added);
	if (d->ns_known)
		ns_names(w, "host_namespaces", d->host_ns & d->ns_known);
	mounts(w, d);
	json_member_string(w, "seccomp", d->seccomp);
	json_member_string(w, "apparmor", d->apparmor);
	member_tri(w, "read_only_rootfs", d->read_only_rootfs);
	json_member_string(w, "user", d->user);
	member_tri(w, "user_namespace", d->user_namespace);
	json_object_end(w);
}

void event_json_undeclared(struct json_writer *w, const char *key, const struct record_process *p,
			   const struct container_declared *d)
{
	uint64_t caps;
	uint8_t host_ns;

	if (!d || !d->known || !posture_known(p) ||
	    !posture_undeclared(&p->posture, d->caps_known, d->caps, d->ns_known, d->host_ns, &caps,
				&host_ns))
		return;
	json_key(w, key);
	json_object_begin(w);
	if (caps)
		event_json_capabilities(w, "capabilities", caps);
	if (host_ns)
		ns_names(w, "host_namespaces", host_ns);
	json_object_end(w);
}
