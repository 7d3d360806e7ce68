// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
/*
 * Container cgroup path classification. The forms are those the runtimes and kubelet create;
 * anything else (pod and QoS cgroups, systemd services and slices, plain directories) is not a
 * container. Pure string logic: no I/O, so it is unit tested and fuzzed.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "lifecycle/cgroup_path.h"

#define COMPONENTS_MAX 16

struct path_parts {
	const char *s[COMPONENTS_MAX];
	size_t len[COMPONENTS_MAX];
	int n;
};

/* Splits on '/'; fails on empty components, too many of them, or a path not starting with '/'. */
static int split_path(const char *path, struct path_parts *parts)
{
	const char *p = path;

	parts->n = 0;
	if (*p != '/')
		return -1;
	while (*p == '/' && p[1]) {
		const char *start = ++p;

		while (*p && *p != '/')
			p++;
		if (p == start || parts->n == COMPONENTS_MAX)
			return -1;
		parts->s[parts->n] = start;
		parts->len[parts->n] = p - start;
		parts->n++;
	}
	return *p ? -1 : 0;
}

static bool is_alnum(char c)
{
	return isascii((unsigned char)c) && isalnum((unsigned char)c);
}

bool cgroup_is_identifier(const char *s, size_t len)
{
	bool after_separator = true;

	if (len == 0 || len > CONTAINER_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (is_alnum(s[i])) {
			after_separator = false;
		} else if (s[i] == '.' || s[i] == '_' || s[i] == '-') {
			if (after_separator)
				return false;
			after_separator = true;
		} else {
			return false;
		}
	}
	return !after_separator;
}

static bool is_hex64(const char *s, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

static bool has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

static bool has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static void copy_part(char *dst, size_t dst_size, const char *s, size_t len)
{
	if (len >= dst_size)
		len = dst_size - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* A pod uid: a UUID (cgroupfs, dashes; systemd, underscores) or a static pod's 32-hex hash. */
/* out is left empty when s is not one (the fuzzer found a half-written uid left behind). */
static bool parse_pod_uid(const char *s, size_t len, char *out)
{
	out[0] = '\0';
	if (len != 32 && len != 36)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i] == '_' ? '-' : s[i];

		if (c != '-' && !(isxdigit((unsigned char)c) && !isupper((unsigned char)c)))
			return false;
	}
	for (size_t i = 0; i < len; i++)
		out[i] = s[i] == '_' ? '-' : s[i];
	out[len] = '\0';
	return true;
}

/* "pod<uid>" (cgroupfs) */
static bool parse_pod_dir(const char *s, size_t len, char *uid)
{
	return has_prefix(s, len, "pod") && parse_pod_uid(s + 3, len - 3, uid);
}

/* "kubepods-" at the start of a slice name, or after the kubelet's --cgroup-root ("kubelet-") */
static bool names_kubepods(const char *s, size_t len)
{
	const char *k = memmem(s, len, "kubepods-", strlen("kubepods-"));

	return k && (k == s || k[-1] == '-');
}

/*
 * "kubepods-<qos>-pod<uid>.slice" or "kubepods-pod<uid>.slice" (systemd), with a cgroup root's
 * prefix too ("kubelet-kubepods-…": kind's nodes)
 */
static bool parse_pod_slice(const char *s, size_t len, char *uid)
{
	const char *pod;

	if (!names_kubepods(s, len) || !has_suffix(s, len, ".slice"))
		return false;
	len -= strlen(".slice");
	for (pod = s + len; pod > s && !(pod[-1] == '-' && has_prefix(pod, s + len - pod, "pod"));
	     pod--)
		;
	if (pod == s)
		return false;
	return parse_pod_dir(pod, s + len - pod, uid);
}

const char *container_runtime_name(enum container_runtime runtime)
{
	switch (runtime) {
	case RUNTIME_CONTAINERD: return "containerd";
	case RUNTIME_DOCKER: return "docker";
	case RUNTIME_CRIO: return "crio";
	case RUNTIME_PODMAN: return "podman";
	case RUNTIME_UNKNOWN: break;
	}
	return "unknown";
}

struct scope_prefix {
	const char *prefix;
	enum container_runtime runtime;
};

static const struct scope_prefix scope_prefixes[] = {
    {"cri-containerd-", RUNTIME_CONTAINERD},
    {"docker-", RUNTIME_DOCKER},
    {"crio-", RUNTIME_CRIO}, /* "crio-conmon-" is not: its id part is not 64 hex */
    {"libpod-", RUNTIME_PODMAN},
    {"nerdctl-", RUNTIME_CONTAINERD},
};

static int classify_scope(const struct path_parts *parts, struct container_ident *ident)
{
	const char *s = parts->s[parts->n - 1];
	size_t len = parts->len[parts->n - 1];

	if (!has_suffix(s, len, ".scope"))
		return 0;
	len -= strlen(".scope");
	for (size_t i = 0; i < sizeof(scope_prefixes) / sizeof(scope_prefixes[0]); i++) {
		const struct scope_prefix *sp = &scope_prefixes[i];
		size_t n = strlen(sp->prefix);

		if (!has_prefix(s, len, sp->prefix) || !is_hex64(s + n, len - n))
			continue;
		ident->form = CGROUP_FORM_SYSTEMD_SCOPE;
		ident->runtime = sp->runtime;
		copy_part(ident->id, sizeof(ident->id), s + n, len - n);
		if (parts->n >= 2 && parse_pod_slice(parts->s[parts->n - 2],
						     parts->len[parts->n - 2], ident->pod_uid))
			strcpy(ident->ns, "k8s.io");
		return 1;
	}
	return 0;
}

/*
 * containerd's CRI asks runc for "<slice>:cri-containerd:<id>" when a client gives a parent
 * ending in .slice; a runc on the cgroupfs driver (containerd's default, and 1.6's whatever the
 * client believes) makes exactly that name under its own cgroup. A kubelet slice names the pod.
 */
static int classify_slice_triple(const struct path_parts *parts, struct container_ident *ident)
{
	static const char marker[] = ":cri-containerd:";
	const char *s = parts->s[parts->n - 1], *m;
	size_t len = parts->len[parts->n - 1], slice_len, n = strlen(marker);

	m = memmem(s, len, marker, n);
	if (!m)
		return 0;
	slice_len = m - s;
	if (!has_suffix(s, slice_len, ".slice") || memchr(s, ':', slice_len) ||
	    !is_hex64(m + n, len - slice_len - n))
		return 0;
	ident->form = CGROUP_FORM_SLICE_TRIPLE;
	ident->runtime = RUNTIME_CONTAINERD;
	strcpy(ident->ns, "k8s.io");
	copy_part(ident->id, sizeof(ident->id), m + n, 64);
	parse_pod_slice(s, slice_len, ident->pod_uid);
	return 1;
}

/* Podman with its cgroupfs manager: /libpod_parent/libpod-<id>, in a pod one level deeper. */
static int classify_libpod(const struct path_parts *parts, struct container_ident *ident)
{
	const char *s = parts->s[parts->n - 1];
	size_t len = parts->len[parts->n - 1], n = strlen("libpod-");

	if (!has_prefix(s, len, "libpod-") || !is_hex64(s + n, len - n))
		return 0;
	ident->form = CGROUP_FORM_PODMAN_CGROUPFS;
	ident->runtime = RUNTIME_PODMAN;
	copy_part(ident->id, sizeof(ident->id), s + n, len - n);
	return 1;
}

static int classify_kubepods(const struct path_parts *parts, struct container_ident *ident)
{
	int n = parts->n;
	int kubepods = -1;

	if (n < 3)
		return 0;
	for (int i = 0; i < n - 2; i++)
		if (parts->len[i] == 8 && memcmp(parts->s[i], "kubepods", 8) == 0)
			kubepods = i;
	if (kubepods < 0)
		return 0;
	/* kubepods/pod<uid>/<id> (guaranteed) or kubepods/<qos>/pod<uid>/<id> */
	if (n - kubepods != 3 && n - kubepods != 4)
		return 0;
	if (n - kubepods == 4) {
		const char *qos = parts->s[kubepods + 1];
		size_t qlen = parts->len[kubepods + 1];

		if (!(qlen == 10 && !memcmp(qos, "besteffort", 10)) &&
		    !(qlen == 9 && !memcmp(qos, "burstable", 9)))
			return 0;
	}
	if (!parse_pod_dir(parts->s[n - 2], parts->len[n - 2], ident->pod_uid) ||
	    !cgroup_is_identifier(parts->s[n - 1], parts->len[n - 1]))
		return 0;
	ident->form = CGROUP_FORM_KUBEPODS_CGROUPFS;
	ident->runtime = RUNTIME_UNKNOWN; /* kubelet's cgroupfs layout does not name it */
	copy_part(ident->id, sizeof(ident->id), parts->s[n - 1], parts->len[n - 1]);
	/* ...but CRI-O's cgroupfs manager does: crio-<id> */
	if (has_prefix(parts->s[n - 1], parts->len[n - 1], "crio-") &&
	    is_hex64(parts->s[n - 1] + 5, parts->len[n - 1] - 5)) {
		ident->runtime = RUNTIME_CRIO;
		copy_part(ident->id, sizeof(ident->id), parts->s[n - 1] + 5, 64);
	}
	strcpy(ident->ns, "k8s.io");
	return 1;
}

/* systemd units live in cgroups named after them; none is a containerd namespace or id. */
static bool is_systemd_unit(const char *s, size_t len)
{
	static const char *const suffixes[] = {".slice", ".scope", ".service", ".mount", ".socket"};

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (has_suffix(s, len, suffixes[i]))
			return true;
	return false;
}

/* Top-level directories that belong to something other than a containerd namespace. */
static bool is_reserved_top_level(const char *s, size_t len)
{
	static const char *const reserved[] = {"kubepods", "docker", "lxc", "machine",
					       "libpod_parent"};

	if (is_systemd_unit(s, len))
		return true;
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strlen(reserved[i]) == len && !memcmp(s, reserved[i], len))
			return true;
	return false;
}

static int classify_two_levels(const struct path_parts *parts, struct container_ident *ident)
{
	const char *top = parts->s[parts->n - 2], *id = parts->s[parts->n - 1];
	size_t top_len = parts->len[parts->n - 2], id_len = parts->len[parts->n - 1];

	if (!cgroup_is_identifier(id, id_len))
		return 0;
	/* /docker/<id>, also nested in another container (Docker-in-Docker) */
	if (top_len == 6 && !memcmp(top, "docker", 6)) {
		if (!is_hex64(id, id_len))
			return 0;
		ident->form = CGROUP_FORM_DOCKER_CGROUPFS;
		ident->runtime = RUNTIME_DOCKER;
		strcpy(ident->ns, "moby");
		copy_part(ident->id, sizeof(ident->id), id, id_len);
		return 1;
	}
	if (parts->n != 2 || is_reserved_top_level(top, top_len) ||
	    !cgroup_is_identifier(top, top_len) || is_systemd_unit(id, id_len))
		return 0;
	ident->form = CGROUP_FORM_CONTAINERD_NS;
	ident->runtime = RUNTIME_CONTAINERD;
	ident->ambiguous = true;
	copy_part(ident->ns, sizeof(ident->ns), top, top_len);
	copy_part(ident->id, sizeof(ident->id), id, id_len);
	return 1;
}

/*
 * /<name> at the top, or …/<name> below directories no layout names (`ctr run --cgroup /name`,
 * `--cgroup /a/b/name`): named like a containerd id, with no systemd unit on the way (a user's
 * delegated subtree is one: only root makes these) and none of what the top level holds
 * otherwise (kubepods, docker, ...). Its name is its id only until containerd says which
 * container's cgroup it is. Two levels are the namespace form's; a path's tail shows no top.
 */
static int classify_unnamed(const struct path_parts *parts, struct container_ident *ident)
{
	int last = parts->n - 1;

	if (parts->n == 2 || !cgroup_is_identifier(parts->s[last], parts->len[last]) ||
	    is_reserved_top_level(parts->s[0], parts->len[0]))
		return 0;
	for (int i = 1; i < parts->n; i++)
		if (is_systemd_unit(parts->s[i], parts->len[i]))
			return 0;
	ident->form = CGROUP_FORM_UNNAMED;
	ident->runtime = RUNTIME_CONTAINERD;
	ident->ambiguous = true;
	copy_part(ident->id, sizeof(ident->id), parts->s[last], parts->len[last]);
	return 1;
}

/* A uid in decimal, the whole of [s, s + len). */
static bool parse_uid(const char *s, size_t len, unsigned int *uid)
{
	unsigned long v = 0;

	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*uid = v;
	return true;
}

/* "/user.slice/user-<uid>.slice/user@<uid>.service/...": the user systemd delegates it to. */
static bool delegated_to(const struct path_parts *p, unsigned int *uid)
{
	static const char slice[] = "user-", service[] = "user@";
	unsigned int a, b;

	if (p->n < 4 || p->len[0] != 10 || memcmp(p->s[0], "user.slice", 10) ||
	    !has_prefix(p->s[1], p->len[1], slice) || !has_suffix(p->s[1], p->len[1], ".slice") ||
	    !parse_uid(p->s[1] + 5, p->len[1] - 5 - 6, &a) ||
	    !has_prefix(p->s[2], p->len[2], service) ||
	    !has_suffix(p->s[2], p->len[2], ".service") ||
	    !parse_uid(p->s[2] + 5, p->len[2] - 5 - 8, &b) || a != b)
		return false;
	*uid = a;
	return true;
}

int cgroup_classify(const char *path, struct container_ident *ident)
{
	struct path_parts parts;

	memset(ident, 0, sizeof(*ident));
	if (split_path(path, &parts) || parts.n < 1)
		return 0;
	if (classify_slice_triple(&parts, ident))
		goto found; /* the only named form that may sit at the first level */
	if (parts.n >= 2 &&
	    (classify_scope(&parts, ident) || classify_libpod(&parts, ident) ||
	     classify_kubepods(&parts, ident) || classify_two_levels(&parts, ident)))
		goto found;
	memset(ident, 0, sizeof(*ident));
	return classify_unnamed(&parts, ident);
found:
	ident->user_owned = delegated_to(&parts, &ident->owner_uid);
	return 1;
}
