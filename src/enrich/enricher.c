// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The enricher routes: each lookup goes to the source its cgroup path's runtime names
 * (source.h), in that source's lane (a queue and a thread of its own), and the answers come
 * back to the pipeline in one list. A pod's container containerd has not goes on to the CRI
 * runtime; one no runtime knows yet is asked again. What each source asks is its own file's.
 */
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

#include "enrich/enricher.h"
#include "enrich/source.h"
#include "enrich/user_lane.h"
#include "common/clock.h"
#include "common/log.h"

/* The sources, each a file of its own (source.h): adding one is a line here. */
static const struct source_ops *const source_table[SOURCES] = {
    [SOURCE_CONTAINERD] = &containerd_source_ops,   [SOURCE_CRI] = &cri_source_ops,
    [SOURCE_DOCKER] = &docker_source_ops,	    [SOURCE_PODMAN] = &podman_source_ops,
    [SOURCE_USER_PODMAN] = &user_podman_source_ops,
};

/*
 * Lookups that are not urgent (unconfirmed /<ns>/<id> lookalikes) wait in a queue of this many
 * at most per lane; past it they are refused, and the pipeline lets those cgroups go.
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

TAILQ_HEAD(request_queue, enrich_request);

/*
 * A source's lane: its requests, served by a thread of its own, so that an engine that answers
 * slowly or never (a hung socket, a socket-activated service that takes seconds to start) costs
 * only its own containers' lookups, at startup or later. Its queues are under the enricher's
 * lock; its source's clients (ctx) are its thread's.
 */
struct lane {
	struct enricher *e;
	const struct source_ops *ops;
	void *ctx; /* the source's; NULL: not asked (its socket option is empty) */
	bool running;
	pthread_t thread;
	pthread_cond_t wake;
	struct request_queue urgent;	 /* known containers: served first */
	struct request_queue background; /* lookalikes, at most BACKGROUND_MAX */
	unsigned int background_len;
	struct request_queue waiting; /* asked again at not_before_ns, in that order */
	unsigned int waiting_len;
	/*
	 * A source fair_by_uid's queue instead of those (rootless containers': a user's socket is
	 * the user's to answer slowly or never). Past a uid's share, a lookalike's lookup is
	 * refused (-EBUSY) and a started container's goes out partial (-EAGAIN).
	 */
	struct user_lane by_uid;
};

/* Shared under lock: stopping, the lanes' queues and the results. */
struct enricher {
	struct lane lanes[SOURCES];
	pthread_mutex_t lock;
	bool stopping;
	struct lookup_result_list results;
	int event_fd;
	char cgroup_mount[PATH_MAX]; /* the watched hierarchy's mount point */
	uint32_t cgroup_hierarchy_id;
};

static void request_free(struct enrich_request *req)
{
	free(req->cgroup_path);
	free(req->namespace);
	free(req);
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

/*
 * The source a container's path names: its runtime's; a user's own for a user's container
 * where a source serves those, else the system's.
 */
static enum source_id source_for(const struct enrich_request *req)
{
	enum source_id found = SOURCE_CONTAINERD;

	for (int i = 0; i < SOURCES; i++) {
		const struct source_ops *ops = source_table[i];

		if (ops->runtime != req->ident.runtime)
			continue;
		if (ops->user_owned == req->ident.user_owned)
			return i;
		if (!ops->user_owned)
			found = i;
	}
	return found;
}

/*
 * The lane a request goes to first, or NULL when its source is not asked (its answer: not
 * found). An exec session's, and a pod's container under the kubelet's cgroupfs layout (whose
 * path does not name the runtime), go to containerd first.
 */
static struct lane *route(struct enricher *e, const struct enrich_request *req)
{
	struct lane *l;

	if (req->session_pid || req->ident.form == CGROUP_FORM_KUBEPODS_CGROUPFS)
		return &e->lanes[SOURCE_CONTAINERD];
	l = &e->lanes[source_for(req)];
	if (l->ctx)
		return l;
	return l->ops->else_containerd ? &e->lanes[SOURCE_CONTAINERD] : NULL;
}

/* Queues req in l (locked): 0, -EBUSY (a lookalike's, refused), -EAGAIN (a started one's). */
static int lane_push(struct lane *l, struct enrich_request *req, bool bounded)
{
	if (l->ops->fair_by_uid) {
		if (user_lane_push(&l->by_uid, req->ident.owner_uid, req))
			return req->urgent ? -EAGAIN : -EBUSY;
	} else if (req->urgent) {
		TAILQ_INSERT_TAIL(&l->urgent, req, link);
	} else if (!bounded || l->background_len < BACKGROUND_MAX) {
		TAILQ_INSERT_TAIL(&l->background, req, link);
		l->background_len++;
	} else {
		return -EBUSY;
	}
	pthread_cond_signal(&l->wake);
	return 0;
}

/*
 * Whether a lookup's "not found" may be early: a started pod container (or CRI-O's) that no
 * runtime knows yet, with a CRI runtime to ask again. Then req waits in the lane it went to
 * first (true), else its answer goes out. Locked.
 */
static bool wait_and_retry(struct enricher *e, struct enrich_request *req,
			   const struct lookup_result *res)
{
	struct lane *first = route(e, req);

	if (res->status != LOOKUP_NOT_FOUND || !e->lanes[SOURCE_CRI].ctx || !req->urgent ||
	    req->session_pid || ++req->attempts >= CRI_ATTEMPTS || !first ||
	    first->waiting_len >= CRI_WAITING_MAX ||
	    (req->ident.form != CGROUP_FORM_KUBEPODS_CGROUPFS &&
	     req->ident.runtime != RUNTIME_CRIO))
		return false;
	req->not_before_ns = clock_monotonic_ns() + CRI_RETRY_NS;
	req->first_status = LOOKUP_NOT_FOUND;
	req->first_error[0] = '\0';
	TAILQ_INSERT_TAIL(&first->waiting, req, link);
	first->waiting_len++;
	pthread_cond_signal(&first->wake);
	return true;
}

/*
 * A pod's container containerd did not vouch for goes on to the CRI runtime (true), with
 * containerd's answer kept for the CRI runtime's to be weighed against. Locked.
 */
static bool hand_to_cri(struct enricher *e, struct lane *l, struct enrich_request *req,
			const struct lookup_result *res)
{
	if (!req->fallback || l != &e->lanes[SOURCE_CONTAINERD] || res->status == LOOKUP_FOUND ||
	    res->status == LOOKUP_MISMATCH)
		return false;
	req->first_status = res->status;
	snprintf(req->first_error, sizeof(req->first_error), "%s", res->error);
	/* bounded when it was submitted: it moves, it does not add */
	return lane_push(&e->lanes[SOURCE_CRI], req, false) == 0;
}

/*
 * The CRI runtime's answer for a pod's container containerd did not have. containerd's failure
 * stands only if the CRI runtime has nothing either and containerd's socket is there: it may
 * have had it. Else both runtimes were asked (and the CRI one may be again).
 */
static void weigh_cri_answer(struct enricher *e, const struct enrich_request *req,
			     struct lookup_result *res)
{
	const struct lane *c = &e->lanes[SOURCE_CONTAINERD];

	if (res->status == LOOKUP_NOT_FOUND && req->first_status == LOOKUP_FAILED &&
	    __atomic_load_n(&c->ops->health(c->ctx)->state, __ATOMIC_RELAXED) != SOURCE_ABSENT) {
		res->status = LOOKUP_FAILED;
		snprintf(res->error, sizeof(res->error), "%s", req->first_error);
		return;
	}
	res->searched_all = true;
}

/* What becomes of a request its lane's source answered (res; NULL: out of memory). Locked. */
static void finish(struct lane *l, struct enrich_request *req, struct lookup_result *res)
{
	struct enricher *e = l->e;

	if (res && hand_to_cri(e, l, req, res)) {
		lookup_result_free(res);
		return;
	}
	if (res && req->fallback && l == &e->lanes[SOURCE_CRI])
		weigh_cri_answer(e, req, res);
	if (res && wait_and_retry(e, req, res)) {
		lookup_result_free(res);
		return;
	}
	request_free(req);
	post_result(e, res);
}

/* The lane's next request, urgent ones first, then those whose wait is over. Locked. */
static struct enrich_request *next_request(struct lane *l)
{
	struct enrich_request *req;

	if (l->ops->fair_by_uid)
		return user_lane_pop(&l->by_uid);
	req = TAILQ_FIRST(&l->urgent);
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

	if (l->ops->probe)
		l->ops->probe(l->ctx);
	pthread_mutex_lock(&e->lock);
	for (;;) {
		struct enrich_request *req = wait_request(l);
		struct lookup_result *res;

		if (!req)
			break;
		pthread_mutex_unlock(&e->lock);

		res = lookup_result_new(req->cgroup_id);
		if (res) {
			res->session_pid =
			    req->session_pid; /* the pipeline tells sessions' by it */
			l->ops->lookup(l->ctx, req, res);
		} else {
			log_warn("out of memory looking up container %s", req->ident.id);
		}

		pthread_mutex_lock(&e->lock);
		finish(l, req, res);
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

/* The lane's condition, timed on CLOCK_MONOTONIC (the waiting queue's clock). */
static void init_wake(pthread_cond_t *wake)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(wake, &attr);
	pthread_condattr_destroy(&attr);
}

/* Opens every source asked (containerd always): 0 or -errno. */
static int open_sources(struct enricher *e, const struct enricher_config *cfg)
{
	for (int i = 0; i < SOURCES; i++) {
		struct lane *l = &e->lanes[i];
		int err;

		l->e = e;
		l->ops = source_table[i];
		TAILQ_INIT(&l->urgent);
		TAILQ_INIT(&l->background);
		TAILQ_INIT(&l->waiting);
		user_lane_init(&l->by_uid);
		err = l->ops->open(cfg, &l->ctx);
		if (err == -ENODEV && i != SOURCE_CONTAINERD)
			continue;
		if (err)
			return err;
	}
	return 0;
}

static int start_threads(struct enricher *e)
{
	for (int i = 0; i < SOURCES; i++) {
		struct lane *l = &e->lanes[i];
		int err;

		if (!l->ctx)
			continue;
		err = pthread_create(&l->thread, NULL, worker, l);
		if (err)
			return -err;
		l->running = true;
	}
	return 0;
}

/* Stops every thread started (a lookup in flight finishes first). */
static void stop_threads(struct enricher *e)
{
	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	for (int i = 0; i < SOURCES; i++)
		pthread_cond_signal(&e->lanes[i].wake);
	pthread_mutex_unlock(&e->lock);
	for (int i = 0; i < SOURCES; i++)
		if (e->lanes[i].running)
			pthread_join(e->lanes[i].thread, NULL);
}

/* Frees what waits in the lanes, closes the sources and the rest. */
static void free_all(struct enricher *e)
{
	struct enrich_request *req;
	struct lookup_result *res;

	for (int i = 0; i < SOURCES; i++) {
		struct lane *l = &e->lanes[i];

		while (l->ops && (req = next_request(l)))
			request_free(req);
		if (l->ctx)
			l->ops->close(l->ctx);
		pthread_cond_destroy(&l->wake);
	}
	while ((res = STAILQ_FIRST(&e->results))) {
		STAILQ_REMOVE_HEAD(&e->results, link);
		lookup_result_free(res);
	}
	pthread_mutex_destroy(&e->lock);
	if (e->event_fd >= 0)
		close(e->event_fd);
	free(e);
}

struct enricher *enricher_start(const struct enricher_config *cfg)
{
	struct enricher *e = calloc(1, sizeof(*e));
	int err;

	if (!e)
		return NULL;
	snprintf(e->cgroup_mount, sizeof(e->cgroup_mount), "%s",
		 cfg->cgroup_mount ? cfg->cgroup_mount : "");
	e->cgroup_hierarchy_id = cfg->cgroup_hierarchy_id;
	STAILQ_INIT(&e->results);
	pthread_mutex_init(&e->lock, NULL);
	for (int i = 0; i < SOURCES; i++)
		init_wake(&e->lanes[i].wake);
	e->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	err = e->event_fd < 0 ? -errno : open_sources(e, cfg);
	if (!err)
		err = start_threads(e);
	if (err) {
		stop_threads(e);
		free_all(e);
		errno = -err;
		return NULL;
	}
	return e;
}

void enricher_stop(struct enricher *e)
{
	if (!e)
		return;
	stop_threads(e);
	free_all(e);
}

int enricher_fd(const struct enricher *e)
{
	return e->event_fd;
}

/* The request for lr, copied; NULL: out of memory. */
static struct enrich_request *request_new(const struct enricher *e, const struct lookup_request *lr)
{
	struct enrich_request *req = calloc(1, sizeof(*req));

	if (!req)
		return NULL;
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
		return NULL;
	}
	/* a pod's container containerd has not may be the CRI runtime's */
	req->fallback = !req->session_pid && req->ident.form == CGROUP_FORM_KUBEPODS_CGROUPFS &&
			req->ident.pod_uid[0] && e->lanes[SOURCE_CRI].ctx;
	return req;
}

/* A container whose source is not asked: not found, at once. Locked. */
static int answer_not_asked(struct enricher *e, struct enrich_request *req)
{
	struct lookup_result *res = lookup_result_new(req->cgroup_id);

	request_free(req);
	if (!res)
		return -ENOMEM;
	res->status = LOOKUP_NOT_FOUND;
	post_result(e, res);
	return 0;
}

static int enricher_submit(void *ctx, const struct lookup_request *lr)
{
	struct enricher *e = ctx;
	struct enrich_request *req = request_new(e, lr);
	struct lane *l;
	int err;

	if (!req)
		return -ENOMEM;
	pthread_mutex_lock(&e->lock);
	l = route(e, req);
	err = l ? lane_push(l, req, true) : answer_not_asked(e, req);
	pthread_mutex_unlock(&e->lock);
	if (l && err)
		request_free(req);
	return err;
}

static void enricher_promote(void *ctx, uint64_t cgroup_id)
{
	struct enricher *e = ctx;
	struct enrich_request *req;

	pthread_mutex_lock(&e->lock);
	for (int i = 0; i < SOURCES; i++) {
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
	static const enum source_id ids[] = {
	    [ENRICHER_CONTAINERD] = SOURCE_CONTAINERD,
	    [ENRICHER_DOCKER] = SOURCE_DOCKER,
	    [ENRICHER_PODMAN] = SOURCE_PODMAN,
	    [ENRICHER_CRIO] = SOURCE_CRI,
	};
	const struct lane *l = &e->lanes[ids[which]];

	if (!l->ctx || !l->ops->health)
		return "off";
	return names[__atomic_load_n(&l->ops->health(l->ctx)->state, __ATOMIC_RELAXED)];
}
