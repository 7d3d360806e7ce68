// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "filter/pause_image.h"
#include "filter/policy.h"

/*
 * A pod sandbox by the runtime's word, wherever its cgroup is (a CRI client that gives no
 * cgroup parent has containerd run it at /k8s.io/<id>): a CRI runtime's PodSandboxStatus for
 * this cgroup, or containerd (not Docker's "moby") saying io.cri-containerd.kind=sandbox, a
 * label its CRI plugin sets last on everything it runs and no CRI client can choose (only root
 * on containerd's own socket could, and root can do anything). Docker's and Podman's
 * containers are never sandboxes, whatever their labels. A pause image alone says so only in a
 * pod's cgroup: an image's name is anyone's to pick.
 */
bool policy_is_sandbox(const struct container_ident *ident, const struct container_meta *m)
{
	const char *kind;

	if (!m || !ident || ident->runtime == RUNTIME_DOCKER || ident->runtime == RUNTIME_PODMAN)
		return false;
	if (m->sandbox)
		return true;
	if (!m->namespace || strcmp(m->namespace, "moby") == 0)
		return false;
	kind = container_meta_label(m, "io.cri-containerd.kind");
	if (kind)
		return strcmp(kind, "sandbox") == 0;
	return ident->pod_uid[0] && pause_image_match(m->image);
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
