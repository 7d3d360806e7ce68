/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_POLICY_H
#define CTRWATCH_POLICY_H

#include <stdbool.h>

#include "enrich/container_meta.h"
#include "filter/filter.h"
#include "lifecycle/cgroup_path.h"

/*
 * Every keep/drop decision about a container, in one place: the Kubernetes sandbox ("pause")
 * rule, then --namespace, --include and --exclude. The pipeline asks once per container, on
 * whatever containerd said by then.
 */
struct policy {
	const struct filter_set *filters;
	bool drop_sandboxes; /* the pause filter (--no-pause-filter turns it off) */
};

enum policy_verdict {
	POLICY_KEEP,
	POLICY_DROP_SANDBOX,  /* a pod's pause container */
	POLICY_DROP_FILTERED, /* --namespace, --include, --exclude */
};

/*
 * A Kubernetes sandbox, where the runtime itself marks sandboxes: containerd's CRI, which sets
 * io.cri-containerd.kind on every container it makes ("sandbox", or "container" whatever the
 * image says), in the cgroups CRI makes (a pod's: ident names a pod uid). Then by that label;
 * when it is absent, by the image (the pause list). Never Docker's or Podman's containers (their
 * labels and image names are their users'), nor Docker's in containerd (namespace "moby"), nor a
 * container outside a pod's cgroup: a workload must not be able to hide as a sandbox. ident may
 * be NULL (no sandbox).
 */
bool policy_is_sandbox(const struct container_ident *ident, const struct container_meta *m);

/*
 * m may be NULL (containerd did not say); ident is what the cgroup path says. The filters never
 * see what a user's own engine said of a container in their subtree (ident->user_owned).
 */
enum policy_verdict policy_decide(const struct policy *p, const struct container_ident *ident,
				  const struct container_meta *m);

#endif
