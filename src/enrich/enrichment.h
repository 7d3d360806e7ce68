/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_ENRICHMENT_H
#define CTRWATCH_ENRICHMENT_H

#include <stdbool.h>

#include "enrich/container_meta.h"

enum enrichment_state {
	ENRICHMENT_UNKNOWN,  /* not looked up yet; written as "none" */
	ENRICHMENT_NONE,     /* containerd answered and does not know it, or is not used */
	ENRICHMENT_PARTIAL,  /* error says what is missing */
	ENRICHMENT_COMPLETE, /* meta holds everything */
	/*
	 * The engine knows a container of the id this cgroup's name claims, with its cgroup
	 * elsewhere: an impostor (a cgroup anyone with a delegated subtree can name so). No meta;
	 * error says where the engine's container is.
	 */
	ENRICHMENT_MISMATCH,
};

/* Where the engine has the container a mismatched cgroup is named like. */
struct enrichment_claim {
	char engine[32];	/* "containerd", "docker", "podman (uid 1000)", ... */
	char namespace[64];	/* containerd's namespace, or "" */
	char cgroups_path[512]; /* the engine's cgroupsPath for it, as the engine says it */
};

/* What the event encoders are told of a container beyond its identity. The pipeline's. */
struct enrichment {
	enum enrichment_state state;
	struct container_meta *meta;	/* NULL unless containerd knew the container */
	char *error;			/* why partial; NULL otherwise */
	bool sandbox;			/* policy_is_sandbox(meta), when meta is set */
	struct enrichment_claim *claim; /* with ENRICHMENT_MISMATCH; NULL otherwise */
};

#endif
