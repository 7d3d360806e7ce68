// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Decoding containerd's replies: untrusted bytes (a container's labels and spec are the user's). */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "enrich/containerd_client.h"
#include "enrich/containerd_decode.h"
#include "enrich/declared_decode.h"
#include "proto/containerd.pb-c.h"

/*
 * What containerd's CRI plugin records of a pod in the container's OCI spec annotations, from
 * the sandbox's metadata every CRI client sets (labels are the kubelet's habit, not every
 * client's), and the container's name from its metadata. The plugin writes them after a
 * client's own annotations: the runtime's record, which wins over the labels. And the
 * sandbox's id, for the pod's network (its CRI's PodSandboxStatus).
 */
static const struct {
	const char *key;
	size_t field; /* offset in struct container_meta of a char * */
} cri_annotations[] = {
    {"io.kubernetes.cri.sandbox-name", offsetof(struct container_meta, pod_name)},
    {"io.kubernetes.cri.sandbox-namespace", offsetof(struct container_meta, pod_namespace)},
    {"io.kubernetes.cri.sandbox-uid", offsetof(struct container_meta, pod_uid)},
    {"io.kubernetes.cri.container-name", offsetof(struct container_meta, name)},
    {"io.kubernetes.cri.sandbox-id", offsetof(struct container_meta, pod_sandbox_id)},
};

/* The annotations above, when present, in place of what the labels gave. */
static int apply_cri_annotations(json_t *annotations, struct container_meta *m)
{
	for (size_t i = 0; i < sizeof(cri_annotations) / sizeof(cri_annotations[0]); i++) {
		json_t *v = json_object_get(annotations, cri_annotations[i].key);
		char **field = (char **)((char *)m + cri_annotations[i].field);

		if (!json_is_string(v) || !*json_string_value(v))
			continue;
		free(*field);
		*field = strdup(json_string_value(v));
		if (!*field)
			return -ENOMEM;
	}
	return 0;
}

/*
 * From the OCI spec, which containerd stores as JSON in an Any: linux.cgroupsPath, the CRI
 * plugin's annotations (applied over what the labels said), and what the spec lets the container
 * do (declared_decode.h).
 */
static int apply_spec(const Ctrwatch__Containerd__Any *spec, struct container_meta *m)
{
	json_t *root, *path;
	int err = 0;

	if (!spec || !spec->value.data)
		return 0;
	root = json_loadb((const char *)spec->value.data, spec->value.len, 0, NULL);
	path = json_object_get(json_object_get(root, "linux"), "cgroupsPath");
	if (json_is_string(path)) {
		m->cgroups_path = strdup(json_string_value(path));
		err = m->cgroups_path ? 0 : -ENOMEM;
	}
	if (!err)
		err = apply_cri_annotations(json_object_get(root, "annotations"), m);
	if (!err)
		err = declared_from_oci_spec(root, &m->declared);
	json_decref(root);
	return err;
}

static int fill_meta(const Ctrwatch__Containerd__Container *ct, const char *ns,
		     struct container_meta *m)
{
	int err;

	m->namespace = strdup(ns);
	m->image = ct->image && *ct->image ? strdup(ct->image) : NULL;
	m->runtime_handler = ct->runtime && *ct->runtime->name ? strdup(ct->runtime->name) : NULL;
	if (ct->created_at && ct->created_at->seconds > 0)
		m->created_ns = (uint64_t)ct->created_at->seconds * 1000000000ull +
				(uint64_t)ct->created_at->nanos;
	m->labels =
	    calloc(ct->n_labels < LABELS_MAX ? ct->n_labels + 1 : LABELS_MAX, sizeof(*m->labels));
	if (!m->namespace || !m->labels)
		return -ENOMEM;
	for (size_t i = 0; i < ct->n_labels; i++) {
		if (container_meta_add_label(m, ct->labels[i]->key, ct->labels[i]->value))
			return -ENOMEM;
	}
	if (container_meta_finish_labels(m))
		return -ENOMEM;
	err = container_meta_apply_labels(m, ct->id);
	return err ? err : apply_spec(ct->spec, m);
}

int containerd_decode_container_list(const uint8_t *data, size_t len, const char *ns,
				     containerd_cgroup_pick pick, void *ctx,
				     struct container_meta *m, char *id, size_t id_size, char *err)
{
	Ctrwatch__Containerd__ListContainersResponse *resp;
	int rc = -ENOENT;

	memset(m, 0, sizeof(*m));
	resp = ctrwatch__containerd__list_containers_response__unpack(NULL, len, data);
	if (!resp) {
		snprintf(err, CONTAINERD_ERROR_MAX, "List: undecodable reply");
		return -EPROTO;
	}
	for (size_t i = 0; i < resp->n_containers && rc == -ENOENT; i++) {
		rc = fill_meta(resp->containers[i], ns, m);
		if (!rc && pick(m->cgroups_path, ctx)) {
			snprintf(id, id_size, "%s", resp->containers[i]->id);
			break;
		}
		container_meta_free(m);
		memset(m, 0, sizeof(*m));
		if (rc) {
			snprintf(err, CONTAINERD_ERROR_MAX, "List: %s", strerror(-rc));
			break;
		}
		rc = -ENOENT;
	}
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return rc;
}

int containerd_decode_container(const uint8_t *data, size_t len, const char *ns,
				struct container_meta *m, char *err)
{
	Ctrwatch__Containerd__GetContainerResponse *resp;
	int rc;

	memset(m, 0, sizeof(*m));
	resp = ctrwatch__containerd__get_container_response__unpack(NULL, len, data);
	if (!resp) {
		snprintf(err, CONTAINERD_ERROR_MAX, "Get: undecodable reply");
		return -EPROTO;
	}
	if (!resp->container) {
		snprintf(err, CONTAINERD_ERROR_MAX, "Get: empty reply");
		rc = -EPROTO;
	} else {
		rc = fill_meta(resp->container, ns, m);
		if (rc) {
			snprintf(err, CONTAINERD_ERROR_MAX, "Get: %s", strerror(-rc));
			container_meta_free(m);
		}
	}
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return rc;
}
