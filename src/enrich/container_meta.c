// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "enrich/container_meta.h"

#define SPEC_PATH_MAX 4096

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

/*
 * Where systemd puts a slice: "a-b-c.slice" is /a.slice/a-b.slice/a-b-c.slice ('-' is the
 * separator in unit names; a literal one is escaped), "-.slice" is the root. Appends that path to
 * out; false for a name that is no slice, or too long.
 */
static bool slice_path(const char *slice, size_t len, char *out, size_t size)
{
	size_t base = len - 6, used = strlen(out);

	if (len <= 6 || memcmp(slice + base, ".slice", 6) || memchr(slice, '/', len))
		return false;
	if (base == 1 && slice[0] == '-')
		return true; /* the root slice */
	for (size_t i = 0; i <= base; i++) {
		int w;

		if (i < base && slice[i] != '-')
			continue;
		if (i == 0 || slice[i - 1] == '-')
			return false; /* an empty component */
		w = snprintf(out + used, size - used, "/%.*s.slice", (int)i, slice);
		if (w < 0 || (size_t)w >= size - used)
			return false;
		used += w;
	}
	return true;
}

/*
 * The cgroup systemd's driver makes for "slice:prefix:name": <slice's path>/<prefix>-<name>.scope,
 * under the system manager's root; an empty slice is runc's default, system.slice. Anything that
 * only ends the same way (a delegated subtree of a user's own, /user.slice/.../app.slice/...) is
 * not it.
 */
static bool matches_systemd(const char *spec, const char *path)
{
	const char *first = strchr(spec, ':'), *second;
	char want[SPEC_PATH_MAX] = "";
	size_t used;
	int w;

	if (!first || !(second = strchr(first + 1, ':')) || strchr(second + 1, ':') ||
	    second == first + 1 || !second[1])
		return false;
	if (first == spec ? !slice_path("system.slice", 12, want, sizeof(want))
			  : !slice_path(spec, first - spec, want, sizeof(want)))
		return false;
	used = strlen(want);
	w = snprintf(want + used, sizeof(want) - used, "/%.*s-%s.scope", (int)(second - first - 1),
		     first + 1, second + 1);
	return w >= 0 && (size_t)w < sizeof(want) - used && strcmp(want, path) == 0;
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
