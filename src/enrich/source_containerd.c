// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * containerd as a source (source.h): its containers in any namespace, found by the id the path
 * names or, for a cgroup whose name says none, by the cgroupsPath that names it; their image's
 * digest, a running container's init, a CRI pod's network (containerd's CRI plugin, on the same
 * socket); and an exec session's exec id. Owns its lane's containerd and CRI connections.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enrich/cgroup_confirm.h"
#include "enrich/containerd_client.h"
#include "enrich/cri_client.h"
#include "enrich/source.h"
#include "enrich/source_containerd.h"
#include "common/log.h"

/* An exec session's exec id is asked this many times, this far apart, before it is "none". */
#define SESSION_ATTEMPTS 5
#define SESSION_RETRY_US 20000

_Static_assert(LOOKUP_ERROR_MAX >= CONTAINERD_ERROR_MAX, "containerd errors fit a lookup result");

struct containerd_source {
	struct containerd_client *client;
	struct cri_client *cri_plugin; /* containerd's CRI plugin, on containerd's socket */
	struct source_health health;
	char socket[PATH_MAX];
};

/* Containers/Get in ns; tells whether the answer ends the search. */
static bool lookup_in(struct containerd_client *c, const char *ns, const struct enrich_request *req,
		      struct lookup_result *res)
{
	char err[CONTAINERD_ERROR_MAX] = "";
	int rc;

	/* into err: a mismatch found in another namespace keeps its words in res->error */
	rc = containerd_get_container(c, ns, req->ident.id, &res->meta, err);
	if (rc == -ENOENT)
		return false; /* not being in one namespace is no failure */
	if (rc) {
		snprintf(res->error, sizeof(res->error), "%s", err);
		res->status = LOOKUP_FAILED;
		return true;
	}
	/*
	 * A cgroup is this container only if its spec names this very cgroup: any cgroup can be
	 * named like one (a user's delegated subtree, a writable cgroupfs), at any depth.
	 */
	res->status = cgroup_confirm(req, res, "containerd", ns, containerd_peer_pid(c));
	return res->status != LOOKUP_MISMATCH;
}

struct cgroup_search {
	const struct enrich_request *req;
	pid_t runtime_pid; /* containerd's, for a relative cgroupsPath */
};

/* containerd_cgroup_pick: a container whose cgroupsPath names the cgroup asked about */
static bool names_sought_cgroup(const char *cgroups_path, void *ctx)
{
	struct cgroup_search *search = ctx;
	const char *why;

	return cgroup_names_this(search->req, cgroups_path, search->runtime_pid, &why) > 0;
}

/*
 * A cgroup whose name says no id (`ctr run --cgroup /name`, `/a/b/name`): the container, in any
 * namespace, whose spec's cgroupsPath names this very cgroup (Containers/List); its id is then
 * res->id. The search is the proof: nothing else names a cgroup a container.
 */
static void find_container_by_cgroup(struct containerd_client *c, const struct enrich_request *req,
				     struct lookup_result *res)
{
	struct cgroup_search search = {.req = req};
	char **names = NULL;
	size_t n = 0;
	int rc = -ENOENT;

	res->status = LOOKUP_NOT_FOUND;
	if (containerd_list_namespaces(c, &names, &n, res->error)) {
		res->status = LOOKUP_FAILED;
		return;
	}
	search.runtime_pid = containerd_peer_pid(c); /* its connection is made by now */
	for (size_t i = 0; i < n && rc == -ENOENT; i++) {
		rc = containerd_find_container(c, names[i], names_sought_cgroup, &search,
					       &res->meta, res->id, sizeof(res->id), res->error);
		if (rc == 0)
			res->status = LOOKUP_FOUND;
		else if (rc != -ENOENT)
			res->status = LOOKUP_FAILED;
	}
	containerd_free_strings(names, n);
	if (res->status == LOOKUP_NOT_FOUND)
		res->error[0] = '\0';
}

/*
 * In the namespace the path names, then, for a known container only, in every namespace (the
 * path's hint can be wrong: a custom cgroup parent). A lookalike costs one call: if it is a
 * container after all, its start readmits it and it is looked up again, urgently.
 */
static void find_container(struct containerd_client *c, const struct enrich_request *req,
			   struct lookup_result *res)
{
	char **names = NULL;
	size_t n = 0;
	int rc;

	res->status = LOOKUP_NOT_FOUND;
	if (req->ident.ns[0] && lookup_in(c, req->ident.ns, req, res))
		return;
	if (!req->urgent) {
		if (res->mismatched)
			res->status = LOOKUP_MISMATCH;
		return;
	}
	res->searched_all = true;
	/* Else every namespace: the path's hint can be wrong (a custom cgroup parent). */
	rc = containerd_list_namespaces(c, &names, &n, res->error);
	if (rc) {
		res->status = LOOKUP_FAILED;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], req->ident.ns) != 0 && lookup_in(c, names[i], req, res))
			break;
	}
	containerd_free_strings(names, n);
	if (res->status == LOOKUP_NOT_FOUND && res->mismatched)
		res->status = LOOKUP_MISMATCH;
	else if (res->status == LOOKUP_NOT_FOUND)
		res->error[0] = '\0';
}

/* The digest of the container's image; a bare "sha256:" image is its own digest. */
static void find_digest(struct containerd_client *c, struct lookup_result *res)
{
	struct container_meta *m = &res->meta;

	if (!m->image)
		return;
	if (strncmp(m->image, "sha256:", 7) == 0) {
		m->image_digest = m->image;
		m->image = NULL;
		return;
	}
	containerd_get_image_digest(c, m->namespace, m->image, &m->image_digest, res->error);
}

void containerd_find_init_pid(struct containerd_client *c, struct lookup_result *res,
			      const char *id)
{
	char err[CONTAINERD_ERROR_MAX];
	unsigned int pid, status;

	if (containerd_get_task(c, res->meta.namespace, id, &pid, &status, err) == 0 &&
	    status == 2 /* RUNNING */)
		res->init_pid = pid;
}

/*
 * A CRI plugin's container: its pod's addresses and its namespaces' modes, which containerd's
 * record does not hold (its sandbox's PodSandboxStatus does). Its failure leaves the container's
 * answer partial, said in res->error; a pod sandbox, dropped as pause, is not asked for.
 */
static void find_pod_network(struct containerd_source *s, struct lookup_result *res)
{
	const struct container_meta *m = &res->meta;
	const char *kind = container_meta_label(m, "io.cri-containerd.kind");
	char err[CRI_ERROR_MAX];

	if (!m->pod_sandbox_id || !kind || strcmp(kind, "container") != 0)
		return;
	if (cri_get_pod_network(s->cri_plugin, m->pod_sandbox_id, &res->meta, err) &&
	    !res->error[0])
		snprintf(res->error, sizeof(res->error), "%s", err);
}

void containerd_find(struct containerd_client *c, const struct enrich_request *req,
		     struct lookup_result *res)
{
	if (req->ident.form == CGROUP_FORM_UNNAMED)
		find_container_by_cgroup(c, req, res);
	else
		find_container(c, req, res);
	if (res->status != LOOKUP_FOUND)
		return;
	find_digest(c, res);
	if (req->want_init_pid)
		containerd_find_init_pid(c, res, res->id[0] ? res->id : req->ident.id);
}

/*
 * An exec session's exec id. The session's program runs a moment before the shim learns its
 * pid from runc (runc exec writes it once the process has started): asked a few times while
 * the pid is listed without one. A session that has ended is listed no more: none.
 */
static void lookup_session(struct containerd_client *c, const struct enrich_request *req,
			   struct lookup_result *res)
{
	int rc = 0;

	res->status = LOOKUP_NOT_FOUND;
	for (int attempt = 0; attempt < SESSION_ATTEMPTS; attempt++) {
		if (attempt)
			usleep(SESSION_RETRY_US);
		rc = containerd_get_exec_id(c, req->namespace, req->ident.id, req->session_pid,
					    res->exec_id, sizeof(res->exec_id), res->error);
		if (rc || res->exec_id[0])
			break;
	}
	if (!rc && res->exec_id[0])
		res->status = LOOKUP_FOUND;
	else if (rc && rc != -ENOENT && rc != -ESRCH)
		res->status = LOOKUP_FAILED;
}

static void containerd_probe(void *ctx)
{
	struct containerd_source *s = ctx;
	char version[64], err[CONTAINERD_ERROR_MAX] = "";

	if (containerd_version(s->client, version, sizeof(version), err) == 0) {
		log_info("containerd %s at %s", version, s->health.path);
		__atomic_store_n(&s->health.state, SOURCE_UP, __ATOMIC_RELAXED);
	} else {
		/* absent: a debug line (CRI-O's nodes have none), and a warning with its first
		 * container; there and silent: a warning now */
		source_health_note(&s->health, false, err);
	}
}

static void containerd_lookup(void *ctx, const struct enrich_request *req,
			      struct lookup_result *res)
{
	struct containerd_source *s = ctx;

	if (req->session_pid) {
		lookup_session(s->client, req, res);
		return;
	}
	containerd_find(s->client, req, res);
	source_health_note(&s->health, res->status != LOOKUP_FAILED, res->error);
	if (res->status == LOOKUP_FOUND)
		find_pod_network(s, res);
	/* a directory named like an id is no container until containerd says; a pod's
	 * container may be the CRI runtime's, asked next */
	if (!cgroup_needs_engine(&req->ident) &&
	    (!req->fallback || res->status == LOOKUP_FOUND || res->status == LOOKUP_MISMATCH))
		source_health_note_absent(&s->health, req->ident.id);
}

static int containerd_open(const struct enricher_config *cfg, void **ctx)
{
	struct containerd_source *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	snprintf(s->socket, sizeof(s->socket), "%s", cfg->socket_path);
	s->health = (struct source_health){.name = "containerd", .path = s->socket};
	s->client = containerd_client_open(cfg->socket_path, cfg->rpc_timeout_ms);
	/* containerd's CRI plugin answers on its socket: its pods' networks */
	s->cri_plugin = s->client ? cri_client_open(cfg->socket_path, cfg->rpc_timeout_ms) : NULL;
	if (!s->cri_plugin) {
		int err = errno ? -errno : -ENOMEM;

		containerd_client_close(s->client);
		free(s);
		return err;
	}
	*ctx = s;
	return 0;
}

static void containerd_close(void *ctx)
{
	struct containerd_source *s = ctx;

	containerd_client_close(s->client);
	cri_client_close(s->cri_plugin);
	free(s);
}

static const struct source_health *containerd_health(const void *ctx)
{
	return &((const struct containerd_source *)ctx)->health;
}

const struct source_ops containerd_source_ops = {
    .name = "containerd",
    .runtime = RUNTIME_CONTAINERD,
    .open = containerd_open,
    .close = containerd_close,
    .probe = containerd_probe,
    .lookup = containerd_lookup,
    .health = containerd_health,
};
