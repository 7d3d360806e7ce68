/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_ENGINE_LOOKUP_H
#define CTRWATCH_ENGINE_LOOKUP_H

#include "enrich/engine_client.h"
#include "enrich/source.h"

/*
 * The engine's answer for req (its inspect, confirmed by cgroup_confirm()), said in src's
 * health. Returns the status; FOUND with res->error set when the image digest could not be
 * had. A call that timed out is made once more only if the engine answered last.
 */
enum lookup_status engine_lookup(struct engine_client *c, struct source_health *src,
				 const struct enrich_request *req, struct lookup_result *res);

/* Says what answers (its version), or that its socket is absent or silent. */
void engine_probe(struct engine_client *c, struct source_health *src);

#endif
