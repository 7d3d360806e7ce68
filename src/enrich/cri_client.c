// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* CRI calls: protobuf-c messages (proto/cri.proto) over grpc_unary, as containerd's client. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/cri_client.h"
#include "enrich/grpc_unary.h"
#include "proto/cri.pb-c.h"

#define SVC "/runtime.v1.RuntimeService/"

struct cri_client {
	struct grpc_unary_channel *ch;
	int timeout_ms;
	char *socket_path;
};

struct cri_client *cri_client_open(const char *socket_path, int timeout_ms)
{
	struct cri_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->timeout_ms = timeout_ms;
	c->socket_path = strdup(socket_path);
	c->ch = c->socket_path ? grpc_unary_open(socket_path) : NULL;
	if (!c->ch) {
		free(c->socket_path);
		free(c);
		return NULL;
	}
	return c;
}

pid_t cri_peer_pid(const struct cri_client *c)
{
	return c ? grpc_unary_peer_pid(c->ch) : 0;
}

void cri_client_close(struct cri_client *c)
{
	if (!c)
		return;
	grpc_unary_close(c->ch);
	free(c->socket_path);
	free(c);
}

const char *cri_client_socket(const struct cri_client *c)
{
	return c->socket_path;
}

/* Packs req and calls method; *res holds the reply's bytes. 0 or -errno with err filled. */
static int call(struct cri_client *c, const char *method, const ProtobufCMessage *req,
		struct grpc_unary_result *res, char *err)
{
	size_t len = protobuf_c_message_get_packed_size(req);
	uint8_t *buf = malloc(len ? len : 1);
	int rc;

	if (!buf)
		return -ENOMEM;
	protobuf_c_message_pack(req, buf);
	/* no containerd namespace: a CRI runtime has none */
	rc = grpc_unary_call(c->ch, method, NULL, buf, len, c->timeout_ms, res);
	free(buf);
	if (rc)
		snprintf(err, CRI_ERROR_MAX, "%s: %s", method + strlen(SVC),
			 res->error[0] ? res->error : strerror(-rc));
	return rc;
}

int cri_version(struct cri_client *c, char *version, size_t size, char *err)
{
	Runtime__V1__VersionRequest req = RUNTIME__V1__VERSION_REQUEST__INIT;
	Runtime__V1__VersionResponse *resp;
	struct grpc_unary_result res;
	int rc;

	req.version = "v1";
	rc = call(c, SVC "Version", &req.base, &res, err);
	if (rc)
		return rc;
	resp = runtime__v1__version_response__unpack(NULL, res.len, res.data);
	free(res.data);
	if (!resp) {
		snprintf(err, CRI_ERROR_MAX, "Version: undecodable reply");
		return -EPROTO;
	}
	snprintf(version, size, "%s %s", resp->runtime_name, resp->runtime_version);
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return 0;
}

/* PodSandboxStatus of id (verbose for the sandbox itself), its part decoded into m. */
static int sandbox_status(struct cri_client *c, const char *id, struct container_meta *m,
			  enum cri_sandbox_part part, char *err)
{
	Runtime__V1__PodSandboxStatusRequest req = RUNTIME__V1__POD_SANDBOX_STATUS_REQUEST__INIT;
	struct grpc_unary_result res;
	int rc;

	req.pod_sandbox_id = (char *)id;
	req.verbose = part == CRI_SANDBOX_ITSELF;
	rc = call(c, SVC "PodSandboxStatus", &req.base, &res, err);
	if (rc)
		return rc;
	rc = cri_decode_sandbox_status(res.data, res.len, m, part, err);
	free(res.data);
	return rc;
}

int cri_get_container(struct cri_client *c, const char *id, struct container_meta *m, char *err)
{
	Runtime__V1__ContainerStatusRequest req = RUNTIME__V1__CONTAINER_STATUS_REQUEST__INIT;
	struct grpc_unary_result res;
	char *sandbox_id = NULL;
	int rc;

	memset(m, 0, sizeof(*m));
	err[0] = '\0';
	req.container_id = (char *)id;
	req.verbose = true; /* the spec's cgroupsPath, the sandbox's id */
	rc = call(c, SVC "ContainerStatus", &req.base, &res, err);
	if (rc)
		return rc;
	rc = cri_decode_container_status(res.data, res.len, m, &sandbox_id, err);
	free(res.data);
	if (!rc && sandbox_id)
		sandbox_status(c, sandbox_id, m, CRI_SANDBOX_POD, err); /* its failure: err */
	free(sandbox_id);
	return rc;
}

int cri_get_sandbox(struct cri_client *c, const char *id, struct container_meta *m, char *err)
{
	memset(m, 0, sizeof(*m));
	return sandbox_status(c, id, m, CRI_SANDBOX_ITSELF, err);
}

int cri_get_pod_network(struct cri_client *c, const char *sandbox_id, struct container_meta *m,
			char *err)
{
	return sandbox_status(c, sandbox_id, m, CRI_SANDBOX_NETWORK, err);
}
