// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "enricher.h"
#include "log.h"
#include "pause_image.h"

struct enrich_request {
	uint64_t cgroup_id;
	struct container_ident ident;
	char *cgroup_path;
	bool want_init_pid;
	struct enrich_request *next;
};

struct enricher {
	struct containerd_client *client;
	const struct filter_set *filters;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	bool reachable; /* the last call reached containerd */
	struct enrich_request *req_head, *req_tail;
	struct enrich_result *res_head, *res_tail;
	int event_fd;
	char socket_path[4096];
};

void enrich_result_free(struct enrich_result *r)
{
	if (!r)
		return;
	container_meta_free(&r->meta);
	free(r);
}

/* Containers/Get in ns; tells whether the answer ends the search. */
static bool lookup_in(struct enricher *e, const char *ns, const struct enrich_request *req,
		      struct enrich_result *res)
{
	int rc;

	if (!filter_set_allows_namespace(e->filters, ns))
		return false;
	rc = containerd_get_container(e->client, ns, req->ident.id, &res->meta, res->error);
	if (rc == -ENOENT) {
		res->error[0] = '\0'; /* not being in one namespace is no failure */
		return false;
	}
	if (rc) {
		res->status = ENRICH_FAILED;
		return true;
	}
	res->cgroup_confirmed =
	    container_meta_cgroup_matches(res->meta.cgroups_path, req->cgroup_path);
	/* A /<ns>/<id> lookalike is this container only if its spec names this cgroup. */
	if (req->ident.ambiguous && !res->cgroup_confirmed) {
		container_meta_free(&res->meta);
		return false;
	}
	res->status = ENRICH_FOUND;
	return true;
}

static void find_container(struct enricher *e, const struct enrich_request *req,
			   struct enrich_result *res)
{
	char **names = NULL;
	size_t n = 0;
	int rc;

	res->status = ENRICH_NOT_FOUND;
	if (req->ident.ns[0] && lookup_in(e, req->ident.ns, req, res))
		return;
	/* Else every namespace: the path's hint can be wrong (a custom cgroup parent). */
	rc = containerd_list_namespaces(e->client, &names, &n, res->error);
	if (rc) {
		res->status = ENRICH_FAILED;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], req->ident.ns) != 0 && lookup_in(e, names[i], req, res))
			break;
	}
	containerd_free_strings(names, n);
	if (res->status == ENRICH_NOT_FOUND)
		res->error[0] = '\0';
}

/* The digest of the container's image; a bare "sha256:" image is its own digest. */
static void find_digest(struct enricher *e, struct enrich_result *res)
{
	struct container_meta *m = &res->meta;

	if (!m->image)
		return;
	if (strncmp(m->image, "sha256:", 7) == 0) {
		m->image_digest = m->image;
		m->image = NULL;
		return;
	}
	containerd_get_image_digest(e->client, m->namespace, m->image, &m->image_digest,
				    res->error);
}

/*
 * A running container's init, as containerd's task knows it (a host pid): for containers found
 * at startup whose init /proc could not show, e.g. without the host's pid namespace.
 */
static void find_init_pid(struct enricher *e, struct enrich_result *res, const char *id)
{
	char err[CONTAINERD_ERROR_MAX];
	unsigned int pid, status;

	if (containerd_get_task(e->client, res->meta.namespace, id, &pid, &status, err) == 0 &&
	    status == 2 /* RUNNING */)
		res->init_pid = pid;
}

static struct enrich_result *lookup(struct enricher *e, const struct enrich_request *req)
{
	struct enrich_result *res = calloc(1, sizeof(*res));

	if (!res)
		return NULL;
	res->cgroup_id = req->cgroup_id;
	find_container(e, req, res);
	if (res->status == ENRICH_FOUND) {
		/* the CRI label, or a label-less container running a known pause image */
		res->meta.sandbox = pause_container(&res->meta);
		find_digest(e, res);
		if (req->want_init_pid)
			find_init_pid(e, res, req->ident.id);
	}
	return res;
}

/* Logs when containerd stops or starts answering; one line per change. */
static void note_reachability(struct enricher *e, const struct enrich_result *res)
{
	bool reachable = res->status != ENRICH_FAILED;

	if (reachable && !e->reachable)
		log_info("containerd at %s answers again", e->socket_path);
	else if (!reachable && e->reachable)
		log_warn("containerd at %s is not answering (%s): events are partial until it "
			 "does",
			 e->socket_path, res->error);
	e->reachable = reachable;
}

static void log_version(struct enricher *e)
{
	char version[64], err[CONTAINERD_ERROR_MAX] = "";

	if (containerd_version(e->client, version, sizeof(version), err) == 0) {
		log_info("containerd %s at %s", version, e->socket_path);
		e->reachable = true;
	} else {
		log_warn("containerd at %s is not answering (%s): events are partial until it "
			 "does",
			 e->socket_path, err);
		e->reachable = false;
	}
}

static void *worker(void *arg)
{
	struct enricher *e = arg;
	uint64_t one = 1;

	log_version(e);
	pthread_mutex_lock(&e->lock);
	for (;;) {
		struct enrich_request *req;
		struct enrich_result *res;

		while (!e->req_head && !e->stopping)
			pthread_cond_wait(&e->wake, &e->lock);
		if (e->stopping)
			break;
		req = e->req_head;
		e->req_head = req->next;
		if (!e->req_head)
			e->req_tail = NULL;
		pthread_mutex_unlock(&e->lock);

		res = lookup(e, req);
		if (res)
			note_reachability(e, res);
		free(req->cgroup_path);
		free(req);

		pthread_mutex_lock(&e->lock);
		if (res) {
			if (e->res_tail)
				e->res_tail->next = res;
			else
				e->res_head = res;
			e->res_tail = res;
			/* a doorbell: a counter that cannot grow still rings */
			(void)!write(e->event_fd, &one, sizeof(one));
		}
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

struct enricher *enricher_start(const struct enricher_config *cfg)
{
	struct enricher *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	snprintf(e->socket_path, sizeof(e->socket_path), "%s", cfg->socket_path);
	e->filters = cfg->filters;
	e->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	e->client = containerd_client_open(cfg->socket_path, cfg->rpc_timeout_ms);
	if (e->event_fd < 0 || !e->client)
		goto out_free;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->wake, NULL);
	if (pthread_create(&e->thread, NULL, worker, e))
		goto out_free;
	return e;

out_free:
	containerd_client_close(e->client);
	if (e->event_fd >= 0)
		close(e->event_fd);
	free(e);
	return NULL;
}

void enricher_stop(struct enricher *e)
{
	struct enrich_request *req;

	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	while ((req = e->req_head)) {
		e->req_head = req->next;
		free(req->cgroup_path);
		free(req);
	}
	for (struct enrich_result *r = enricher_take(e), *next; r; r = next) {
		next = r->next;
		enrich_result_free(r);
	}
	containerd_client_close(e->client);
	close(e->event_fd);
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->wake);
	free(e);
}

int enricher_fd(const struct enricher *e)
{
	return e->event_fd;
}

int enricher_submit(struct enricher *e, uint64_t cgroup_id, const struct container_ident *ident,
		    const char *cgroup_path, bool want_init_pid)
{
	struct enrich_request *req = calloc(1, sizeof(*req));

	if (!req)
		return -ENOMEM;
	req->cgroup_id = cgroup_id;
	req->ident = *ident;
	req->want_init_pid = want_init_pid;
	req->cgroup_path = strdup(cgroup_path);
	if (!req->cgroup_path) {
		free(req);
		return -ENOMEM;
	}
	pthread_mutex_lock(&e->lock);
	if (e->req_tail)
		e->req_tail->next = req;
	else
		e->req_head = req;
	e->req_tail = req;
	pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->lock);
	return 0;
}

struct enrich_result *enricher_take(struct enricher *e)
{
	struct enrich_result *list;
	uint64_t count;

	(void)!read(e->event_fd, &count, sizeof(count)); /* EAGAIN is fine: the list decides */
	pthread_mutex_lock(&e->lock);
	list = e->res_head;
	e->res_head = e->res_tail = NULL;
	pthread_mutex_unlock(&e->lock);
	return list;
}
