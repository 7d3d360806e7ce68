// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* containerd API calls: protobuf-c messages (proto/containerd.proto) over grpc_unary. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/containerd_client.h"
#include "enrich/containerd_decode.h"
#include "enrich/grpc_unary.h"
#include "metrics/metrics.h"
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

pid_t containerd_peer_pid(const struct containerd_client *c)
{
	return c ? grpc_unary_peer_pid(c->ch) : 0;
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

static const struct {
	const char *method;
	enum metrics_containerd_call call;
} metrics_calls[] = {
    {SVC "version.v1.Version/Version", METRICS_CALL_VERSION},
    {SVC "namespaces.v1.Namespaces/List", METRICS_CALL_NAMESPACES_LIST},
    {SVC "containers.v1.Containers/Get", METRICS_CALL_CONTAINERS_GET},
    {SVC "containers.v1.Containers/List", METRICS_CALL_CONTAINERS_LIST},
    {SVC "images.v1.Images/Get", METRICS_CALL_IMAGES_GET},
    {SVC "tasks.v1.Tasks/Get", METRICS_CALL_TASKS_GET},
    {SVC "tasks.v1.Tasks/ListPids", METRICS_CALL_TASKS_LIST_PIDS},
};

/* A call's outcome for /metrics: "not found" is an answer too. */
static void count_call(const char *method, int rc)
{
	for (size_t i = 0; i < sizeof(metrics_calls) / sizeof(metrics_calls[0]); i++)
		if (!strcmp(method, metrics_calls[i].method))
			metrics_containerd_call(metrics_calls[i].call, rc == 0 || rc == -ENOENT);
}

/* Packs req and calls; *res holds the reply's bytes. Returns 0 or -errno with err filled. */
static int call_raw(struct containerd_client *c, const char *method, const char *ns,
		    const ProtobufCMessage *req, struct grpc_unary_result *res, char *err)
{
	size_t len = protobuf_c_message_get_packed_size(req);
	uint8_t *buf = malloc(len ? len : 1);
	const char *short_name = strrchr(method, '.') ? strrchr(method, '.') + 1 : method;
	int rc;

	if (!buf)
		return -ENOMEM;
	protobuf_c_message_pack(req, buf);
	rc = grpc_unary_call(c->ch, method, ns, buf, len, c->timeout_ms, res);
	free(buf);
	count_call(method, rc);
	if (rc)
		snprintf(err, CONTAINERD_ERROR_MAX, "%s: %s", short_name,
			 res->error[0] ? res->error : strerror(-rc));
	return rc;
}

/* call_raw(), then unpacks the reply with desc. */
static int call(struct containerd_client *c, const char *method, const char *ns,
		const ProtobufCMessage *req, const ProtobufCMessageDescriptor *desc,
		ProtobufCMessage **reply, char *err)
{
	const char *short_name = strrchr(method, '.') ? strrchr(method, '.') + 1 : method;
	struct grpc_unary_result res;
	int rc;

	*reply = NULL;
	rc = call_raw(c, method, ns, req, &res, err);
	if (rc)
		return rc;
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

int containerd_get_container(struct containerd_client *c, const char *ns, const char *id,
			     struct container_meta *m, char *err)
{
	Ctrwatch__Containerd__GetContainerRequest req =
	    CTRWATCH__CONTAINERD__GET_CONTAINER_REQUEST__INIT;
	struct grpc_unary_result res;
	int rc;

	memset(m, 0, sizeof(*m));
	req.id = (char *)id;
	rc = call_raw(c, SVC "containers.v1.Containers/Get", ns, &req.base, &res, err);
	if (rc)
		return rc;
	rc = containerd_decode_container(res.data, res.len, ns, m, err);
	free(res.data);
	return rc;
}

int containerd_find_container(struct containerd_client *c, const char *ns,
			      containerd_cgroup_pick pick, void *ctx, struct container_meta *m,
			      char *id, size_t id_size, char *err)
{
	Ctrwatch__Containerd__ListContainersRequest req =
	    CTRWATCH__CONTAINERD__LIST_CONTAINERS_REQUEST__INIT;
	struct grpc_unary_result res;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = call_raw(c, SVC "containers.v1.Containers/List", ns, &req.base, &res, err);
	if (rc)
		return rc;
	rc =
	    containerd_decode_container_list(res.data, res.len, ns, pick, ctx, m, id, id_size, err);
	free(res.data);
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

/* The exec a pid belongs to, from the info a runc shim attaches (ProcessDetails); "" if none. */
static void exec_id_in(const Ctrwatch__Containerd__ProcessInfo *p, char *exec_id, size_t size)
{
	Ctrwatch__Containerd__ProcessDetails *d;

	if (!p->info || !p->info->value.data)
		return;
	d = ctrwatch__containerd__process_details__unpack(NULL, p->info->value.len,
							  p->info->value.data);
	if (!d)
		return;
	snprintf(exec_id, size, "%s", d->exec_id ? d->exec_id : "");
	protobuf_c_message_free_unpacked(&d->base, NULL);
}

int containerd_get_exec_id(struct containerd_client *c, const char *ns, const char *id,
			   unsigned int pid, char *exec_id, size_t size, char *err)
{
	Ctrwatch__Containerd__ListPidsRequest req = CTRWATCH__CONTAINERD__LIST_PIDS_REQUEST__INIT;
	Ctrwatch__Containerd__ListPidsResponse *resp;
	int rc;

	exec_id[0] = '\0';
	req.container_id = (char *)id;
	rc = call(c, SVC "tasks.v1.Tasks/ListPids", ns, &req.base,
		  &ctrwatch__containerd__list_pids_response__descriptor, (ProtobufCMessage **)&resp,
		  err);
	if (rc)
		return rc;
	rc = -ESRCH;
	for (size_t i = 0; i < resp->n_processes; i++) {
		if (resp->processes[i]->pid != pid)
			continue;
		exec_id_in(resp->processes[i], exec_id, size);
		rc = 0;
	}
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return rc;
}
