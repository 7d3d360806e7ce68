// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "enrich/containerd_client.h"
#include "enrich/enricher.h"
#include "common/log.h"

/*
 * Lookups that are not urgent (unconfirmed /<ns>/<id> lookalikes) wait in a queue of this many
 * at most; past it they are refused, and the pipeline lets those cgroups go.
 */
#define BACKGROUND_MAX 256

struct enrich_request {
	uint64_t cgroup_id;
	struct container_ident ident;
	char *cgroup_path;
	bool want_init_pid;
	bool urgent;
	TAILQ_ENTRY(enrich_request) link;
};

TAILQ_HEAD(request_queue, enrich_request);

/*
 * Owned by the worker thread: client, reachable. Shared under lock: stopping, the request
 * queues and the results.
 */
struct enricher {
	struct containerd_client *client;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	bool reachable;			 /* the last call reached containerd */
	struct request_queue urgent;	 /* known containers: served first */
	struct request_queue background; /* lookalikes, at most BACKGROUND_MAX */
	unsigned int background_len;
	struct lookup_result_list results;
	int event_fd;
	char socket_path[4096];
};

_Static_assert(LOOKUP_ERROR_MAX >= CONTAINERD_ERROR_MAX, "containerd errors fit a lookup result");

static void request_free(struct enrich_request *req)
{
	free(req->cgroup_path);
	free(req);
}

/* Containers/Get in ns; tells whether the answer ends the search. */
static bool lookup_in(struct enricher *e, const char *ns, const struct enrich_request *req,
		      struct lookup_result *res)
{
	int rc;

	rc = containerd_get_container(e->client, ns, req->ident.id, &res->meta, res->error);
	if (rc == -ENOENT) {
		res->error[0] = '\0'; /* not being in one namespace is no failure */
		return false;
	}
	if (rc) {
		res->status = LOOKUP_FAILED;
		return true;
	}
	/* A /<ns>/<id> lookalike is this container only if its spec names this cgroup. */
	if (req->ident.ambiguous &&
	    !container_meta_cgroup_matches(res->meta.cgroups_path, req->cgroup_path)) {
		container_meta_free(&res->meta);
		return false;
	}
	res->status = LOOKUP_FOUND;
	return true;
}

/*
 * In the namespace the path names, then, for a known container only, in every namespace (the
 * path's hint can be wrong: a custom cgroup parent). A lookalike costs one call: if it is a
 * container after all, its start readmits it and it is looked up again, urgently.
 */
static void find_container(struct enricher *e, const struct enrich_request *req,
			   struct lookup_result *res)
{
	char **names = NULL;
	size_t n = 0;
	int rc;

	res->status = LOOKUP_NOT_FOUND;
	if (req->ident.ns[0] && lookup_in(e, req->ident.ns, req, res))
		return;
	if (!req->urgent)
		return;
	res->searched_all = true;
	/* Else every namespace: the path's hint can be wrong (a custom cgroup parent). */
	rc = containerd_list_namespaces(e->client, &names, &n, res->error);
	if (rc) {
		res->status = LOOKUP_FAILED;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], req->ident.ns) != 0 && lookup_in(e, names[i], req, res))
			break;
	}
	containerd_free_strings(names, n);
	if (res->status == LOOKUP_NOT_FOUND)
		res->error[0] = '\0';
}

/* The digest of the container's image; a bare "sha256:" image is its own digest. */
static void find_digest(struct enricher *e, struct lookup_result *res)
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
static void find_init_pid(struct enricher *e, struct lookup_result *res, const char *id)
{
	char err[CONTAINERD_ERROR_MAX];
	unsigned int pid, status;

	if (containerd_get_task(e->client, res->meta.namespace, id, &pid, &status, err) == 0 &&
	    status == 2 /* RUNNING */)
		res->init_pid = pid;
}

static struct lookup_result *lookup(struct enricher *e, const struct enrich_request *req)
{
	struct lookup_result *res = lookup_result_new(req->cgroup_id);

	if (!res)
		return NULL;
	find_container(e, req, res);
	if (res->status == LOOKUP_FOUND) {
		find_digest(e, res);
		if (req->want_init_pid)
			find_init_pid(e, res, req->ident.id);
	}
	return res;
}

/* Logs when containerd stops or starts answering; one line per change. */
static void note_reachability(struct enricher *e, const struct lookup_result *res)
{
	bool reachable = res->status != LOOKUP_FAILED;

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

/* The next request, urgent ones first; NULL when there is none. Under the lock. */
static struct enrich_request *next_request(struct enricher *e)
{
	struct enrich_request *req = TAILQ_FIRST(&e->urgent);

	if (req) {
		TAILQ_REMOVE(&e->urgent, req, link);
		return req;
	}
	req = TAILQ_FIRST(&e->background);
	if (req) {
		TAILQ_REMOVE(&e->background, req, link);
		e->background_len--;
	}
	return req;
}

static void *worker(void *arg)
{
	struct enricher *e = arg;
	uint64_t one = 1;

	log_version(e);
	pthread_mutex_lock(&e->lock);
	for (;;) {
		struct enrich_request *req;
		struct lookup_result *res;

		while (!(req = next_request(e)) && !e->stopping)
			pthread_cond_wait(&e->wake, &e->lock);
		if (e->stopping) {
			if (req)
				request_free(req);
			break;
		}
		pthread_mutex_unlock(&e->lock);

		res = lookup(e, req);
		if (res)
			note_reachability(e, res);
		else
			log_warn("out of memory looking up container %s", req->ident.id);
		request_free(req);

		pthread_mutex_lock(&e->lock);
		if (res) {
			STAILQ_INSERT_TAIL(&e->results, res, link);
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
	int err;

	if (!e)
		return NULL;
	snprintf(e->socket_path, sizeof(e->socket_path), "%s", cfg->socket_path);
	TAILQ_INIT(&e->urgent);
	TAILQ_INIT(&e->background);
	STAILQ_INIT(&e->results);
	e->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->event_fd < 0) {
		err = errno;
		goto out_free;
	}
	e->client = containerd_client_open(cfg->socket_path, cfg->rpc_timeout_ms);
	if (!e->client) {
		err = errno ? errno : ENOMEM;
		goto out_close_fd;
	}
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->wake, NULL);
	err = pthread_create(&e->thread, NULL, worker, e);
	if (err)
		goto out_destroy_sync;
	return e;

out_destroy_sync:
	pthread_cond_destroy(&e->wake);
	pthread_mutex_destroy(&e->lock);
	containerd_client_close(e->client);
out_close_fd:
	close(e->event_fd);
out_free:
	free(e);
	errno = err;
	return NULL;
}

void enricher_stop(struct enricher *e)
{
	struct enrich_request *req;
	struct lookup_result *res;

	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	while ((req = next_request(e)))
		request_free(req);
	while ((res = STAILQ_FIRST(&e->results))) {
		STAILQ_REMOVE_HEAD(&e->results, link);
		lookup_result_free(res);
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

static int enricher_submit(void *ctx, const struct lookup_request *lr)
{
	struct enricher *e = ctx;
	struct enrich_request *req = calloc(1, sizeof(*req));
	int err = 0;

	if (!req)
		return -ENOMEM;
	req->cgroup_id = lr->cgroup_id;
	req->ident = *lr->ident;
	req->want_init_pid = lr->want_init_pid;
	req->urgent = lr->urgent;
	req->cgroup_path = strdup(lr->cgroup_path);
	if (!req->cgroup_path) {
		free(req);
		return -ENOMEM;
	}
	pthread_mutex_lock(&e->lock);
	if (req->urgent) {
		TAILQ_INSERT_TAIL(&e->urgent, req, link);
	} else if (e->background_len < BACKGROUND_MAX) {
		TAILQ_INSERT_TAIL(&e->background, req, link);
		e->background_len++;
	} else {
		err = -EBUSY;
	}
	if (!err)
		pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->lock);
	if (err)
		request_free(req);
	return err;
}

static void enricher_promote(void *ctx, uint64_t cgroup_id)
{
	struct enricher *e = ctx;
	struct enrich_request *req;

	pthread_mutex_lock(&e->lock);
	TAILQ_FOREACH(req, &e->background, link)
	{
		if (req->cgroup_id != cgroup_id)
			continue;
		TAILQ_REMOVE(&e->background, req, link);
		e->background_len--;
		req->urgent = true;
		TAILQ_INSERT_TAIL(&e->urgent, req, link);
		break;
	}
	pthread_mutex_unlock(&e->lock);
}

static void enricher_take(void *ctx, struct lookup_result_list *out)
{
	struct enricher *e = ctx;
	uint64_t count;

	(void)!read(e->event_fd, &count, sizeof(count)); /* EAGAIN is fine: the list decides */
	pthread_mutex_lock(&e->lock);
	STAILQ_CONCAT(out, &e->results);
	pthread_mutex_unlock(&e->lock);
}

const struct lookup_ops enricher_lookup_ops = {
    .submit = enricher_submit,
    .promote = enricher_promote,
    .take = enricher_take,
};
