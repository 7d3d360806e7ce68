// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Docker as a source (source.h): its containers are asked of Docker first (its names, images
 * and labels are the ones users know), then of containerd, where Docker runs them in namespace
 * "moby" with less: an answer from there after Docker failed is partial, and says why. Owns its
 * lane's Docker client and a containerd connection of its own (containerd's lane may be slow).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "enrich/engine_lookup.h"
#include "enrich/source.h"
#include "enrich/source_containerd.h"

struct docker_source {
	struct engine_client *docker;
	struct containerd_client *moby; /* containerd's, for namespace "moby" */
	struct source_health health;
};

static void docker_lookup(void *ctx, const struct enrich_request *req, struct lookup_result *res)
{
	struct docker_source *s = ctx;
	char docker_error[LOOKUP_ERROR_MAX];
	enum lookup_status st = engine_lookup(s->docker, &s->health, req, res);

	if (st == LOOKUP_MISMATCH) { /* containerd's moby namespace would say the same */
		res->status = st;
		return;
	}
	if (st == LOOKUP_FOUND) {
		res->status = st;
		if (req->want_init_pid)
			containerd_find_init_pid(s->moby, res, req->ident.id);
		return;
	}
	snprintf(docker_error, sizeof(docker_error), "%s", st == LOOKUP_FAILED ? res->error : "");
	res->error[0] = '\0';
	containerd_find(s->moby, req, res);
	if (!docker_error[0])
		return;
	if (res->status == LOOKUP_FOUND && !res->error[0])
		snprintf(res->error, sizeof(res->error), "%s", docker_error);
	if (res->status == LOOKUP_NOT_FOUND) {
		res->status = LOOKUP_FAILED;
		snprintf(res->error, sizeof(res->error), "%s", docker_error);
	}
}

static int docker_open(const struct enricher_config *cfg, void **ctx)
{
	struct docker_source *s;

	if (!cfg->docker_socket)
		return -ENODEV;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->docker = engine_client_open("docker", cfg->docker_socket, "moby", cfg->rpc_timeout_ms);
	s->moby = s->docker ? containerd_client_open(cfg->socket_path, cfg->rpc_timeout_ms) : NULL;
	if (!s->moby) {
		engine_client_close(s->docker);
		free(s);
		return -ENOMEM;
	}
	s->health =
	    (struct source_health){.name = "docker", .path = engine_client_socket(s->docker)};
	*ctx = s;
	return 0;
}

static void docker_close(void *ctx)
{
	struct docker_source *s = ctx;

	engine_client_close(s->docker);
	containerd_client_close(s->moby);
	free(s);
}

static void docker_probe(void *ctx)
{
	struct docker_source *s = ctx;

	engine_probe(s->docker, &s->health);
}

static const struct source_health *docker_health(const void *ctx)
{
	return &((const struct docker_source *)ctx)->health;
}

const struct source_ops docker_source_ops = {
    .name = "docker",
    .runtime = RUNTIME_DOCKER,
    .else_containerd = true,
    .open = docker_open,
    .close = docker_close,
    .probe = docker_probe,
    .lookup = docker_lookup,
    .health = docker_health,
};
