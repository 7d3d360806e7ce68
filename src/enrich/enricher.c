// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "enrich/containerd_client.h"
#include "enrich/cri_client.h"
#include "enrich/engine_client.h"
#include "enrich/enricher.h"
#include "enrich/lane.h"
#include "enrich/source.h"
#include "enrich/user_engines.h"
#include "enrich/user_lane.h"
#include "common/clock.h"
#include "common/log.h"

/*
 * Lookups that are not urgent (unconfirmed /<ns>/<id> lookalikes) wait in a queue of this many
 * at most; past it they are refused, and the pipeline lets those cgroups go.
 */
#define BACKGROUND_MAX 256
/*
 * A started pod container no runtime knows yet is asked again, this far apart, this many times:
 * containerd's CRI names a pod sandbox only once its pause process runs, after its start. Waiting
 * requests are bounded; past the bound the "not found" stands.
 */
#define CRI_ATTEMPTS	4
#define CRI_RETRY_NS	100000000ull
#define CRI_WAITING_MAX 64
/*
 * Rootless containers' lookups wait in a lane of their own, served by a thread of their own:
 * a user's socket is the user's to answer slowly or never, and must not hold up any other
 * container's lookup. The lane is shared fairly by uid (user_lane.h); past a uid's share, a
 * lookalike's lookup is refused (-EBUSY) and a started container's goes out partial (-EAGAIN).
 */

static void request_free(struct enrich_request *req)
{
	free(req->cgroup_path);
	free(req->namespace);
	free(req);
}

/*
 * Whether a lookup's "not found" may be early: a started pod container (or CRI-O's) that no
 * runtime knows yet, with a CRI runtime to ask again. Then req waits (true), else its answer
 * goes out.
 */
static bool wait_and_retry(struct lane *l, struct enrich_request *req,
			   const struct lookup_result *res)
{
	if (res->status != LOOKUP_NOT_FOUND || !l->e->cri || !req->urgent || req->session_pid ||
	    ++req->attempts >= CRI_ATTEMPTS || l->waiting_len >= CRI_WAITING_MAX ||
	    (req->ident.form != CGROUP_FORM_KUBEPODS_CGROUPFS &&
	     req->ident.runtime != RUNTIME_CRIO))
		return false;
	req->not_before_ns = clock_monotonic_ns() + CRI_RETRY_NS;
	TAILQ_INSERT_TAIL(&l->waiting, req, link);
	l->waiting_len++;
	return true;
}

/* The lane's next request, urgent ones first, then those whose wait is over. Locked. */
static struct enrich_request *next_request(struct lane *l)
{
	struct enrich_request *req = TAILQ_FIRST(&l->urgent);

	if (req) {
		TAILQ_REMOVE(&l->urgent, req, link);
		return req;
	}
	req = TAILQ_FIRST(&l->waiting);
	if (req && (l->e->stopping || req->not_before_ns <= clock_monotonic_ns())) {
		TAILQ_REMOVE(&l->waiting, req, link);
		l->waiting_len--;
		return req;
	}
	req = TAILQ_FIRST(&l->background);
	if (req) {
		TAILQ_REMOVE(&l->background, req, link);
		l->background_len--;
	}
	return req;
}

/* Hands an answer to the pipeline. Locked. */
static void post_result(struct enricher *e, struct lookup_result *res)
{
	uint64_t one = 1;

	if (!res)
		return;
	STAILQ_INSERT_TAIL(&e->results, res, link);
	/* a doorbell: a counter that cannot grow still rings */
	(void)!write(e->event_fd, &one, sizeof(one));
}

/* Until the next request of the lane, or stopping; NULL then. Locked. */
static struct enrich_request *wait_request(struct lane *l)
{
	struct enrich_request *req;

	while (!(req = next_request(l)) && !l->e->stopping) {
		struct enrich_request *first = TAILQ_FIRST(&l->waiting);
		struct timespec until;

		if (!first) {
			pthread_cond_wait(&l->wake, &l->e->lock);
			continue;
		}
		until.tv_sec = first->not_before_ns / 1000000000ull;
		until.tv_nsec = first->not_before_ns % 1000000000ull;
		pthread_cond_timedwait(&l->wake, &l->e->lock, &until);
	}
	if (l->e->stopping && req) {
		request_free(req);
		req = NULL;
	}
	return req;
}

static void *worker(void *arg)
{
	struct lane *l = arg;
	struct enricher *e = l->e;

	lane_greet(l);
	pthread_mutex_lock(&e->lock);
	for (;;) {
		struct enrich_request *req = wait_request(l);
		struct lookup_result *res;

		if (!req)
			break;
		pthread_mutex_unlock(&e->lock);

		res = lane_lookup(l, req);
		if (!res)
			log_warn("out of memory looking up container %s", req->ident.id);

		pthread_mutex_lock(&e->lock);
		if (res && wait_and_retry(l, req, res)) {
			lookup_result_free(res);
			continue;
		}
		request_free(req);
		post_result(e, res);
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

/* The rootless containers' lane: one lookup at a time, in order, never the other worker's. */
static void *user_worker(void *arg)
{
	struct enricher *e = arg;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		struct enrich_request *req;
		struct lookup_result *res;

		while (!(req = user_lane_pop(&e->user_lane)) && !e->stopping)
			pthread_cond_wait(&e->user_lookups.wake, &e->lock);
		if (e->stopping) {
			if (req)
				request_free(req);
			break;
		}
		pthread_mutex_unlock(&e->lock);

		res = lane_lookup(&e->user_lookups, req);
		if (!res)
			log_warn("out of memory looking up container %s", req->ident.id);

		pthread_mutex_lock(&e->lock);
		request_free(req);
		post_result(e, res);
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

/* The worker's condition, timed on CLOCK_MONOTONIC (the waiting queue's clock). */
static void init_wake(pthread_cond_t *wake)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(wake, &attr);
	pthread_condattr_destroy(&attr);
}

static void lane_init(struct enricher *e, struct lane *l)
{
	l->e = e;
	TAILQ_INIT(&l->urgent);
	TAILQ_INIT(&l->background);
	TAILQ_INIT(&l->waiting);
	init_wake(&l->wake);
}

/* Whether the lane has an engine to ask: containerd's always, Docker's and Podman's if given. */
static bool lane_wanted(const struct enricher *e, enum lane_id id)
{
	return id == LANE_CONTAINERD || (id == LANE_DOCKER && e->docker) ||
	       (id == LANE_PODMAN && e->podman);
}

/* Stops every thread started (a lookup in flight finishes first). */
static void stop_threads(struct enricher *e)
{
	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	for (int i = 0; i < LANES; i++)
		pthread_cond_signal(&e->lanes[i].wake);
	pthread_cond_signal(&e->user_lookups.wake);
	pthread_mutex_unlock(&e->lock);
	for (int i = 0; i < LANES; i++)
		if (e->lanes[i].running)
			pthread_join(e->lanes[i].thread, NULL);
	if (e->user_lookups.running)
		pthread_join(e->user_lookups.thread, NULL);
}

/* The lanes' containerd connections (Docker's lane falls back to containerd's "moby"). */
static int open_lane_clients(struct enricher *e, const struct enricher_config *cfg)
{
	for (int i = 0; i < LANES; i++) {
		if (!lane_wanted(e, i) || i == LANE_PODMAN)
			continue;
		e->lanes[i].client = containerd_client_open(cfg->socket_path, cfg->rpc_timeout_ms);
		if (!e->lanes[i].client)
			return errno ? errno : ENOMEM;
	}
	/* containerd's CRI plugin answers on its socket: its pods' networks */
	e->containerd_cri = cri_client_open(cfg->socket_path, cfg->rpc_timeout_ms);
	return e->containerd_cri ? 0 : errno ? errno : ENOMEM;
}

static int start_threads(struct enricher *e)
{
	int err;

	for (int i = 0; i < LANES; i++) {
		if (!lane_wanted(e, i))
			continue;
		err = pthread_create(&e->lanes[i].thread, NULL, worker, &e->lanes[i]);
		if (err)
			return err;
		e->lanes[i].running = true;
	}
	if (!e->users)
		return 0;
	err = pthread_create(&e->user_lookups.thread, NULL, user_worker, e);
	if (!err)
		e->user_lookups.running = true;
	return err;
}

static void close_clients(struct enricher *e)
{
	for (int i = 0; i < LANES; i++)
		containerd_client_close(e->lanes[i].client);
	engine_client_close(e->docker);
	engine_client_close(e->podman);
	cri_client_close(e->cri);
	cri_client_close(e->containerd_cri);
	user_engines_free(e->users);
}

static void destroy_sync(struct enricher *e)
{
	for (int i = 0; i < LANES; i++)
		pthread_cond_destroy(&e->lanes[i].wake);
	pthread_cond_destroy(&e->user_lookups.wake);
	pthread_mutex_destroy(&e->lock);
}

static int open_engines(struct enricher *e, const struct enricher_config *cfg)
{
	if (cfg->docker_socket)
		e->docker =
		    engine_client_open("docker", cfg->docker_socket, "moby", cfg->rpc_timeout_ms);
	if (cfg->podman_socket)
		e->podman =
		    engine_client_open("podman", cfg->podman_socket, NULL, cfg->rpc_timeout_ms);
	if (cfg->crio_socket)
		e->cri = cri_client_open(cfg->crio_socket, cfg->rpc_timeout_ms);
	if (cfg->user_podman_socket)
		e->users = user_engines_new(cfg->user_podman_socket, cfg->rpc_timeout_ms);
	if ((cfg->docker_socket && !e->docker) || (cfg->podman_socket && !e->podman) ||
	    (cfg->crio_socket && !e->cri) || (cfg->user_podman_socket && !e->users))
		return cfg->user_podman_socket && !e->users ? errno : ENOMEM;
	e->containerd_source = (struct source){.name = "containerd", .path = e->socket_path};
	if (e->docker)
		e->docker_source =
		    (struct source){.name = "docker", .path = engine_client_socket(e->docker)};
	if (e->podman)
		e->podman_source =
		    (struct source){.name = "podman", .path = engine_client_socket(e->podman)};
	if (e->cri)
		e->cri_source = (struct source){.name = "crio", .path = cri_client_socket(e->cri)};
	return open_lane_clients(e, cfg);
}

struct enricher *enricher_start(const struct enricher_config *cfg)
{
	struct enricher *e = calloc(1, sizeof(*e));
	int err;

	if (!e)
		return NULL;
	snprintf(e->socket_path, sizeof(e->socket_path), "%s", cfg->socket_path);
	snprintf(e->cgroup_mount, sizeof(e->cgroup_mount), "%s",
		 cfg->cgroup_mount ? cfg->cgroup_mount : "");
	e->cgroup_hierarchy_id = cfg->cgroup_hierarchy_id;
	user_lane_init(&e->user_lane);
	STAILQ_INIT(&e->results);
	e->user_lookups.e = e;
	e->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->event_fd < 0) {
		err = errno;
		goto out_free;
	}
	err = open_engines(e, cfg);
	if (err)
		goto out_close_clients;
	pthread_mutex_init(&e->lock, NULL);
	for (int i = 0; i < LANES; i++)
		lane_init(e, &e->lanes[i]);
	pthread_cond_init(&e->user_lookups.wake, NULL);
	err = start_threads(e);
	if (err)
		goto out_stop_threads;
	return e;

out_stop_threads:
	stop_threads(e);
	destroy_sync(e);
out_close_clients:
	close_clients(e);
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
	stop_threads(e);
	for (int i = 0; i < LANES; i++)
		while ((req = next_request(&e->lanes[i])))
			request_free(req);
	while ((req = user_lane_pop(&e->user_lane)))
		request_free(req);
	while ((res = STAILQ_FIRST(&e->results))) {
		STAILQ_REMOVE_HEAD(&e->results, link);
		lookup_result_free(res);
	}
	close_clients(e);
	close(e->event_fd);
	destroy_sync(e);
	free(e);
}

int enricher_fd(const struct enricher *e)
{
	return e->event_fd;
}

/* The lane of a system engine's container: the engine's own, else containerd's. */
static struct lane *lane_for(struct enricher *e, const struct enrich_request *req)
{
	if (!req->session_pid && req->ident.runtime == RUNTIME_DOCKER && e->docker)
		return &e->lanes[LANE_DOCKER];
	if (!req->session_pid && req->ident.runtime == RUNTIME_PODMAN && e->podman)
		return &e->lanes[LANE_PODMAN];
	return &e->lanes[LANE_CONTAINERD];
}

/* Whether req is a rootless container's, for the user worker's lane. */
static bool is_users(const struct enricher *e, const struct enrich_request *req)
{
	return e->users && !req->session_pid && req->ident.user_owned &&
	       req->ident.runtime == RUNTIME_PODMAN;
}

static int enricher_submit(void *ctx, const struct lookup_request *lr)
{
	struct enricher *e = ctx;
	struct enrich_request *req = calloc(1, sizeof(*req));
	struct lane *l;
	int err = 0;

	if (!req)
		return -ENOMEM;
	req->cgroup_id = lr->cgroup_id;
	req->ident = *lr->ident;
	req->want_init_pid = lr->want_init_pid;
	req->urgent = lr->urgent;
	req->session_pid = lr->session_pid;
	req->cgroup_path = strdup(lr->cgroup_path);
	req->cgroup_path_tail = lr->cgroup_path_tail;
	req->cgroup_mount = e->cgroup_mount;
	req->cgroup_hierarchy_id = e->cgroup_hierarchy_id;
	req->namespace = lr->namespace ? strdup(lr->namespace) : NULL;
	if (!req->cgroup_path || (lr->namespace && !req->namespace)) {
		request_free(req);
		return -ENOMEM;
	}
	pthread_mutex_lock(&e->lock);
	if (is_users(e, req)) {
		if (!user_lane_push(&e->user_lane, req->ident.owner_uid, req))
			pthread_cond_signal(&e->user_lookups.wake);
		else
			err = req->urgent ? -EAGAIN : -EBUSY;
		pthread_mutex_unlock(&e->lock);
		if (err)
			request_free(req);
		return err;
	}
	l = lane_for(e, req);
	if (req->urgent) {
		TAILQ_INSERT_TAIL(&l->urgent, req, link);
	} else if (l->background_len < BACKGROUND_MAX) {
		TAILQ_INSERT_TAIL(&l->background, req, link);
		l->background_len++;
	} else {
		err = -EBUSY;
	}
	if (!err)
		pthread_cond_signal(&l->wake);
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
	for (int i = 0; i < LANES; i++) {
		struct lane *l = &e->lanes[i];

		TAILQ_FOREACH(req, &l->background, link)
		{
			if (req->cgroup_id != cgroup_id || req->session_pid)
				continue;
			TAILQ_REMOVE(&l->background, req, link);
			l->background_len--;
			req->urgent = true;
			TAILQ_INSERT_TAIL(&l->urgent, req, link);
			pthread_cond_signal(&l->wake);
			goto out;
		}
	}
out:
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

const char *enricher_source_state(const struct enricher *e, enum enricher_source which)
{
	static const char *const names[] = {
	    [SOURCE_UP] = "up", [SOURCE_ABSENT] = "absent", [SOURCE_DOWN] = "down"};
	const struct source *src = which == ENRICHER_DOCKER ? (e->docker ? &e->docker_source : NULL)
				   : which == ENRICHER_PODMAN
				       ? (e->podman ? &e->podman_source : NULL)
				   : which == ENRICHER_CRIO ? (e->cri ? &e->cri_source : NULL)
							    : &e->containerd_source;

	return src ? names[__atomic_load_n(&src->state, __ATOMIC_RELAXED)] : "off";
}
