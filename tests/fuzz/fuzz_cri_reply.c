// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: raw bytes as a CRI runtime's ContainerStatus reply, then as its
 * PodSandboxStatus reply (protobuf, verbose JSON inside, labels and names that are the user's):
 * decoded, judged by the policy and encoded into an event in every --format. Nothing may crash
 * or leak, and each event must be one JSON object on one line, no key twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/cri_decode.h"
#include "enrich/enrichment.h"
#include "filter/policy.h"
#include "check_line.h"
#include "output/event_format.h"

#define CRIO_SCOPE                                                                                 \
	"/kubepods.slice/kubepods-besteffort.slice/"                                               \
	"kubepods-besteffort-pod0d1d0c7e_76ea_4a5e_b8a1_0e0c6a7b9f10.slice/crio-"                  \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope"

static void encode(struct container_meta *m, size_t size)
{
	struct enrichment enrichment = {.state = ENRICHMENT_COMPLETE, .meta = m};
	struct policy policy = {.drop_sandboxes = true};
	struct container_ident ident;
	struct filter_set filters;
	struct container *c;
	struct json_writer w;
	struct event ev;

	filter_set_init(&filters);
	policy.filters = &filters;
	cgroup_classify(CRIO_SCOPE, &ident);
	c = container_new(42, CRIO_SCOPE, false, &ident);
	enrichment.sandbox = policy_is_sandbox(&ident, m);
	(void)policy_decide(&policy, &ident, m);
	(void)container_meta_cgroup_matches(m->cgroups_path, CRIO_SCOPE);
	ev = (struct event){.kind = size & 1 ? EVENT_CONTAINER_CREATE : EVENT_CONTAINER_EXIT,
			    .container = c,
			    .enrichment = &enrichment};
	json_writer_init(&w);
	fuzz_check_every_format(&w, &ev);
	json_writer_free(&w);
	event_release(&ev);
	filter_set_free(&filters);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_meta m;
	char err[CRI_ERROR_MAX];
	char *sandbox = NULL;

	if (cri_decode_container_status(data, size, &m, &sandbox, err) == 0) {
		/* as its pod (CRI-O's), or as its network only (containerd's CRI plugin's) */
		(void)cri_decode_sandbox_status(
		    data, size, &m, size & 2 ? CRI_SANDBOX_POD : CRI_SANDBOX_NETWORK, err);
		encode(&m, size);
		container_meta_free(&m);
		free(sandbox);
	}
	if (cri_decode_sandbox_status(data, size, &m, CRI_SANDBOX_ITSELF, err) == 0) {
		encode(&m, size);
		container_meta_free(&m);
	}
	return 0;
}
