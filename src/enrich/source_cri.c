// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A CRI runtime as a source (source.h): CRI-O's socket, or any runtime's CRI endpoint given as
 * --crio-socket. The container and its pod, or, for an id it knows as no container, the pod
 * sandbox whose cgroup this is. Its spec's cgroupsPath must name this cgroup, as containerd's
 * must. Asked for CRI-O's containers, and for a pod's containers containerd has not (the
 * kubelet's cgroupfs layout does not name the runtime). Owns its lane's CRI client.
 */
#include <errno.h>
#include <stdlib.h>

#include "enrich/cgroup_confirm.h"
#include "enrich/cri_client.h"
#include "enrich/source.h"
#include "common/log.h"

_Static_assert(LOOKUP_ERROR_MAX >= CRI_ERROR_MAX, "CRI errors fit a lookup result");

struct cri_source {
	struct cri_client *client;
	struct source_health health;
};

static void cri_lookup(void *ctx, const struct enrich_request *req, struct lookup_result *res)
{
	struct cri_source *s = ctx;
	int rc = cri_get_container(s->client, req->ident.id, &res->meta, res->error);

	if (rc == -ENOENT)
		rc = cri_get_sandbox(s->client, req->ident.id, &res->meta, res->error);
	source_health_note(&s->health, rc != -ECONNREFUSED && rc != -ETIMEDOUT, res->error);
	if (req->ident.runtime == RUNTIME_CRIO)
		source_health_note_absent(&s->health, req->ident.id);
	if (rc == 0) { /* res->error may be set: its pod could not be asked, partial */
		res->status =
		    cgroup_confirm(req, res, s->health.name, NULL, cri_peer_pid(s->client));
		return;
	}
	res->status = rc == -ENOENT ? LOOKUP_NOT_FOUND : LOOKUP_FAILED;
	if (rc == -ENOENT)
		res->error[0] = '\0';
}

static int cri_open(const struct enricher_config *cfg, void **ctx)
{
	struct cri_source *s;

	if (!cfg->crio_socket)
		return -ENODEV;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->client = cri_client_open(cfg->crio_socket, cfg->rpc_timeout_ms);
	if (!s->client) {
		free(s);
		return -ENOMEM;
	}
	s->health = (struct source_health){.name = "crio", .path = cri_client_socket(s->client)};
	*ctx = s;
	return 0;
}

static void cri_close(void *ctx)
{
	struct cri_source *s = ctx;

	cri_client_close(s->client);
	free(s);
}

/* The CRI runtime, as optional as an engine. */
static void cri_probe(void *ctx)
{
	struct cri_source *s = ctx;
	char version[128], err[CRI_ERROR_MAX] = "";

	if (cri_version(s->client, version, sizeof(version), err) == 0)
		log_info("CRI runtime %s at %s", version, s->health.path);
	else
		source_health_note(&s->health, false, err);
}

static const struct source_health *cri_health(const void *ctx)
{
	return &((const struct cri_source *)ctx)->health;
}

const struct source_ops cri_source_ops = {
    .name = "crio",
    .runtime = RUNTIME_CRIO,
    .open = cri_open,
    .close = cri_close,
    .probe = cri_probe,
    .lookup = cri_lookup,
    .health = cri_health,
};
