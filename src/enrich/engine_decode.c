// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Decoding the Docker Engine API's JSON: untrusted text (names, labels, images are the user's). */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "enrich/declared_decode.h"
#include "enrich/engine_decode.h"
#include "enrich/json_text.h"

/* The member key of obj, copied if it is a non-empty string; *out stays NULL otherwise. */
static int dup_member(const json_t *obj, const char *key, char **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!json_is_string(v) || json_string_length(v) == 0)
		return 0;
	*out = json_text_dup(v);
	return *out ? 0 : -ENOMEM;
}

static int decode_labels(const json_t *labels, struct container_meta *m)
{
	const char *key;
	json_t *value;

	if (!json_is_object(labels))
		return 0; /* null when the container has none */
	m->labels = calloc(json_object_size(labels) < LABELS_MAX ? json_object_size(labels) + 1
								 : LABELS_MAX,
			   sizeof(*m->labels));
	if (!m->labels)
		return -ENOMEM;
	json_object_foreach((json_t *)labels, key, value)
	{
		char *v;
		int rc;

		if (!json_is_string(value))
			continue; /* Docker's labels are strings; anything else is no label */
		v = json_text_dup(value);
		if (!v)
			return -ENOMEM;
		/* jansson keeps keys as C strings: one with U+0000 was refused by the parser */
		rc = container_meta_add_label(m, key, v);
		free(v);
		if (rc)
			return rc;
	}
	return container_meta_finish_labels(m);
}

/* Created: RFC 3339 in an inspect reply, seconds since the epoch in a list entry. */
static uint64_t created_ns(const json_t *created, bool listed)
{
	uint64_t ns = 0;

	if (!listed && json_is_string(created))
		(void)clock_parse_rfc3339(json_string_value(created), &ns);
	else if (listed && json_is_integer(created) && json_integer_value(created) > 0)
		ns = (uint64_t)json_integer_value(created) * 1000000000ull;
	return ns;
}

/*
 * One container: an inspect reply (Name, Image is the ID, Config.Image, Config.Labels,
 * HostConfig.Runtime, Created as RFC 3339) or a list entry (Names, Image is the reference,
 * ImageID, Labels, Created in seconds).
 */
static int decode_container(const json_t *root, const char *namespace, struct container_meta *m,
			    char **image_id)
{
	const json_t *config = json_object_get(root, "Config");
	const json_t *names = json_object_get(root, "Names");
	const json_t *name =
	    json_is_array(names) ? json_array_get(names, 0) : json_object_get(root, "Name");
	bool listed = json_is_array(names);
	int rc;

	if (namespace && !(m->namespace = strdup(namespace)))
		return -ENOMEM;
	if (json_is_string(name) && json_string_length(name) > 0) {
		m->name = json_text_dup(name);
		if (!m->name)
			return -ENOMEM;
		if (m->name[0] == '/' && m->name[1]) /* Docker's leading '/', a leftover of links */
			memmove(m->name, m->name + 1, strlen(m->name));
	}
	if (listed)
		rc = dup_member(root, "Image", &m->image) ||
		     dup_member(root, "ImageID", image_id) ||
		     decode_labels(json_object_get(root, "Labels"), m);
	else
		rc = dup_member(config, "Image", &m->image) ||
		     dup_member(root, "Image", image_id) ||
		     dup_member(json_object_get(root, "HostConfig"), "Runtime",
				&m->runtime_handler) ||
		     decode_labels(json_object_get(config, "Labels"), m);
	if (rc)
		return -ENOMEM;
	m->created_ns = created_ns(json_object_get(root, "Created"), listed);
	if (!m->image && *image_id && !(m->image = strdup(*image_id)))
		return -ENOMEM;
	return 0;
}

/* The list entry whose Id is id (a list filtered by id matches by prefix), or NULL. */
static const json_t *listed_container(const json_t *list, const char *id)
{
	const json_t *entry;
	size_t i;

	json_array_foreach(list, i, entry)
	{
		const char *eid = json_string_value(json_object_get(entry, "Id"));

		if (eid && strcmp(eid, id) == 0)
			return entry;
	}
	return NULL;
}

int engine_decode_container(const char *json, size_t len, const char *id, const char *namespace,
			    struct container_meta *m, char **image_id, char *err)
{
	const json_t *container;
	json_error_t jerr;
	json_t *root;
	int rc;

	memset(m, 0, sizeof(*m));
	*image_id = NULL;
	root = json_loadb(json, len, JSON_ALLOW_NUL, &jerr);
	container = json_is_array(root) ? listed_container(root, id) : root;
	if (json_is_array(root) && !container) {
		json_decref(root);
		return -ENOENT;
	}
	if (!json_is_object(container)) {
		snprintf(err, ENGINE_ERROR_MAX, "undecodable reply");
		json_decref(root);
		return -EPROTO;
	}
	if (!json_is_string(json_object_get(container, "Id")) ||
	    strcmp(json_string_value(json_object_get(container, "Id")), id) != 0) {
		snprintf(err, ENGINE_ERROR_MAX, "reply names another container");
		json_decref(root);
		return -EPROTO;
	}
	rc = decode_container(container, namespace, m, image_id);
	if (!rc)
		rc = container_meta_apply_labels(m, id);
	json_decref(root);
	if (rc) {
		snprintf(err, ENGINE_ERROR_MAX, "%s", strerror(-rc));
		container_meta_free(m);
		free(*image_id);
		*image_id = NULL;
	}
	return rc;
}

/* The repository of an image reference: without "@digest", and without ":tag" after the last '/'.
 */
static size_t repository_len(const char *image)
{
	const char *at = strchr(image, '@'), *slash, *colon;
	size_t len = at ? (size_t)(at - image) : strlen(image);

	slash = memrchr(image, '/', len);
	colon =
	    memrchr(slash ? slash : image, ':', len - (size_t)((slash ? slash : image) - image));
	return colon ? (size_t)(colon - image) : len;
}

/* "repo@sha256:…" → its digest, if that is what it is. */
static const char *digest_of(const char *repo_digest)
{
	const char *at = strchr(repo_digest, '@');

	return at && strncmp(at + 1, "sha256:", 7) == 0 ? at + 1 : NULL;
}

int engine_decode_image_digest(const char *json, size_t len, const char *image, char **digest,
			       char *err)
{
	size_t repo_len = image ? repository_len(image) : 0;
	const char *chosen = NULL;
	json_t *root, *entry;
	size_t i;

	*digest = NULL;
	root = json_loadb(json, len, 0, NULL);
	if (!json_is_object(root)) {
		snprintf(err, ENGINE_ERROR_MAX, "undecodable reply");
		json_decref(root);
		return -EPROTO;
	}
	json_array_foreach(json_object_get(root, "RepoDigests"), i, entry)
	{
		const char *s = json_string_value(entry);
		const char *d = s ? digest_of(s) : NULL;

		if (!d)
			continue;
		if (!chosen)
			chosen = d;
		if (repo_len && (size_t)(d - 1 - s) == repo_len && !memcmp(s, image, repo_len)) {
			chosen = d;
			break;
		}
	}
	if (chosen && !(*digest = strdup(chosen))) {
		json_decref(root);
		snprintf(err, ENGINE_ERROR_MAX, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	json_decref(root);
	return 0;
}

int engine_decode_cgroup_driver(const char *json, size_t len, bool *systemd)
{
	json_t *root = json_loadb(json, len, JSON_ALLOW_NUL, NULL);
	const char *driver = json_string_value(json_object_get(root, "CgroupDriver"));
	int rc = driver ? 0 : -EPROTO;

	if (driver)
		*systemd = strcmp(driver, "systemd") == 0;
	json_decref(root);
	return rc;
}

/*
 * Where the container can be reached: its address on each network it is on
 * (NetworkSettings.Networks.*), and the default bridge's in the older top-level fields.
 */
static void decode_addresses(const json_t *settings, struct container_addresses *a)
{
	static const char *const keys[] = {"IPAddress", "GlobalIPv6Address"};
	const json_t *network;
	const char *name;

	for (size_t k = 0; k < 2; k++)
		addresses_add(a, json_string_value(json_object_get(settings, keys[k])));
	json_object_foreach((json_t *)json_object_get(settings, "Networks"), name,
			    network) for (size_t k = 0; k < 2; k++)
	    addresses_add(a, json_string_value(json_object_get(network, keys[k])));
}

int engine_decode_inspect(const char *json, size_t len, const char *id, enum declared_engine engine,
			  char **parent, struct container_meta *m)
{
	json_t *root = json_loadb(json, len, JSON_ALLOW_NUL, NULL);
	const char *eid = json_string_value(json_object_get(root, "Id"));
	const json_t *host_config = json_object_get(root, "HostConfig");
	int rc = 0;

	*parent = NULL;
	memset(&m->declared, 0, sizeof(m->declared));
	memset(&m->addresses, 0, sizeof(m->addresses));
	if (!json_is_object(root) || !eid || strcmp(eid, id) != 0 || !json_is_object(host_config))
		rc = -EPROTO;
	else if (dup_member(host_config, "CgroupParent", parent))
		rc = -ENOMEM;
	else
		rc = declared_from_inspect(root, engine, &m->declared);
	if (rc) {
		free(*parent);
		*parent = NULL;
	} else {
		decode_addresses(json_object_get(root, "NetworkSettings"), &m->addresses);
	}
	json_decref(root);
	return rc;
}
