// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Decoding a CRI runtime's replies: untrusted bytes (labels, names and specs are the user's). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ctrwatch_records.h"
#include "enrich/addresses.h"
#include "enrich/cri_decode.h"
#include "enrich/declared_decode.h"
#include "proto/cri.pb-c.h"

/*
 * What a runtime's verbose info["info"] JSON says: its spec's cgroupsPath, its sandbox's id, and
 * what its spec lets it do.
 */
struct verbose_info {
	char *cgroups_path;
	char *sandbox_id;
	struct container_declared declared;
};

static char *dup_json_string(json_t *v)
{
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

/*
 * Privileged as the runtime recorded the kubelet's request: CRI-O's info.privileged,
 * containerd's CRI's info.config.linux.security_context.privileged (its sandbox's:
 * info.config.linux.security_context.privileged too). The spec's word stands without it.
 */
static void cri_privileged(json_t *root, struct container_declared *d)
{
	json_t *p = json_object_get(root, "privileged");

	if (!json_is_boolean(p))
		p = json_object_get(
		    json_object_get(json_object_get(json_object_get(root, "config"), "linux"),
				    "security_context"),
		    "privileged");
	if (json_is_boolean(p) && d->known)
		d->privileged = json_is_true(p) ? DECLARED_YES : DECLARED_NO;
}

/* The verbose info["info"] JSON (NULL: not verbose, or no such entry). */
static int parse_info(const char *json, struct verbose_info *out)
{
	json_t *root;
	int rc;

	if (!json)
		return 0;
	root = json_loads(json, 0, NULL);
	/* containerd's CRI and CRI-O both name them so (crictl inspect reads the same) */
	out->cgroups_path = dup_json_string(json_object_get(
	    json_object_get(json_object_get(root, "runtimeSpec"), "linux"), "cgroupsPath"));
	out->sandbox_id = dup_json_string(json_object_get(root, "sandboxID"));
	rc = declared_from_oci_spec(json_object_get(root, "runtimeSpec"), &out->declared);
	if (!rc)
		cri_privileged(root, &out->declared);
	json_decref(root);
	return rc;
}

/*
 * A verbose reply's info["info"], parsed into out. info is a map: of an "info" entry given twice
 * the last counts. Both replies carry it as an entry type of their own, alike in shape: hence a
 * macro, not a function. rc_: 0 or -ENOMEM.
 */
#define PARSE_VERBOSE_INFO(resp, out, rc_)                                                         \
	do {                                                                                       \
		const char *json_ = NULL;                                                          \
                                                                                                   \
		for (size_t i_ = 0; i_ < (resp)->n_info; i_++)                                     \
			if ((resp)->info[i_]->key && !strcmp((resp)->info[i_]->key, "info"))       \
				json_ = (resp)->info[i_]->value;                                   \
		rc_ = parse_info(json_, (out));                                                    \
	} while (0)

/* "repo@sha256:…" or a bare "sha256:…" (an image id where the image has no repo digest). */
static char *digest_of(const char *image_ref)
{
	const char *at = image_ref ? strrchr(image_ref, '@') : NULL;

	if (at && at[1])
		return strdup(at + 1);
	if (image_ref && !strncmp(image_ref, "sha256:", 7))
		return strdup(image_ref);
	return NULL;
}

static char *dup_nonempty(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* Room for n labels (bounded as container_meta_add_label bounds them). */
static int alloc_labels(struct container_meta *m, size_t n)
{
	m->labels = calloc(n < LABELS_MAX ? n + 1 : LABELS_MAX, sizeof(*m->labels));
	return m->labels ? 0 : -ENOMEM;
}

static int fill_container(const Runtime__V1__ContainerStatusResponse *resp,
			  struct container_meta *m, char **sandbox_id)
{
	const Runtime__V1__ContainerStatus *st = resp->status;
	struct verbose_info info = {0};
	int rc;

	PARSE_VERBOSE_INFO(resp, &info, rc);
	m->cgroups_path = info.cgroups_path;
	*sandbox_id = info.sandbox_id;
	m->declared = info.declared;
	if (rc)
		return rc;
	m->name = st->metadata ? dup_nonempty(st->metadata->name) : NULL;
	m->image = st->image ? dup_nonempty(st->image->image) : NULL;
	m->image_digest = digest_of(st->image_ref);
	if (st->created_at > 0)
		m->created_ns = (uint64_t)st->created_at;
	rc = alloc_labels(m, st->n_labels);
	for (size_t i = 0; !rc && i < st->n_labels; i++)
		rc = container_meta_add_label(m, st->labels[i]->key, st->labels[i]->value);
	if (!rc)
		rc = container_meta_finish_labels(m); /* a map: the last of a key twice counts */
	if (!rc)
		rc = container_meta_apply_labels(m, st->id);
	return rc;
}

int cri_decode_container_status(const uint8_t *data, size_t len, struct container_meta *m,
				char **sandbox_id, char *err)
{
	Runtime__V1__ContainerStatusResponse *resp;
	int rc;

	memset(m, 0, sizeof(*m));
	*sandbox_id = NULL;
	resp = runtime__v1__container_status_response__unpack(NULL, len, data);
	if (!resp) {
		snprintf(err, CRI_ERROR_MAX, "ContainerStatus: undecodable reply");
		return -EPROTO;
	}
	if (!resp->status || !resp->status->id) {
		snprintf(err, CRI_ERROR_MAX, "ContainerStatus: empty reply");
		rc = -EPROTO;
	} else {
		rc = fill_container(resp, m, sandbox_id);
		if (rc) {
			snprintf(err, CRI_ERROR_MAX, "ContainerStatus: %s", strerror(-rc));
			container_meta_free(m);
			free(*sandbox_id);
			*sandbox_id = NULL;
		}
	}
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return rc;
}

static int set_string(char **field, const char *value)
{
	free(*field);
	*field = dup_nonempty(value);
	return value && *value && !*field ? -ENOMEM : 0;
}

/* The pod, as the sandbox's metadata says (the kubelet's labels on a container may say more). */
static int fill_pod(const Runtime__V1__PodSandboxStatus *st, struct container_meta *m)
{
	const Runtime__V1__PodSandboxMetadata *md = st->metadata;
	int rc = 0;

	if (md && md->name && *md->name)
		rc = set_string(&m->pod_name, md->name);
	if (!rc && md && md->namespace_ && *md->namespace_)
		rc = set_string(&m->pod_namespace, md->namespace_);
	if (!rc && md && md->uid && *md->uid)
		rc = set_string(&m->pod_uid, md->uid);
	if (!rc && st->runtime_handler && *st->runtime_handler)
		rc = set_string(&m->runtime_handler, st->runtime_handler);
	return rc;
}

/* A kind of namespace the container's own declaration left unsaid takes the pod's mode. */
static void declare_pod_namespace(struct container_declared *d, unsigned int kind,
				  Runtime__V1__NamespaceMode mode)
{
	uint8_t bit = (uint8_t)(1u << kind);

	if (d->ns_known & bit)
		return;
	d->known = true;
	d->ns_known |= bit;
	if (mode == RUNTIME__V1__NAMESPACE_MODE__NODE)
		d->host_ns |= bit;
}

/*
 * The pod's network: its addresses (what does not parse as one is left out) and its
 * namespaces' modes. Nothing is said of a reply without them.
 */
static void fill_network(const Runtime__V1__PodSandboxStatus *st, struct container_meta *m)
{
	const Runtime__V1__NamespaceOption *opts = NULL;

	if (st->network) {
		addresses_add(&m->addresses, st->network->ip);
		for (size_t i = 0; i < st->network->n_additional_ips; i++)
			addresses_add(&m->addresses, st->network->additional_ips[i]->ip);
	}
	if (st->linux && st->linux->namespaces)
		opts = st->linux->namespaces->options;
	if (!opts)
		return;
	declare_pod_namespace(&m->declared, RECORD_NS_NET, opts->network);
	declare_pod_namespace(&m->declared, RECORD_NS_PID, opts->pid);
	declare_pod_namespace(&m->declared, RECORD_NS_IPC, opts->ipc);
}

static int fill_sandbox(const Runtime__V1__PodSandboxStatusResponse *resp, struct container_meta *m)
{
	const Runtime__V1__PodSandboxStatus *st = resp->status;
	struct verbose_info info = {0};
	int rc;

	PARSE_VERBOSE_INFO(resp, &info, rc);
	free(info.sandbox_id);
	m->cgroups_path = info.cgroups_path;
	m->declared = info.declared;
	if (rc)
		return rc;
	m->sandbox = true;
	if (st->created_at > 0)
		m->created_ns = (uint64_t)st->created_at;
	rc = alloc_labels(m, st->n_labels);
	for (size_t i = 0; !rc && i < st->n_labels; i++)
		rc = container_meta_add_label(m, st->labels[i]->key, st->labels[i]->value);
	if (!rc)
		rc = container_meta_finish_labels(m);
	if (!rc)
		rc = fill_pod(st, m);
	if (!rc)
		rc = set_string(&m->name, st->metadata ? st->metadata->name : NULL);
	if (!rc && !m->name)
		m->name = strdup(st->id);
	return rc ? rc : m->name ? 0 : -ENOMEM;
}

static int fill_part(const Runtime__V1__PodSandboxStatusResponse *resp, struct container_meta *m,
		     enum cri_sandbox_part part)
{
	int rc = 0;

	if (part == CRI_SANDBOX_ITSELF)
		rc = fill_sandbox(resp, m);
	else if (part == CRI_SANDBOX_POD)
		rc = fill_pod(resp->status, m);
	if (!rc)
		fill_network(resp->status, m);
	return rc;
}

int cri_decode_sandbox_status(const uint8_t *data, size_t len, struct container_meta *m,
			      enum cri_sandbox_part part, char *err)
{
	Runtime__V1__PodSandboxStatusResponse *resp;
	int rc;

	if (part == CRI_SANDBOX_ITSELF)
		memset(m, 0, sizeof(*m));
	resp = runtime__v1__pod_sandbox_status_response__unpack(NULL, len, data);
	if (!resp) {
		snprintf(err, CRI_ERROR_MAX, "PodSandboxStatus: undecodable reply");
		return -EPROTO;
	}
	if (!resp->status || !resp->status->id)
		rc = -EPROTO;
	else
		rc = fill_part(resp, m, part);
	if (rc) {
		snprintf(err, CRI_ERROR_MAX, "PodSandboxStatus: %s",
			 rc == -EPROTO ? "empty reply" : strerror(-rc));
		if (part == CRI_SANDBOX_ITSELF)
			container_meta_free(m);
	}
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return rc;
}
