// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Asking an engine of Docker's API (Docker, Podman, a user's Podman) for a container. */
#include <errno.h>

#include "enrich/cgroup_confirm.h"
#include "enrich/engine_lookup.h"
#include "common/log.h"

_Static_assert(LOOKUP_ERROR_MAX >= ENGINE_ERROR_MAX, "engine errors fit a lookup result");

enum lookup_status engine_lookup(struct engine_client *c, struct source_health *src,
				 const struct enrich_request *req, struct lookup_result *res)
{
	int rc = engine_get_container(c, req->ident.id, req->cgroup_path, &res->meta, res->error);

	/*
	 * A socket-activated engine (podman.socket: its service exits after 5 s idle) starts on
	 * the first call after a quiet spell, which can outlast one call's deadline; the one
	 * after finds it up. Only for an engine that answered last: a hung one is not asked
	 * twice per container, holding up every lookup behind it.
	 */
	if (rc == -ETIMEDOUT && src->state == SOURCE_UP) {
		res->error[0] = '\0';
		rc = engine_get_container(c, req->ident.id, req->cgroup_path, &res->meta,
					  res->error);
	}
	source_health_note(src, rc != -ECONNREFUSED && rc != -ETIMEDOUT && rc != -EPERM,
			   res->error);
	source_health_note_absent(src, req->ident.id);
	if (rc == 0)
		return cgroup_confirm(req, res, src->name, NULL, 0);
	return rc == -ENOENT ? LOOKUP_NOT_FOUND : LOOKUP_FAILED;
}

/*
 * An engine is optional: one whose socket is not there at startup is only a debug line (and a
 * line when it answers later); one whose socket is there and does not answer is a warning.
 */
void engine_probe(struct engine_client *c, struct source_health *src)
{
	char version[64], err[ENGINE_ERROR_MAX] = "";

	if (engine_version(c, version, sizeof(version), err) == 0)
		log_info("%s %s at %s", src->name, version, src->path);
	else
		source_health_note(src, false, err);
}
