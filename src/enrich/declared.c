// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * An engine's declaration of what a container may do (declared.h): its bind mounts, which of
 * them give a hold on the host, and what it costs in memory. Pure: no engine is asked here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/declared.h"

void declared_free(struct container_declared *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_mounts; i++) {
		free(d->mounts[i].source);
		free(d->mounts[i].destination);
	}
	free(d->mounts);
	free(d->seccomp);
	free(d->apparmor);
	free(d->user);
	memset(d, 0, sizeof(*d));
}

static size_t str_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

size_t declared_size(const struct container_declared *d)
{
	size_t n = d->n_mounts * sizeof(*d->mounts);

	for (size_t i = 0; i < d->n_mounts; i++)
		n += str_size(d->mounts[i].source) + str_size(d->mounts[i].destination);
	return n + str_size(d->seccomp) + str_size(d->apparmor) + str_size(d->user);
}

/*
 * Host paths by how they are sensitive. Every one is sensitive itself, and so is every
 * directory above it (binding `/var` hands over `/var/lib/kubelet`). UNDER: so is all below it
 * (any file of `/proc` or `/dev` is the host's kernel; `/etc/ssl/certs` is not listed, and
 * binding it is common and harmless, so `/etc` counts only whole).
 */
enum { EXACT, UNDER };

static const struct {
	const char *path;
	int scope;
} sensitive_paths[] = {
    {"/proc", UNDER},
    {"/sys", UNDER},
    {"/dev", UNDER},
    {"/root", UNDER},
    {"/home", UNDER},
    {"/boot", UNDER},
    {"/lib/modules", UNDER},
    {"/usr/lib/modules", UNDER},
    {"/etc", EXACT},
    {"/etc/kubernetes", UNDER}, /* the kubelet's and the control plane's credentials */
    {"/etc/shadow", EXACT},
    {"/etc/sudoers", EXACT},
    {"/var/lib/kubelet", EXACT}, /* every pod's volumes and secrets (one pod's own: not) */
    {"/var/lib/docker", EXACT},
    {"/var/lib/containerd", EXACT},
    {"/var/lib/containers", EXACT},
    {"/var/log", EXACT},
    {"/run/containerd/containerd.sock", EXACT},
    {"/run/docker.sock", EXACT},
    {"/run/crio/crio.sock", EXACT},
    {"/run/podman/podman.sock", EXACT},
    {"/run/containerd", EXACT}, /* the directory of its socket and its tasks' state */
    {"/run/docker", EXACT},
    {"/run/crio", EXACT},
    {"/run/podman", EXACT},
    {"/run/systemd", EXACT}, /* systemd's private socket: units as root */
    {"/run/dbus/system_bus_socket", EXACT},
};

/*
 * The path made canonical by its text alone into out (size bytes): one '/' between names, no
 * '.', '..' taking the name before it, no trailing '/', "/var/run" as "/run" (a symlink on
 * every distribution ctrwatch runs on). False for a relative or too long path.
 */
static bool canonical_path(const char *path, char *out, size_t size)
{
	size_t o = 0;

	if (path[0] != '/' || size < 2)
		return false;
	for (const char *p = path; *p;) {
		size_t len;

		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (len == 0 || (len == 1 && p[0] == '.')) {
			p += len;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 0 && out[--o] != '/')
				;
			p += len;
			continue;
		}
		if (o + 1 + len + 1 > size)
			return false;
		out[o++] = '/';
		memcpy(out + o, p, len);
		o += len;
		p += len;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	if (!strncmp(out, "/var/run", 8) && (out[8] == '/' || !out[8]))
		memmove(out, out + 4, strlen(out + 4) + 1);
	return true;
}

/* Whether dir ("/", "/var") is path itself or a directory above it. */
static bool at_or_above(const char *dir, const char *path)
{
	size_t len = strlen(dir);

	if (!strcmp(dir, "/"))
		return true;
	return !strncmp(path, dir, len) && (path[len] == '/' || !path[len]);
}

bool declared_path_sensitive(const char *source)
{
	char path[4096];

	if (!source || !canonical_path(source, path, sizeof(path)))
		return false; /* not a host path (a volume's name): nothing to judge */
	for (size_t i = 0; i < sizeof(sensitive_paths) / sizeof(sensitive_paths[0]); i++) {
		const char *listed = sensitive_paths[i].path;

		if (at_or_above(path, listed))
			return true; /* the listed path itself, or a directory above it */
		if (sensitive_paths[i].scope == UNDER && at_or_above(listed, path))
			return true;
	}
	return false;
}

static char *dup_cut(const char *s)
{
	return strndup(s ? s : "", DECLARED_PATH_MAX);
}

int declared_add_mount(struct container_declared *d, const char *source, const char *destination,
		       bool read_only)
{
	bool sensitive = declared_path_sensitive(source);
	struct declared_mount m = {.read_only = read_only, .sensitive = sensitive};
	size_t at = d->n_mounts;

	if (d->n_mounts == DECLARED_MOUNTS_MAX) {
		d->mounts_truncated = true;
		if (!sensitive || !d->n_mounts || d->mounts[d->n_mounts - 1].sensitive)
			return 0;
		at = d->n_mounts - 1; /* the last kept is harmless (sensitive ones come first) */
		free(d->mounts[at].source);
		free(d->mounts[at].destination);
		d->n_mounts--;
	}
	if (!d->mounts && !(d->mounts = calloc(DECLARED_MOUNTS_MAX, sizeof(*d->mounts))))
		return -ENOMEM;
	m.source = dup_cut(source);
	m.destination = dup_cut(destination);
	if (!m.source || !m.destination) {
		free(m.source);
		free(m.destination);
		return -ENOMEM;
	}
	if (sensitive) /* after the sensitive ones kept, before every harmless one */
		for (at = 0; at < d->n_mounts && d->mounts[at].sensitive; at++)
			;
	memmove(&d->mounts[at + 1], &d->mounts[at], (d->n_mounts - at) * sizeof(*d->mounts));
	d->mounts[at] = m;
	d->n_mounts++;
	return 0;
}
