// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: raw bytes as containerd's Containers/Get reply (protobuf, the OCI spec as
 * JSON inside, labels that are the user's): decoded, judged by the policy and encoded into an
 * event in every --format (the pod uid and labels reach the ECS and OCSF encoders too). Nothing may
 * crash or leak, and each event must be one JSON object on one line, no key twice. The same bytes
 * as a Containers/List reply (a repeated Container on the same field) are searched too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/containerd_client.h"
#include "enrich/containerd_decode.h"
#include "enrich/enrichment.h"
#include "filter/policy.h"
#include "check_line.h"
#include "output/event_format.h"

/* containerd_cgroup_pick: the container whose cgroupsPath is ctx, as names_this_cgroup asks */
static bool pick_path(const char *cgroups_path, void *ctx)
{
	return container_meta_cgroup_matches(cgroups_path, ctx);
}

static void search_list(const uint8_t *data, size_t size)
{
	char id[CONTAINER_ID_MAX + 1], err[CONTAINERD_ERROR_MAX];
	struct container_meta m;

	if (containerd_decode_container_list(data, size, "default", pick_path, "/top", &m, id,
					     sizeof(id), err) == 0) {
		if (strlen(id) > CONTAINER_ID_MAX)
			abort();
		container_meta_free(&m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_ident ident;
	struct enrichment enrichment = {.state = ENRICHMENT_COMPLETE};
	struct filter_set filters;
	struct policy policy = {.filters = &filters, .drop_sandboxes = true};
	struct container_meta m;
	struct container *c;
	struct json_writer w;
	struct event ev;
	char err[CONTAINERD_ERROR_MAX];

	search_list(data, size);
	if (containerd_decode_container(data, size, "default", &m, err))
		return 0;
	filter_set_init(&filters);
	filter_set_add(&filters, "label:app:^w", false, err, sizeof(err));
	cgroup_classify("/default/web", &ident);
	c = container_new(42, "/default/web", false, &ident);
	enrichment.meta = &m;
	enrichment.sandbox = policy_is_sandbox(&ident, &m);
	(void)policy_decide(&policy, &ident, &m);
	(void)container_meta_cgroup_matches(m.cgroups_path, "/default/web");
	ev = (struct event){.kind = size & 1 ? EVENT_CONTAINER_CREATE : EVENT_CONTAINER_EXIT,
			    .container = c,
			    .enrichment = &enrichment};
	json_writer_init(&w);
	fuzz_check_every_format(&w, &ev);
	json_writer_free(&w);
	event_release(&ev);
	filter_set_free(&filters);
	container_meta_free(&m);
	return 0;
}
