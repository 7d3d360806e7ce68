/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_POLICY_H
#define CTRWATCH_POLICY_H

#include <stdbool.h>

#include "enrich/container_meta.h"
#include "filter/filter.h"

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

/* A sandbox by its CRI label; when the label is absent, by its image (the pause list). */
bool policy_is_sandbox(const struct container_meta *m);

/* m may be NULL (containerd did not say); namespace_hint is what the cgroup path implies. */
enum policy_verdict policy_decide(const struct policy *p, const struct container_meta *m,
				  const char *namespace_hint);

#endif
