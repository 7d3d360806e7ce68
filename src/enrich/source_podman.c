// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The system's Podman as a source (source.h): its API's inspect. Podman keeps nothing in
 * containerd: without its socket, its containers are not looked up. Owns its lane's client.
 */
#include <errno.h>
#include <stdlib.h>

#include "enrich/engine_lookup.h"
#include "enrich/source.h"

struct podman_source {
	struct engine_client *podman;
	struct source_health health;
};

static void podman_lookup(void *ctx, const struct enrich_request *req, struct lookup_result *res)
{
	struct podman_source *s = ctx;

	res->status = engine_lookup(s->podman, &s->health, req, res);
}

static int podman_open(const struct enricher_config *cfg, void **ctx)
{
	struct podman_source *s;

	if (!cfg->podman_socket)
		return -ENODEV;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->podman = engine_client_open("podman", cfg->podman_socket, NULL, cfg->rpc_timeout_ms);
	if (!s->podman) {
		free(s);
		return -ENOMEM;
	}
	s->health =
	    (struct source_health){.name = "podman", .path = engine_client_socket(s->podman)};
	*ctx = s;
	return 0;
}

static void podman_close(void *ctx)
{
	struct podman_source *s = ctx;

	engine_client_close(s->podman);
	free(s);
}

static void podman_probe(void *ctx)
{
	struct podman_source *s = ctx;

	engine_probe(s->podman, &s->health);
}

static const struct source_health *podman_health(const void *ctx)
{
	return &((const struct podman_source *)ctx)->health;
}

const struct source_ops podman_source_ops = {
    .name = "podman",
    .runtime = RUNTIME_PODMAN,
    .open = podman_open,
    .close = podman_close,
    .probe = podman_probe,
    .lookup = podman_lookup,
    .health = podman_health,
};
