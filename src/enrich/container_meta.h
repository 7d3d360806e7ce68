/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CONTAINER_META_H
#define CTRWATCH_CONTAINER_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	uint64_t created_ns; /* wall clock; 0 if unknown */
	char *pod_name;
	char *pod_namespace;
	char *pod_uid;
};

void container_meta_free(struct container_meta *m);
/* The label's value, or NULL. */
const char *container_meta_label(const struct container_meta *m, const char *key);
/*
 * Adds a label, or replaces the value of the key already there (keys compared as printed).
 * m->labels must have room for one more. Returns 0 or -ENOMEM.
 */
int container_meta_add_label(struct container_meta *m, const char *key, const char *value);
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

#endif
