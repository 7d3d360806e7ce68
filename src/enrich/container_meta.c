// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "ctrwatch_records.h"
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
	free(m->pod_sandbox_id);
	declared_free(&m->declared);
	memset(m, 0, sizeof(*m));
}

const char *container_meta_label(const struct container_meta *m, const char *key)
{
	for (size_t i = 0; i < m->n_labels; i++)
		if (strcmp(m->labels[i].key, key) == 0)
			return m->labels[i].value;
	return NULL;
}

int container_meta_add_label(struct container_meta *m, const char *key, const char *value)
{
	size_t bytes = strlen(key) + strlen(value);
	char *k, *v;

	if (m->n_labels >= LABELS_MAX || bytes > LABEL_BYTES_MAX - m->label_bytes) {
		m->labels_truncated = true;
		return 0;
	}
	/* compared as printed: keys that differ only in bytes that are not UTF-8 print alike */
	k = utf8_repaired(key);
	v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	m->labels[m->n_labels++] = (struct container_label){k, v};
	m->label_bytes += bytes;
	return 0;
}

/* Places in m->labels, by key, then by place: the last of a key comes last in its run. */
static int compare_places(const void *a, const void *b, void *labels)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const struct container_label *l = labels;
	int c = strcmp(l[x].key, l[y].key);

	return c ? c : (x < y ? -1 : x > y);
}

/*
 * A duplicate key would make the event carry one key twice, which JSON parsers resolve
 * differently: a field a SIEM could be tricked into reading either way.
 */
int container_meta_finish_labels(struct container_meta *m)
{
	size_t *places = malloc((m->n_labels ? m->n_labels : 1) * sizeof(*places));
	struct container_label *sorted = malloc((m->n_labels ? m->n_labels : 1) * sizeof(*sorted));
	size_t out = 0;

	if (!places || !sorted) {
		free(places);
		free(sorted);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->n_labels; i++)
		places[i] = i;
	qsort_r(places, m->n_labels, sizeof(*places), compare_places, m->labels);
	for (size_t i = 0; i < m->n_labels; i++) {
		struct container_label *l = &m->labels[places[i]];

		if (i + 1 < m->n_labels && !strcmp(l->key, m->labels[places[i + 1]].key)) {
			m->label_bytes -= strlen(l->key) + strlen(l->value);
			free(l->key);
			free(l->value);
			continue;
		}
		sorted[out++] = *l;
	}
	free(places);
	free(m->labels);
	m->labels = sorted;
	m->n_labels = out;
	return 0;
}

static size_t str_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

size_t container_meta_size(const struct container_meta *m)
{
	size_t n = sizeof(*m) + m->n_labels * (sizeof(*m->labels) + 2) + m->label_bytes;

	n += str_size(m->namespace) + str_size(m->name) + str_size(m->image);
	n += str_size(m->image_digest) + str_size(m->runtime_handler) + str_size(m->cgroups_path);
	n += str_size(m->pod_name) + str_size(m->pod_namespace) + str_size(m->pod_uid) +
	     str_size(m->pod_sandbox_id);
	return n + declared_size(&m->declared);
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
static bool systemd_path(const char *spec, char *want, size_t size)
{
	const char *first = strchr(spec, ':'), *second;
	size_t used;
	int w;

	if (!first || !(second = strchr(first + 1, ':')) || strchr(second + 1, ':') ||
	    second == first + 1 || !second[1])
		return false;
	if (first == spec ? !slice_path("system.slice", 12, want, size)
			  : !slice_path(spec, first - spec, want, size))
		return false;
	used = strlen(want);
	w = snprintf(want + used, size - used, "/%.*s-%s.scope", (int)(second - first - 1),
		     first + 1, second + 1);
	return w >= 0 && (size_t)w < size - used;
}

/* A path's length without its trailing slashes ("/" stays). */
static size_t trimmed_len(const char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	return n;
}

/* The cgroup path a spec's cgroupsPath names, into want; false for one that names none. */
static bool spec_path(const char *cgroups_path, char *want, size_t size)
{
	size_t n;

	want[0] = '\0';
	if (!cgroups_path || !*cgroups_path)
		return false;
	if (cgroups_path[0] != '/')
		return systemd_path(cgroups_path, want, size);
	n = trimmed_len(cgroups_path);
	if (n >= size)
		return false;
	memcpy(want, cgroups_path, n);
	want[n] = '\0';
	return true;
}

char *container_meta_cgroup_under(const char *cgroups_path, const char *root)
{
	char want[SPEC_PATH_MAX], *path;

	if (!spec_path(cgroups_path, want, sizeof(want)) ||
	    asprintf(&path, "%.*s%s", (int)trimmed_len(root), root, want) < 0)
		return NULL;
	return path;
}

bool container_meta_cgroup_matches(const char *cgroups_path, const char *path)
{
	char want[SPEC_PATH_MAX];

	if (!path || !spec_path(cgroups_path, want, sizeof(want)))
		return false;
	return strlen(want) == trimmed_len(path) && !memcmp(want, path, strlen(want));
}

bool container_meta_cgroup_tail_matches(const char *cgroups_path, const char *tail, char *want,
					size_t size)
{
	size_t w, t;

	if (!tail || tail[0] != '/' || !spec_path(cgroups_path, want, size))
		return false;
	w = strlen(want);
	t = trimmed_len(tail);
	/* tail starts with '/': a match ends the path at a whole component */
	return w >= t && !memcmp(want + w - t, tail, t);
}
