// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* containerd API calls: protobuf-c messages (proto/containerd.proto) over grpc_unary. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "enrich/containerd_client.h"
#include "enrich/grpc_unary.h"
#include "proto/containerd.pb-c.h"

#define SVC "/containerd.services."

struct containerd_client {
	struct grpc_unary_channel *ch;
	int timeout_ms;
};

struct containerd_client *containerd_client_open(const char *socket_path, int timeout_ms)
{
	struct containerd_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->timeout_ms = timeout_ms;
	c->ch = grpc_unary_open(socket_path);
	if (!c->ch) {
		free(c);
		return NULL;
	}
	return c;
}

void containerd_client_close(struct containerd_client *c)
{
	if (!c)
		return;
	grpc_unary_close(c->ch);
	free(c);
}

void containerd_free_strings(char **s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i]);
	free(s);
}

/* Packs req, calls, unpacks the reply with desc. Returns 0 or -errno with err filled. */
static int call(struct containerd_client *c, const char *method, const char *ns,
		const ProtobufCMessage *req, const ProtobufCMessageDescriptor *desc,
		ProtobufCMessage **reply, char *err)
{
	size_t len = protobuf_c_message_get_packed_size(req);
	uint8_t *buf = malloc(len ? len : 1);
	struct grpc_unary_result res;
	const char *short_name = strrchr(method, '.') ? strrchr(method, '.') + 1 : method;
	int rc;

	*reply = NULL;
	if (!buf)
		return -ENOMEM;
	protobuf_c_message_pack(req, buf);
	rc = grpc_unary_call(c->ch, method, ns, buf, len, c->timeout_ms, &res);
	free(buf);
	if (rc) {
		snprintf(err, CONTAINERD_ERROR_MAX, "%s: %s", short_name,
			 res.error[0] ? res.error : strerror(-rc));
		return rc;
	}
	*reply = protobuf_c_message_unpack(desc, NULL, res.len, res.data);
	free(res.data);
	if (!*reply) {
		snprintf(err, CONTAINERD_ERROR_MAX, "%s: undecodable reply", short_name);
		return -EPROTO;
	}
	return 0;
}

int containerd_version(struct containerd_client *c, char *version, size_t size, char *err)
{
	Ctrwatch__Containerd__Empty req = CTRWATCH__CONTAINERD__EMPTY__INIT;
	Ctrwatch__Containerd__VersionResponse *resp;
	int rc;

	rc = call(c, SVC "version.v1.Version/Version", NULL, &req.base,
		  &ctrwatch__containerd__version_response__descriptor, (ProtobufCMessage **)&resp,
		  err);
	if (rc)
		return rc;
	snprintf(version, size, "%s", resp->version);
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return 0;
}

static int copy_strings(char **src, size_t n, char ***out)
{
	*out = calloc(n ? n : 1, sizeof(char *));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		(*out)[i] = strdup(src[i]);
		if (!(*out)[i]) {
			containerd_free_strings(*out, i);
			return -ENOMEM;
		}
	}
	return 0;
}

int containerd_list_namespaces(struct containerd_client *c, char ***names, size_t *n, char *err)
{
	Ctrwatch__Containerd__ListNamespacesRequest req =
	    CTRWATCH__CONTAINERD__LIST_NAMESPACES_REQUEST__INIT;
	Ctrwatch__Containerd__ListNamespacesResponse *resp;
	char **tmp;
	int rc;

	rc = call(c, SVC "namespaces.v1.Namespaces/List", NULL, &req.base,
		  &ctrwatch__containerd__list_namespaces_response__descriptor,
		  (ProtobufCMessage **)&resp, err);
	if (rc)
		return rc;
	tmp = calloc(resp->n_namespaces ? resp->n_namespaces : 1, sizeof(char *));
	for (size_t i = 0; tmp && i < resp->n_namespaces; i++)
		tmp[i] = resp->namespaces[i]->name;
	rc = tmp ? copy_strings(tmp, resp->n_namespaces, names) : -ENOMEM;
	*n = rc ? 0 : resp->n_namespaces;
	free(tmp);
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return rc;
}

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
	memset(m, 0, sizeof(*m));
	m->namespace = strdup(ns);
	m->image = ct->image && *ct->image ? strdup(ct->image) : NULL;
	m->runtime_handler = ct->runtime && *ct->runtime->name ? strdup(ct->runtime->name) : NULL;
	m->cgroups_path = spec_cgroups_path(ct->spec);
	if (ct->created_at && ct->created_at->seconds > 0)
		m->created_ns = (uint64_t)ct->created_at->seconds * 1000000000ull +
				(uint64_t)ct->created_at->nanos;
	m->labels = calloc(ct->n_labels ? ct->n_labels : 1, sizeof(*m->labels));
	if (!m->namespace || !m->labels)
		return -ENOMEM;
	for (size_t i = 0; i < ct->n_labels; i++) {
		m->labels[i].key = strdup(ct->labels[i]->key);
		m->labels[i].value = strdup(ct->labels[i]->value);
		m->n_labels++;
		if (!m->labels[i].key || !m->labels[i].value)
			return -ENOMEM;
	}
	return container_meta_apply_labels(m, ct->id);
}

int containerd_get_container(struct containerd_client *c, const char *ns, const char *id,
			     struct container_meta *m, char *err)
{
	Ctrwatch__Containerd__GetContainerRequest req =
	    CTRWATCH__CONTAINERD__GET_CONTAINER_REQUEST__INIT;
	Ctrwatch__Containerd__GetContainerResponse *resp;
	int rc;

	memset(m, 0, sizeof(*m));
	req.id = (char *)id;
	rc = call(c, SVC "containers.v1.Containers/Get", ns, &req.base,
		  &ctrwatch__containerd__get_container_response__descriptor,
		  (ProtobufCMessage **)&resp, err);
	if (rc)
		return rc;
	if (!resp->container) {
		snprintf(err, CONTAINERD_ERROR_MAX, "Get: empty reply");
		rc = -EPROTO;
	} else {
		rc = fill_meta(resp->container, ns, m);
		if (rc)
			container_meta_free(m);
	}
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return rc;
}

int containerd_get_image_digest(struct containerd_client *c, const char *ns, const char *image,
				char **digest, char *err)
{
	Ctrwatch__Containerd__GetImageRequest req = CTRWATCH__CONTAINERD__GET_IMAGE_REQUEST__INIT;
	Ctrwatch__Containerd__GetImageResponse *resp;
	int rc;

	req.name = (char *)image;
	rc = call(c, SVC "images.v1.Images/Get", ns, &req.base,
		  &ctrwatch__containerd__get_image_response__descriptor, (ProtobufCMessage **)&resp,
		  err);
	if (rc)
		return rc;
	if (resp->image && resp->image->target && *resp->image->target->digest) {
		*digest = strdup(resp->image->target->digest);
		rc = *digest ? 0 : -ENOMEM;
	} else {
		snprintf(err, CONTAINERD_ERROR_MAX, "Images/Get: no target digest");
		rc = -EPROTO;
	}
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return rc;
}

int containerd_get_task(struct containerd_client *c, const char *ns, const char *id,
			unsigned int *pid, unsigned int *status, char *err)
{
	Ctrwatch__Containerd__GetTaskRequest req = CTRWATCH__CONTAINERD__GET_TASK_REQUEST__INIT;
	Ctrwatch__Containerd__GetTaskResponse *resp;
	int rc;

	req.container_id = (char *)id;
	rc = call(c, SVC "tasks.v1.Tasks/Get", ns, &req.base,
		  &ctrwatch__containerd__get_task_response__descriptor, (ProtobufCMessage **)&resp,
		  err);
	if (rc)
		return rc;
	*pid = resp->process ? resp->process->pid : 0;
	*status = resp->process ? resp->process->status : 0;
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return 0;
}
