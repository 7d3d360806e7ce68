// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Rootless Podman as a source (source.h): a libpod scope in a user's delegated subtree is
 * asked of that user's own Podman only, on a socket it must be the one serving (user_socket.h),
 * within that user's share of its lane's time (user_engines.h); its lane is shared fairly by
 * uid. What it says is what the user says of their own container: the lines carry
 * container.cgroup_owner_uid, and the filters do not take it (policy.c). Owns its lane's
 * clients, one per user (user_engines).
 */
#include <errno.h>
#include <stdio.h>

#include "enrich/engine_lookup.h"
#include "enrich/source.h"
#include "enrich/user_engines.h"
#include "common/clock.h"

static void user_podman_lookup(void *ctx, const struct enrich_request *req,
			       struct lookup_result *res)
{
	uint64_t now = clock_monotonic_ns();
	struct user_engine *u = user_engines_get(ctx, req->ident.owner_uid, now);

	if (!u) {
		snprintf(res->error, sizeof(res->error), "out of memory");
		res->status = LOOKUP_FAILED;
		return;
	}
	if (!user_engine_may_ask(u, now)) {
		snprintf(res->error, sizeof(res->error),
			 "%s used its share of lookup time (%llu ms in %llu s): not asked", u->name,
			 USER_BUDGET_NS / 1000000, USER_BUDGET_WINDOW_NS / 1000000000);
		res->status = LOOKUP_FAILED;
		return;
	}
	/* no call outlasts what is left of its share (each call's own deadline is longer) */
	engine_client_set_deadline(u->client, clock_monotonic_ms() + user_engine_left_ms(u));
	res->status = engine_lookup(u->client, &u->health, req, res);
	user_engine_spent(u, clock_monotonic_ns() - now);
}

static int user_podman_open(const struct enricher_config *cfg, void **ctx)
{
	if (!cfg->user_podman_socket)
		return -ENODEV;
	*ctx = user_engines_new(cfg->user_podman_socket, cfg->rpc_timeout_ms);
	return *ctx ? 0 : -errno;
}

static void user_podman_close(void *ctx)
{
	user_engines_free(ctx);
}

const struct source_ops user_podman_source_ops = {
    .name = "podman (rootless)",
    .runtime = RUNTIME_PODMAN,
    .user_owned = true,
    .fair_by_uid = true,
    .open = user_podman_open,
    .close = user_podman_close,
    .lookup = user_podman_lookup,
};
