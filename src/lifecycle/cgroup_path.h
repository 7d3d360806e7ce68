/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CGROUP_PATH_H
#define CTRWATCH_CGROUP_PATH_H

#include <stdbool.h>
#include <stddef.h>

#define CONTAINER_ID_MAX 76 /* containerd's identifier limit */
#define NAMESPACE_MAX	 76
#define POD_UID_MAX	 36

/* Which cgroup layout named the container. */
enum cgroup_form {
	CGROUP_FORM_CONTAINERD_NS,     /* /<namespace>/<id>, containerd's default (ctr, nerdctl) */
	CGROUP_FORM_KUBEPODS_CGROUPFS, /* …/kubepods[/<qos>]/pod<uid>/<id> */
	CGROUP_FORM_SYSTEMD_SCOPE,     /* …/<prefix>-<id>.scope */
	CGROUP_FORM_DOCKER_CGROUPFS,   /* /docker/<id> */
	CGROUP_FORM_PODMAN_CGROUPFS, /* …/libpod-<id> (Podman's cgroupfs manager: /libpod_parent) */
	/*
	 * …/<slice>:cri-containerd:<id>: containerd's CRI given a systemd-style parent
	 * (<slice> ends in .slice) while its runc uses the cgroupfs driver, which makes the
	 * cgroupsPath one directory under runc's own cgroup, at any depth (even the first)
	 */
	CGROUP_FORM_SLICE_TRIPLE,
	/*
	 * /<name>, or deeper below directories no layout names, whose name says no id (`ctr run
	 * --cgroup /name`, `/a/b/name`; two levels are CONTAINERD_NS's). A
	 * container only when containerd has one whose cgroupsPath names it (then that is its
	 * id); its start does not make it one (cgroup_needs_engine)
	 */
	CGROUP_FORM_UNNAMED,
};

/* The runtime a cgroup path names. */
enum container_runtime {
	RUNTIME_UNKNOWN, /* kubelet's cgroupfs layout does not say */
	RUNTIME_CONTAINERD,
	RUNTIME_DOCKER,
	RUNTIME_CRIO,
	RUNTIME_PODMAN,
};

struct container_ident {
	enum cgroup_form form;
	enum container_runtime runtime;
	char id[CONTAINER_ID_MAX + 1];
	char ns[NAMESPACE_MAX + 1];    /* containerd namespace the path implies, or "" */
	char pod_uid[POD_UID_MAX + 1]; /* with dashes, or "" */
	bool ambiguous;		       /* the path alone cannot tell: containerd must confirm */
	/*
	 * In a user's delegated subtree (systemd's /user.slice/user-UID.slice/user@UID.service,
	 * which only systemd makes there): that user owns the cgroup. A rootless container's, or an
	 * impostor's (docs/events.md).
	 */
	bool user_owned;
	unsigned int owner_uid;
};

/*
 * Decides from a cgroup path (relative to the hierarchy root, starting with '/') whether the
 * cgroup is a container's root cgroup. Returns 1 and fills *ident if it is, 0 if it is not.
 */
int cgroup_classify(const char *path, struct container_ident *ident);

/* Whether only an engine's record, not a start in new namespaces, can make it a container. */
static inline bool cgroup_needs_engine(const struct container_ident *ident)
{
	return ident->form == CGROUP_FORM_UNNAMED;
}

/* "containerd", "docker", "crio", "podman", "unknown": the value events carry. */
const char *container_runtime_name(enum container_runtime runtime);

/* containerd's identifier rule: [A-Za-z0-9]+([._-][A-Za-z0-9]+)*, at most 76 bytes. */
bool cgroup_is_identifier(const char *s, size_t len);

#endif
