/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CONTAINER_META_H
#define CTRWATCH_CONTAINER_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enrich/addresses.h"
#include "enrich/declared.h"

/*
 * Labels kept per container: a container's labels are its user's, and every line of it carries
 * them. Past either bound the rest are left out and labels_truncated says so.
 */
#define LABELS_MAX	512
#define LABEL_BYTES_MAX (64u << 10) /* keys and values */

struct container_label {
	char *key;
	char *value;
};

/* What containerd (or Docker, or Podman) says of a container: facts only. Every string is owned
 * (malloc'ed) or NULL. */
struct container_meta {
	char *namespace; /* containerd namespace ("moby" for Docker's); NULL for Podman's */
	char *name;
	char *image;
	char *image_digest;
	char *runtime_handler;
	char *cgroups_path; /* linux.cgroupsPath of its OCI spec */
	struct container_label *labels;
	size_t n_labels;
	size_t label_bytes;    /* of the kept keys and values */
	bool labels_truncated; /* some were left out: LABELS_MAX, LABEL_BYTES_MAX */
	uint64_t created_ns;   /* wall clock; 0 if unknown */
	char *pod_name;
	char *pod_namespace;
	char *pod_uid;
	bool sandbox; /* a CRI runtime's pod sandbox (its PodSandboxStatus answered for it) */
	/* its pod's sandbox as containerd's CRI plugin recorded it (spec annotations): whose
	   PodSandboxStatus gives the pod's addresses; not printed */
	char *pod_sandbox_id;
	struct container_addresses addresses; /* where it can be reached, its engine says */
	struct container_declared declared;   /* what the engine declared it may do */
};

void container_meta_free(struct container_meta *m);
/* The label's value, or NULL. */
const char *container_meta_label(const struct container_meta *m, const char *key);
/*
 * Adds a label (its key as printed: bad UTF-8 repaired), unless the bounds above are reached
 * (then labels_truncated). m->labels must have room for one more. A key given twice is made
 * unique by container_meta_finish_labels(), which must follow the last add. Returns 0 or
 * -ENOMEM.
 */
int container_meta_add_label(struct container_meta *m, const char *key, const char *value);
/*
 * Labels are a map: of a key given twice (an entry repeated on protobuf's wire, a JSON object
 * with a key twice) the last value stays. Sorts them by key, in O(n log n). 0 or -ENOMEM.
 */
int container_meta_finish_labels(struct container_meta *m);
/* About what m holds in memory, for the metadata cache's byte bound. */
size_t container_meta_size(const struct container_meta *m);
/*
 * Derives name and pod fields from the labels (CRI and nerdctl conventions); without such a
 * label the name is the one already set (an engine's), else the id.
 */
int container_meta_apply_labels(struct container_meta *m, const char *id);

/*
 * Whether an OCI spec's linux.cgroupsPath names the cgroup at path (relative to the hierarchy
 * root): equal cgroupfs paths, or systemd's "slice:prefix:name" naming ".../<prefix>-<name>.scope"
 * under that slice.
 */
bool container_meta_cgroup_matches(const char *cgroups_path, const char *path);
/*
 * The cgroup a spec's cgroupsPath names for a systemd manager whose root is the cgroup root
 * (a user's manager: "/user.slice/user-UID.slice/user@UID.service"), as a path from the
 * hierarchy's root; malloc'ed, NULL for a cgroupsPath that names none (or out of memory).
 */
char *container_meta_cgroup_under(const char *cgroups_path, const char *root);
/*
 * The same for a cgroup whose path did not fit a record (CGROUP_PATH_MAX - 1 bytes or more):
 * the kernel kept its end, tail, from its first whole name on (or all of it, when it is exactly
 * that long). Whether the path cgroupsPath names ends with tail; that path, for the proof
 * (cgroup_proof.h) that it is the cgroup's whole path, goes into want (size bytes). A matching
 * end alone proves nothing: anyone can make OUTER/<anything>/<the real tail>.
 */
bool container_meta_cgroup_tail_matches(const char *cgroups_path, const char *tail, char *want,
					size_t size);

#endif
