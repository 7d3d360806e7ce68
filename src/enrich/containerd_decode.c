// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Decoding containerd's replies: untrusted bytes (a container's labels and spec are the user's). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "enrich/containerd_client.h"
#include "enrich/containerd_decode.h"
#include "proto/containerd.pb-c.h"

/* linux.cgroupsPath from the OCI spec, which containerd stores as JSON in an Any. */
static char *spec_cgroups_path(const Ctrwatch__Containerd__Any *spec)
{
	json_t *root, *path;
	char *out = NULL;

	if (!spec || !spec->value.data)
		return NULL;
	root = json_loadb((const char *)spec->value.data, spec->value.len, 0, NULL);
	path = json_object_get(json_object_get(root, "linux"), "cgroupsPath");
	if (json_is_string(path))
		out = strdup(json_string_value(path));
	json_decref(root);
	return out;
}

static int fill_meta(const Ctrwatch__Containerd__Container *ct, const char *ns,
		     struct container_meta *m)
{
	m->namespace = strdup(ns);
	m->image = ct->image && *ct->image ? strdup(ct->image) : NULL;
	m->runtime_handler = ct->runtime && *ct->runtime->name ? strdup(ct->runtime->name) : NULL;
	m->cgroups_path = spec_cgroups_path(ct->spec);
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
	return container_meta_apply_labels(m, ct->id);
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
