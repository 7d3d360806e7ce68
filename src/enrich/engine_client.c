// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The Docker Engine API (and Podman's copy): two GETs per container over http_unix. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "enrich/engine_client.h"
#include "enrich/http_unix.h"
#include "lifecycle/cgroup_path.h"
#include "metrics/metrics.h"

/* An inspect reply is a few KiB; labels can make it larger, never this large. */
#define REPLY_MAX (4u << 20)

/*
 * Where an engine puts a container's cgroup, in the OCI spec's linux.cgroupsPath notation (what
 * it hands runc): systemd's driver "<slice>:<scope prefix>:<id>", cgroupfs "<parent>/<leaf
 * prefix><id>"; a container's own cgroup parent replaces the default slice or parent.
 */
struct engine_cgroups {
	const char *default_slice;
	const char *scope_prefix;
	const char *default_parent;
	const char *leaf_prefix;
};

static const struct engine_cgroups docker_cgroups = {"system.slice", "docker", "/docker", ""};
static const struct engine_cgroups podman_cgroups = {"machine.slice", "libpod", "/libpod_parent",
						     "libpod-"};
/* rootless Podman: under its user's systemd manager, whose root is user@UID.service */
static const struct engine_cgroups podman_user_cgroups = {"user.slice", "libpod", "/libpod_parent",
							  "libpod-"};

enum cgroup_driver {
	DRIVER_UNKNOWN, /* not asked yet, or /info did not answer */
	DRIVER_CGROUPFS,
	DRIVER_SYSTEMD,
};

struct engine_client {
	char *engine;
	const struct engine_cgroups *cgroups;
	enum cgroup_driver driver;   /* GET /info's, asked once */
	enum metrics_engine metrics; /* its series in ctrwatch_engine_* */
	char *socket_path;
	char *namespace;
	int timeout_ms;
	int64_t deadline_ms; /* CLOCK_MONOTONIC; 0: none (engine_client_set_deadline) */
	uid_t owner;	     /* a user's own engine: its socket must be served by them */
	char *manager_root;  /* and its cgroups are under their manager's; else NULL */
};

_Static_assert(ENGINE_ERROR_MAX > HTTP_UNIX_ERROR_MAX + 40, "an HTTP error fits with its prefix");

struct engine_client *engine_client_open(const char *engine, const char *socket_path,
					 const char *namespace, int timeout_ms)
{
	struct engine_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->engine = strdup(engine);
	c->socket_path = strdup(socket_path);
	c->namespace = namespace ? strdup(namespace) : NULL;
	c->timeout_ms = timeout_ms;
	c->metrics = strcmp(engine, "podman") ? METRICS_ENGINE_DOCKER : METRICS_ENGINE_PODMAN;
	c->cgroups = strcmp(engine, "podman") ? &docker_cgroups : &podman_cgroups;
	c->owner = HTTP_UNIX_ANY_OWNER;
	if (!c->engine || !c->socket_path || (namespace && !c->namespace)) {
		engine_client_close(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

struct engine_client *engine_client_open_user(const char *socket_path, uid_t uid, int timeout_ms)
{
	struct engine_client *c = engine_client_open("podman", socket_path, NULL, timeout_ms);

	if (!c)
		return NULL;
	c->owner = uid;
	c->cgroups = &podman_user_cgroups;
	if (asprintf(&c->manager_root, "/user.slice/user-%u.slice/user@%u.service",
		     (unsigned int)uid, (unsigned int)uid) < 0) {
		c->manager_root = NULL;
		engine_client_close(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void engine_client_set_deadline(struct engine_client *c, int64_t deadline_ms)
{
	c->deadline_ms = deadline_ms;
}

void engine_client_close(struct engine_client *c)
{
	if (!c)
		return;
	free(c->manager_root);
	free(c->engine);
	free(c->socket_path);
	free(c->namespace);
	free(c);
}

const char *engine_client_socket(const struct engine_client *c)
{
	return c->socket_path;
}

/* Docker's error replies are {"message": "..."}: the first line of it, for the log. */
static void error_message(const struct http_reply *reply, char *out, size_t size)
{
	json_t *root = json_loads(reply->body, 0, NULL);
	const char *msg = json_string_value(json_object_get(root, "message"));

	snprintf(out, size, "%.*s", msg ? (int)strcspn(msg, "\r\n") : 0, msg ? msg : "");
	json_decref(root);
}

/*
 * GETs target; 0 with reply filled for a 200, -ENOENT for a 404, else -errno with err saying
 * "<engine> <what>: why".
 */
static int get(struct engine_client *c, const char *what, const char *target,
	       struct http_reply *reply, char *err)
{
	char why[HTTP_UNIX_ERROR_MAX];
	int timeout_ms = c->timeout_ms, rc;

	if (c->deadline_ms) {
		int64_t left = c->deadline_ms - clock_monotonic_ms();

		if (left <= 0) {
			snprintf(err, ENGINE_ERROR_MAX, "%s %s: its share of time is used",
				 c->engine, what);
			return -ETIMEDOUT;
		}
		if (left < timeout_ms)
			timeout_ms = (int)left;
	}
	rc = http_unix_get_owned(c->socket_path, c->owner, target, timeout_ms, REPLY_MAX, reply,
				 why);
	metrics_engine_request(c->metrics, rc == 0);
	if (rc) {
		snprintf(err, ENGINE_ERROR_MAX, "%s %s: %s", c->engine, what, why);
		return rc;
	}
	if (reply->status == 200)
		return 0;
	rc = reply->status == 404 ? -ENOENT : -EIO;
	error_message(reply, why, sizeof(why));
	snprintf(err, ENGINE_ERROR_MAX, "%s %s: HTTP %d%s%s", c->engine, what, reply->status,
		 why[0] ? ": " : "", why);
	http_reply_free(reply);
	return rc;
}

int engine_version(struct engine_client *c, char *version, size_t size, char *err)
{
	struct http_reply reply;
	json_t *root;
	const char *v;
	int rc;

	rc = get(c, "version", "/version", &reply, err);
	if (rc)
		return rc;
	root = json_loadb(reply.body, reply.len, 0, NULL);
	v = json_string_value(json_object_get(root, "Version"));
	snprintf(version, size, "%.*s", v ? (int)strcspn(v, "\r\n") : 7, v ? v : "unknown");
	json_decref(root);
	http_reply_free(&reply);
	return 0;
}

/*
 * Ids come from cgroup paths (64 hex digits) and the engine's own replies; only what containerd
 * would take as an identifier may reach a request line.
 */
static bool is_plain_id(const char *s)
{
	return cgroup_is_identifier(s, strlen(s));
}

/*
 * The image's digest: the one its reference pins ("repo@sha256:…"), else the engine's
 * RepoDigests, else, for an image that never came from a registry, its ID (the digest of its
 * config: its content address, as containerd's image given by ID).
 */
static void find_digest(struct engine_client *c, struct container_meta *m, const char *image_id,
			char *err)
{
	const char *at = m->image ? strchr(m->image, '@') : NULL;
	struct http_reply reply;
	char target[160];
	int rc;

	if (at && strncmp(at + 1, "sha256:", 7) == 0) {
		m->image_digest = strdup(at + 1);
		return;
	}
	if (!image_id || !is_plain_id(image_id + (strncmp(image_id, "sha256:", 7) ? 0 : 7)) ||
	    snprintf(target, sizeof(target), "/images/%s/json", image_id) >= (int)sizeof(target))
		return;
	rc = get(c, "image inspect", target, &reply, err);
	if (rc == 0) {
		char why[ENGINE_ERROR_MAX - 40];

		rc = engine_decode_image_digest(reply.body, reply.len, m->image, &m->image_digest,
						why);
		if (rc)
			snprintf(err, ENGINE_ERROR_MAX, "%s image inspect: %s", c->engine, why);
		http_reply_free(&reply);
	}
	if (rc == -ENOENT) /* removed since (docker rmi -f): its ID is all there is */
		err[0] = '\0';
	if ((rc == 0 || rc == -ENOENT) && !m->image_digest && strncmp(image_id, "sha256:", 7) == 0)
		m->image_digest = strdup(image_id);
}

/* The engine's cgroup driver, asked of /info once it answers. 0 or -errno with err filled. */
static int cgroup_driver(struct engine_client *c, char *err)
{
	struct http_reply reply;
	bool systemd;
	int rc;

	if (c->driver != DRIVER_UNKNOWN)
		return 0;
	rc = get(c, "info", "/info", &reply, err);
	if (rc)
		return rc == -ENOENT ? -EIO : rc;
	rc = engine_decode_cgroup_driver(reply.body, reply.len, &systemd);
	http_reply_free(&reply);
	if (rc) {
		snprintf(err, ENGINE_ERROR_MAX, "%s info: no CgroupDriver", c->engine);
		return rc;
	}
	c->driver = systemd ? DRIVER_SYSTEMD : DRIVER_CGROUPFS;
	return 0;
}

/*
 * The cgroupsPath the engine gives container id under parent (NULL: its default). A user's
 * engine names it in its manager's tree: made a path from the hierarchy's root here, so that it
 * is compared with the cgroup's whole path (and can name nothing outside the user's subtree).
 */
static char *cgroups_path(const struct engine_client *c, const char *id, const char *parent)
{
	const struct engine_cgroups *g = c->cgroups;
	char *path = NULL, *placed;
	int n;

	if (c->driver == DRIVER_SYSTEMD)
		n = asprintf(&path, "%s:%s:%s", parent ? parent : g->default_slice, g->scope_prefix,
			     id);
	else
		n = asprintf(&path, "%s%s/%s%s", parent && parent[0] != '/' ? "/" : "",
			     parent ? parent : g->default_parent, g->leaf_prefix, id);
	if (n < 0)
		return NULL;
	if (!c->manager_root)
		return path;
	placed = container_meta_cgroup_under(path, c->manager_root);
	free(path);
	return placed;
}

/* The container's inspect: its cgroup parent, what the engine declared it may do, its
   addresses. */
static int inspect(struct engine_client *c, const char *id, char **parent, struct container_meta *m,
		   char *err)
{
	enum declared_engine engine =
	    strcmp(c->engine, "podman") ? DECLARED_ENGINE_OCI : DECLARED_ENGINE_PODMAN;
	struct http_reply reply;
	char target[160];
	int rc;

	if (snprintf(target, sizeof(target), "/containers/%s/json", id) >= (int)sizeof(target))
		return -ENOENT;
	rc = get(c, "inspect", target, &reply, err);
	if (rc)
		return rc;
	rc = engine_decode_inspect(reply.body, reply.len, id, engine, parent, m);
	http_reply_free(&reply);
	if (rc)
		snprintf(err, ENGINE_ERROR_MAX, "%s inspect: %s", c->engine,
			 rc == -ENOMEM ? strerror(ENOMEM) : "undecodable reply");
	return rc;
}

/*
 * Where the engine says the container's cgroup is, into m->cgroups_path, and what it declared
 * the container may do, into m->declared, and its addresses: all from its inspect. The inspect
 * waits for the container's lock, which its start holds, and a container run with --rm may be
 * gone by then: where the default for the engine's driver is cgroup_path already, an inspect
 * that fails costs only the declaration and the addresses (not said: the container's identity
 * is whole without them); else the cgroup parent it gives is needed.
 */
static int find_cgroups_path(struct engine_client *c, const char *id, const char *cgroup_path,
			     struct container_meta *m, char *err)
{
	char *parent = NULL, inspect_err[ENGINE_ERROR_MAX];
	int rc = cgroup_driver(c, err);

	if (rc)
		return rc;
	m->cgroups_path = cgroups_path(c, id, NULL);
	if (!m->cgroups_path)
		return -ENOMEM;
	rc = inspect(c, id, &parent, m, inspect_err);
	if (container_meta_cgroup_matches(m->cgroups_path, cgroup_path)) {
		free(parent);
		return rc == -ENOMEM ? rc : 0;
	}
	if (rc)
		snprintf(err, ENGINE_ERROR_MAX, "%s", inspect_err);
	if (rc || !parent)
		return rc;
	free(m->cgroups_path);
	m->cgroups_path = cgroups_path(c, id, parent);
	free(parent);
	return m->cgroups_path ? 0 : -ENOMEM;
}

int engine_get_container(struct engine_client *c, const char *id, const char *cgroup_path,
			 struct container_meta *m, char *err)
{
	char target[160], why[ENGINE_ERROR_MAX - 40], *image_id = NULL;
	struct http_reply reply;
	int rc;

	memset(m, 0, sizeof(*m));
	err[0] = '\0';
	/*
	 * The list, filtered by id ({"id":["<id>"]}): Docker answers it from a snapshot, while an
	 * inspect waits for the container's lock, which its start holds (hundreds of ms, more
	 * under load: the events' hold would pass).
	 */
	if (!is_plain_id(id) ||
	    snprintf(target, sizeof(target),
		     "/containers/json?all=1&filters=%%7B%%22id%%22%%3A%%5B%%22%s%%22%%5D%%7D",
		     id) >= (int)sizeof(target)) {
		snprintf(err, ENGINE_ERROR_MAX, "%s list: not a container id", c->engine);
		return -ENOENT;
	}
	rc = get(c, "list", target, &reply, err);
	if (rc)
		return rc;
	rc = engine_decode_container(reply.body, reply.len, id, c->namespace, m, &image_id, why);
	http_reply_free(&reply);
	if (rc == -EPROTO || rc == -ENOMEM)
		snprintf(err, ENGINE_ERROR_MAX, "%s list: %s", c->engine, why);
	if (rc)
		return rc;
	/* unconfirmed, the engine's metadata is not given to the cgroup */
	rc = find_cgroups_path(c, id, cgroup_path, m, err);
	if (rc) {
		container_meta_free(m);
		free(image_id);
		return rc == -ENOENT ? -EIO : rc;
	}
	find_digest(c, m, image_id, err);
	free(image_id);
	return 0;
}
