// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "enrich/container_meta.h"

void container_meta_free(struct container_meta *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_labels; i++) {
		free(m->labels[i].key);
		free(m->labels[i].value);
	}
	free(m->labels);
	free(m->namespace);
	free(m->name);
	free(m->image);
	free(m->image_digest);
	free(m->runtime_handler);
	free(m->cgroups_path);
	free(m->pod_name);
	free(m->pod_namespace);
	free(m->pod_uid);
	memset(m, 0, sizeof(*m));
}

const char *container_meta_label(const struct container_meta *m, const char *key)
{
	for (size_t i = 0; i < m->n_labels; i++)
		if (strcmp(m->labels[i].key, key) == 0)
			return m->labels[i].value;
	return NULL;
}

/*
 * Labels are a map: a key given twice (an entry repeated on protobuf's wire, a JSON object with
 * a key twice) keeps its last value. Kept unique here, or the event would carry one key twice,
 * which JSON parsers resolve differently: a field a SIEM could be tricked into reading either
 * way.
 */
int container_meta_add_label(struct container_meta *m, const char *key, const char *value)
{
	/* compared as printed: keys that differ only in bytes that are not UTF-8 print alike */
	char *k = utf8_repaired(key), *v = strdup(value);
	size_t i;

	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < m->n_labels; i++) {
		if (strcmp(m->labels[i].key, k) == 0) {
			free(k);
			free(m->labels[i].value);
			m->labels[i].value = v;
			return 0;
		}
	}
	m->labels[i] = (struct container_label){k, v};
	m->n_labels++;
	return 0;
}

static int dup_label(const struct container_meta *m, const char *key, char **out)
{
	const char *v = container_meta_label(m, key);

	if (!v)
		return 0;
	*out = strdup(v);
	return *out ? 0 : -ENOMEM;
}

int container_meta_apply_labels(struct container_meta *m, const char *id)
{
	const char *name = container_meta_label(m, "io.kubernetes.container.name");

	if (!name)
		name = container_meta_label(m, "nerdctl/name");
	if (name || !m->name) { /* else the engine's own name (Docker, Podman) stays */
		free(m->name);
		m->name = strdup(name ? name : id);
	}
	if (!m->name || dup_label(m, "io.kubernetes.pod.name", &m->pod_name) ||
	    dup_label(m, "io.kubernetes.pod.namespace", &m->pod_namespace) ||
	    dup_label(m, "io.kubernetes.pod.uid", &m->pod_uid))
		return -ENOMEM;
	return 0;
}

/* The last path component of s (without trailing slashes) as [*start, *start + *len). */
static void last_component(const char *s, size_t n, const char **start, size_t *len)
{
	while (n > 0 && s[n - 1] == '/')
		n--;
	*len = 0;
	while (n > 0 && s[n - 1] != '/')
		n--, (*len)++;
	*start = s + n;
}

static bool matches_systemd(const char *spec, const char *path)
{
	const char *first = strchr(spec, ':'), *second, *leaf, *parent;
	size_t leaf_len, parent_len, slice_len, prefix_len, name_len;

	if (!first || !(second = strchr(first + 1, ':')) || strchr(second + 1, ':'))
		return false;
	slice_len = first - spec;
	prefix_len = second - first - 1;
	name_len = strlen(second + 1);
	last_component(path, strlen(path), &leaf, &leaf_len);
	/* "<prefix>-<name>.scope" */
	if (leaf_len != prefix_len + 1 + name_len + 6 || memcmp(leaf, first + 1, prefix_len) ||
	    leaf[prefix_len] != '-' || memcmp(leaf + prefix_len + 1, second + 1, name_len) ||
	    memcmp(leaf + leaf_len - 6, ".scope", 6))
		return false;
	if (slice_len == 0)
		return true; /* systemd's default slice */
	last_component(path, leaf - path, &parent, &parent_len);
	return parent_len == slice_len && memcmp(parent, spec, slice_len) == 0;
}

bool container_meta_cgroup_matches(const char *cgroups_path, const char *path)
{
	size_t a, b;

	if (!cgroups_path || !*cgroups_path || !path)
		return false;
	if (cgroups_path[0] != '/')
		return matches_systemd(cgroups_path, path);
	a = strlen(cgroups_path);
	b = strlen(path);
	while (a > 1 && cgroups_path[a - 1] == '/')
		a--;
	while (b > 1 && path[b - 1] == '/')
		b--;
	return a == b && memcmp(cgroups_path, path, a) == 0;
}
