// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "filter/pause_image.h"
#include "filter/policy.h"

bool policy_is_sandbox(const struct container_ident *ident, const struct container_meta *m)
{
	const char *kind;

	if (!m || !ident || !ident->pod_uid[0] || ident->runtime == RUNTIME_DOCKER ||
	    ident->runtime == RUNTIME_PODMAN)
		return false;
	if (m->sandbox) /* a CRI runtime's PodSandboxStatus answered for this very cgroup */
		return true;
	if (!m->namespace || strcmp(m->namespace, "moby") == 0)
		return false;
	kind = container_meta_label(m, "io.cri-containerd.kind");
	if (kind)
		return strcmp(kind, "sandbox") == 0;
	return pause_image_match(m->image);
}

enum policy_verdict policy_decide(const struct policy *p, const struct container_ident *ident,
				  const struct container_meta *m)
{
	if (p->drop_sandboxes && policy_is_sandbox(ident, m))
		return POLICY_DROP_SANDBOX;
	/*
	 * A container in a user's own subtree is named by that user (their rootless engine): what
	 * it says cannot steer a filter, or the user could hide it behind an --exclude. It is
	 * judged as if not enriched.
	 */
	if (!filter_set_keep(p->filters, ident->user_owned ? NULL : m,
			     ident->ns[0] ? ident->ns : NULL))
		return POLICY_DROP_FILTERED;
	return POLICY_KEEP;
}
