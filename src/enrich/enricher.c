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

#include "enrich/cgroup_proof.h"
#include "enrich/containerd_client.h"
#include "enrich/cri_client.h"
#include "enrich/engine_client.h"
#include "enrich/enricher.h"
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
/* An exec session's exec id is asked this many times, this far apart, before it is "none". */
#define SESSION_ATTEMPTS 5
#define SESSION_RETRY_US 20000
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

struct enrich_request {
	uint64_t cgroup_id;
	struct container_ident ident;
	char *cgroup_path;
	bool cgroup_path_tail;
	const char *cgroup_mount; /* the watched hierarchy's, the enricher's */
	bool want_init_pid;
	bool urgent;
	unsigned int attempts;	/* CRI lookups made (a pod's container not known yet) */
	uint64_t not_before_ns; /* CLOCK_MONOTONIC: in the waiting queue until then */
	uint32_t session_pid;
	char *namespace; /* with session_pid */
	TAILQ_ENTRY(enrich_request) link;
};

TAILQ_HEAD(request_queue, enrich_request);

/*
 * The lanes of system engines' lookups. containerd's also takes the CRI runtime's, exec
 * sessions' and every container no other lane is for; Docker's and Podman's exist when their
 * sockets are given.
 */
enum lane_id {
	LANE_CONTAINERD,
	LANE_DOCKER,
	LANE_PODMAN,
	LANES,
};

/*
 * A lookup lane: one engine's requests, served by a thread of its own, so that an engine that
 * answers slowly or never (a hung socket, a socket-activated service that takes seconds to
 * start) costs only its own containers' lookups, at startup or later. Its queues are under the
 * enricher's lock; its containerd connection is its thread's.
 */
struct lane {
	struct enricher *e;
	bool running; /* its thread was started */
	pthread_t thread;
	pthread_cond_t wake;
	struct request_queue urgent;	 /* known containers: served first */
	struct request_queue background; /* lookalikes, at most BACKGROUND_MAX */
	unsigned int background_len;
	struct request_queue waiting; /* asked again at not_before_ns, in that order */
	unsigned int waiting_len;
	/* containerd's lane's, and Docker's own (its containers' fallback to "moby"); or NULL */
	struct containerd_client *client;
};

/*
 * Owned by the lanes' threads: each engine's client and source by its lane's (containerd's
 * and the CRI runtime's by containerd's lane); by the user worker: users (the rootless
 * engines). Shared under lock: stopping, the lanes' queues and the results.
 */
struct enricher {
	struct engine_client *docker; /* NULL: not asked */
	struct engine_client *podman; /* NULL: not asked */
	struct cri_client *cri;	      /* NULL: not asked (--crio-socket "") */
	struct user_engines *users;   /* rootless Podman; NULL: not asked */
	struct source containerd_source, docker_source, podman_source, cri_source;
	struct lane lanes[LANES];
	struct lane user_lookups; /* the user worker's context: no queue, no containerd */
	pthread_mutex_t lock;
	bool stopping;
	struct user_lane user_lane; /* rootless containers', for the user worker, by uid */
	pthread_t user_thread;	    /* with users only */
	pthread_cond_t user_wake;
	struct lookup_result_list results;
	int event_fd;
	char socket_path[4096];
	char cgroup_mount[PATH_MAX]; /* the watched hierarchy's mount point */
};

_Static_assert(LOOKUP_ERROR_MAX >= CONTAINERD_ERROR_MAX, "containerd errors fit a lookup result");
_Static_assert(LOOKUP_ERROR_MAX >= ENGINE_ERROR_MAX, "engine errors fit a lookup result");
_Static_assert(LOOKUP_ERROR_MAX >= CRI_ERROR_MAX, "CRI errors fit a lookup result");

static void request_free(struct enrich_request *req)
{
	free(req->cgroup_path);
	free(req->namespace);
	free(req);
}

/*
 * Whether the engine's cgroupsPath for the container names the cgroup asked about: 1, or 0
 * when it names another. A cgroup whose path no record could hold (the kernel kept its end) is
 * named only when the engine's path ends the same and the cgroup at that whole path has this
 * cgroup's id (cgroup_proof.h): a matching end alone is what anyone can forge. -errno when that
 * could not be told: the cgroup was gone before it was asked.
 */
static int names_this_cgroup(const struct enrich_request *req, const char *cgroups_path)
{
	char want[PATH_MAX];
	int err;

	if (!req->cgroup_path_tail)
		return container_meta_cgroup_matches(cgroups_path, req->cgroup_path);
	if (!container_meta_cgroup_tail_matches(cgroups_path, req->cgroup_path, want, sizeof(want)))
		return 0;
	err = cgroup_proof(req->cgroup_mount, want, req->cgroup_id);
	if (err == -ESRCH || err == -ENOTDIR)
		return 0; /* another cgroup is there, or none could be */
	return err ? err : 1;
}

/*
 * The engine knows a container of that id elsewhere: said in res->error, which the search keeps
 * (it goes on: another namespace may hold one whose cgroup this is), and meta dropped.
 */
static void note_mismatch(struct lookup_result *res, const char *engine, const char *ns,
			  const char *id)
{
	snprintf(res->error, sizeof(res->error), "%s%s%s has container %.12s with its cgroup at %s",
		 engine, ns ? " namespace " : "", ns ? ns : "", id,
		 res->meta.cgroups_path ? res->meta.cgroups_path : "(none)");
	snprintf(res->claim.engine, sizeof(res->claim.engine), "%s", engine);
	snprintf(res->claim.namespace, sizeof(res->claim.namespace), "%s", ns ? ns : "");
	snprintf(res->claim.cgroups_path, sizeof(res->claim.cgroups_path), "%s",
		 res->meta.cgroups_path ? res->meta.cgroups_path : "");
	res->mismatched = true;
	container_meta_free(&res->meta);
}

/*
 * What an engine's answer for the container makes of the cgroup asked about: LOOKUP_FOUND when
 * its cgroupsPath names this cgroup; LOOKUP_MISMATCH (note_mismatch) when it names another;
 * LOOKUP_FAILED, without the engine's words, when it could not be told.
 */
static enum lookup_status check_cgroup(const struct enrich_request *req, struct lookup_result *res,
				       const char *engine, const char *ns)
{
	int named = names_this_cgroup(req, res->meta.cgroups_path);

	if (named > 0)
		return LOOKUP_FOUND;
	if (named == 0) {
		note_mismatch(res, engine, ns, req->ident.id);
		return LOOKUP_MISMATCH;
	}
	snprintf(res->error, sizeof(res->error),
		 "%s has container %.12s, but the cgroup's path is too long for a record and its "
		 "whole path could not be proven to be the one %s names (%s)",
		 engine, req->ident.id, engine, strerror(-named));
	container_meta_free(&res->meta);
	return LOOKUP_FAILED;
}

/* Containers/Get in ns; tells whether the answer ends the search. */
static bool lookup_in(struct lane *l, const char *ns, const struct enrich_request *req,
		      struct lookup_result *res)
{
	char err[CONTAINERD_ERROR_MAX] = "";
	int rc;

	/* into err: a mismatch found in another namespace keeps its words in res->error */
	rc = containerd_get_container(l->client, ns, req->ident.id, &res->meta, err);
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
	res->status = check_cgroup(req, res, "containerd", ns);
	return res->status != LOOKUP_MISMATCH;
}

/*
 * In the namespace the path names, then, for a known container only, in every namespace (the
 * path's hint can be wrong: a custom cgroup parent). A lookalike costs one call: if it is a
 * container after all, its start readmits it and it is looked up again, urgently.
 */
static void find_container(struct lane *l, const struct enrich_request *req,
			   struct lookup_result *res)
{
	char **names = NULL;
	size_t n = 0;
	int rc;

	res->status = LOOKUP_NOT_FOUND;
	if (req->ident.ns[0] && lookup_in(l, req->ident.ns, req, res))
		return;
	if (!req->urgent) {
		if (res->mismatched)
			res->status = LOOKUP_MISMATCH;
		return;
	}
	res->searched_all = true;
	/* Else every namespace: the path's hint can be wrong (a custom cgroup parent). */
	rc = containerd_list_namespaces(l->client, &names, &n, res->error);
	if (rc) {
		res->status = LOOKUP_FAILED;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], req->ident.ns) != 0 && lookup_in(l, names[i], req, res))
			break;
	}
	containerd_free_strings(names, n);
	if (res->status == LOOKUP_NOT_FOUND && res->mismatched)
		res->status = LOOKUP_MISMATCH;
	else if (res->status == LOOKUP_NOT_FOUND)
		res->error[0] = '\0';
}

/* The digest of the container's image; a bare "sha256:" image is its own digest. */
static void find_digest(struct lane *l, struct lookup_result *res)
{
	struct container_meta *m = &res->meta;

	if (!m->image)
		return;
	if (strncmp(m->image, "sha256:", 7) == 0) {
		m->image_digest = m->image;
		m->image = NULL;
		return;
	}
	containerd_get_image_digest(l->client, m->namespace, m->image, &m->image_digest,
				    res->error);
}

/*
 * A running container's init, as containerd's task knows it (a host pid): for containers found
 * at startup whose init /proc could not show, e.g. without the host's pid namespace.
 */
static void find_init_pid(struct lane *l, struct lookup_result *res, const char *id)
{
	char err[CONTAINERD_ERROR_MAX];
	unsigned int pid, status;

	if (containerd_get_task(l->client, res->meta.namespace, id, &pid, &status, err) == 0 &&
	    status == 2 /* RUNNING */)
		res->init_pid = pid;
}

/* Logs when a source stops or starts answering; one line per change. */
static void note_reachability(struct source *src, bool reachable, const char *error)
{
	enum source_state was = src->state;
	enum source_state now = reachable		       ? SOURCE_UP
				: access(src->path, F_OK) == 0 ? SOURCE_DOWN
							       : SOURCE_ABSENT;

	if (now == was)
		return;
	__atomic_store_n(&src->state, now, __ATOMIC_RELAXED); /* the heartbeat reads it */
	if (src->quiet)
		log_debug("%s at %s: %s%s%s", src->name, src->path,
			  now == SOURCE_UP     ? "answers"
			  : now == SOURCE_DOWN ? "not answering"
					       : "no such socket",
			  now == SOURCE_DOWN ? ": " : "", now == SOURCE_DOWN ? error : "");
	else if (now == SOURCE_UP)
		log_info("%s at %s answers%s", src->name, src->path,
			 was == SOURCE_DOWN ? " again" : "");
	else if (now == SOURCE_DOWN)
		log_warn("%s at %s is not answering (%s): its containers' events are partial until "
			 "it does",
			 src->name, src->path, error);
	else
		log_debug("%s at %s: no such socket (not installed, or not started yet)", src->name,
			  src->path);
}

/*
 * A container of an engine whose socket does not exist: installed after all, or its socket not
 * given to ctrwatch (a pod without the mount). Said once.
 */
static void note_absent_engine(struct source *src, const char *id)
{
	if (src->state != SOURCE_ABSENT || src->absent_said || src->quiet)
		return;
	log_warn("a %s container (%.12s) runs, but there is no %s socket at %s: its events are "
		 "partial until there is",
		 src->name, id, src->name, src->path);
	src->absent_said = true;
}

/* containerd's answer: the container, its image digest and, if asked for, its init. */
static void lookup_containerd(struct lane *l, const struct enrich_request *req,
			      struct lookup_result *res)
{
	find_container(l, req, res);
	/* Docker's lane asks on a connection of its own: containerd's lane says how it is */
	if (l == &l->e->lanes[LANE_CONTAINERD])
		note_reachability(&l->e->containerd_source, res->status != LOOKUP_FAILED,
				  res->error);
	if (res->status != LOOKUP_FOUND)
		return;
	find_digest(l, res);
	if (req->want_init_pid)
		find_init_pid(l, res, req->ident.id);
}

/*
 * The engine's answer (Docker's or Podman's API). Returns the status; FOUND with res->error set
 * when the image digest could not be had.
 */
static enum lookup_status lookup_engine(struct engine_client *c, struct source *src,
					const struct enrich_request *req, struct lookup_result *res)
{
	int rc = engine_get_container(c, req->ident.id, req->cgroup_path, &res->meta, res->error);

	/*
	 * A socket-activated engine (podman.socket: its service exits after 5 s idle) starts on
	 * the first call after a quiet spell, which can outlast one call's deadline; the one
	 * after finds it up. Only for an engine that answered last: a hung one is not asked
	 * twice per container, holding up every lookup behind it.
	 */
	if (rc == -ETIMEDOUT && src->state == SOURCE_UP) {
		res->error[0] = '\0';
		rc = engine_get_container(c, req->ident.id, req->cgroup_path, &res->meta,
					  res->error);
	}
	note_reachability(src, rc != -ECONNREFUSED && rc != -ETIMEDOUT && rc != -EPERM, res->error);
	note_absent_engine(src, req->ident.id);
	if (rc == 0)
		return check_cgroup(req, res, src->name, NULL);
	return rc == -ENOENT ? LOOKUP_NOT_FOUND : LOOKUP_FAILED;
}

/*
 * A rootless Podman's container (a libpod scope in a user's delegated subtree): asked of that
 * user's own Podman only, on a socket it must be the one serving, within its share of the
 * worker's time. What it says is what the user says of their own container: the lines carry
 * container.cgroup_owner_uid, and the filters do not take it (policy.c).
 */
static enum lookup_status lookup_user_podman(struct lane *l, const struct enrich_request *req,
					     struct lookup_result *res)
{
	uint64_t now = clock_monotonic_ns();
	struct user_engine *u = user_engines_get(l->e->users, req->ident.owner_uid, now);
	enum lookup_status st;

	if (!u) {
		snprintf(res->error, sizeof(res->error), "out of memory");
		return LOOKUP_FAILED;
	}
	if (!user_engine_may_ask(u, now)) {
		snprintf(res->error, sizeof(res->error),
			 "%s used its share of lookup time (%llu ms in %llu s): not asked", u->name,
			 USER_BUDGET_NS / 1000000, USER_BUDGET_WINDOW_NS / 1000000000);
		return LOOKUP_FAILED;
	}
	/* no call outlasts what is left of its share (each call's own deadline is longer) */
	engine_client_set_deadline(u->client, clock_monotonic_ms() + user_engine_left_ms(u));
	st = lookup_engine(u->client, &u->source, req, res);
	user_engine_spent(u, clock_monotonic_ns() - now);
	return st;
}

/*
 * Docker's containers are asked of Docker first (its names, images and labels are the ones
 * users know), then of containerd, where Docker runs them in namespace "moby" with less: an
 * answer from there after Docker failed is partial, and says why.
 */
static void lookup_docker(struct lane *l, const struct enrich_request *req,
			  struct lookup_result *res)
{
	char docker_error[LOOKUP_ERROR_MAX];
	enum lookup_status st = lookup_engine(l->e->docker, &l->e->docker_source, req, res);

	if (st == LOOKUP_MISMATCH) { /* containerd's moby namespace would say the same */
		res->status = st;
		return;
	}
	if (st == LOOKUP_FOUND) {
		res->status = st;
		if (req->want_init_pid)
			find_init_pid(l, res, req->ident.id);
		return;
	}
	snprintf(docker_error, sizeof(docker_error), "%s", st == LOOKUP_FAILED ? res->error : "");
	res->error[0] = '\0';
	lookup_containerd(l, req, res);
	if (!docker_error[0])
		return;
	if (res->status == LOOKUP_FOUND && !res->error[0])
		snprintf(res->error, sizeof(res->error), "%s", docker_error);
	if (res->status == LOOKUP_NOT_FOUND) {
		res->status = LOOKUP_FAILED;
		snprintf(res->error, sizeof(res->error), "%s", docker_error);
	}
}

/*
 * A CRI runtime's answer (CRI-O's socket, or any runtime's CRI endpoint given as --crio-socket):
 * the container and its pod, or, for an id it knows as no container, the pod sandbox whose
 * cgroup this is. Its spec's cgroupsPath must name this cgroup, as containerd's must.
 */
static enum lookup_status lookup_cri(struct lane *l, const struct enrich_request *req,
				     struct lookup_result *res)
{
	int rc = cri_get_container(l->e->cri, req->ident.id, &res->meta, res->error);

	if (rc == -ENOENT)
		rc = cri_get_sandbox(l->e->cri, req->ident.id, &res->meta, res->error);
	note_reachability(&l->e->cri_source, rc != -ECONNREFUSED && rc != -ETIMEDOUT, res->error);
	if (req->ident.runtime == RUNTIME_CRIO)
		note_absent_engine(&l->e->cri_source, req->ident.id);
	if (rc == 0) /* res->error may be set: its pod could not be asked, partial */
		return check_cgroup(req, res, l->e->cri_source.name, NULL);
	if (rc == -ENOENT) {
		res->error[0] = '\0';
		return LOOKUP_NOT_FOUND;
	}
	return LOOKUP_FAILED;
}

/*
 * A pod's container under the kubelet's cgroupfs layout, whose path does not name the runtime:
 * containerd first, then, where containerd does not have it (not installed, not answering, or
 * not its container), the CRI runtime. containerd's failure stands only if the CRI runtime has
 * nothing either and containerd's socket is there.
 */
static void lookup_pod_container(struct lane *l, const struct enrich_request *req,
				 struct lookup_result *res)
{
	char containerd_error[LOOKUP_ERROR_MAX];
	enum lookup_status st;

	lookup_containerd(l, req, res);
	if (!l->e->cri || !req->ident.pod_uid[0] || res->status == LOOKUP_FOUND ||
	    res->status == LOOKUP_MISMATCH) {
		note_absent_engine(&l->e->containerd_source, req->ident.id);
		return;
	}
	snprintf(containerd_error, sizeof(containerd_error), "%s", res->error);
	container_meta_free(&res->meta);
	res->error[0] = '\0';
	st = lookup_cri(l, req, res);
	if (st == LOOKUP_NOT_FOUND && res->status == LOOKUP_FAILED &&
	    l->e->containerd_source.state != SOURCE_ABSENT) {
		snprintf(res->error, sizeof(res->error), "%s", containerd_error);
		return; /* containerd's failure: it may have had it */
	}
	res->status = st;
	res->searched_all = true; /* both runtimes were asked (and the CRI one may be again) */
}

/*
 * An exec session's exec id. The session's program runs a moment before the shim learns its
 * pid from runc (runc exec writes it once the process has started): asked a few times while
 * the pid is listed without one. A session that has ended is listed no more: none.
 */
static void lookup_session(struct lane *l, const struct enrich_request *req,
			   struct lookup_result *res)
{
	int rc = 0;

	res->session_pid = req->session_pid;
	res->status = LOOKUP_NOT_FOUND;
	for (int attempt = 0; attempt < SESSION_ATTEMPTS; attempt++) {
		if (attempt)
			usleep(SESSION_RETRY_US);
		rc = containerd_get_exec_id(l->client, req->namespace, req->ident.id,
					    req->session_pid, res->exec_id, sizeof(res->exec_id),
					    res->error);
		if (rc || res->exec_id[0])
			break;
	}
	if (!rc && res->exec_id[0])
		res->status = LOOKUP_FOUND;
	else if (rc && rc != -ENOENT && rc != -ESRCH)
		res->status = LOOKUP_FAILED;
}

static struct lookup_result *lookup(struct lane *l, const struct enrich_request *req)
{
	struct lookup_result *res = lookup_result_new(req->cgroup_id);

	if (!res)
		return NULL;
	if (req->session_pid)
		lookup_session(l, req, res);
	else if (req->ident.runtime == RUNTIME_DOCKER && l->e->docker)
		lookup_docker(l, req, res);
	else if (req->ident.runtime == RUNTIME_PODMAN && req->ident.user_owned)
		res->status = l->e->users ? lookup_user_podman(l, req, res) : LOOKUP_NOT_FOUND;
	else if (req->ident.runtime == RUNTIME_PODMAN && l->e->podman)
		res->status = lookup_engine(l->e->podman, &l->e->podman_source, req, res);
	else if (req->ident.runtime == RUNTIME_PODMAN)
		res->status = LOOKUP_NOT_FOUND; /* Podman keeps nothing in containerd */
	else if (req->ident.runtime == RUNTIME_CRIO)
		res->status = l->e->cri ? lookup_cri(l, req, res) : LOOKUP_NOT_FOUND;
	else if (req->ident.form == CGROUP_FORM_KUBEPODS_CGROUPFS)
		lookup_pod_container(l, req, res);
	else {
		lookup_containerd(l, req, res);
		note_absent_engine(&l->e->containerd_source, req->ident.id);
	}
	return res;
}

static void log_version(struct lane *l)
{
	char version[64], err[CONTAINERD_ERROR_MAX] = "";

	if (containerd_version(l->client, version, sizeof(version), err) == 0) {
		log_info("containerd %s at %s", version, l->e->containerd_source.path);
		__atomic_store_n(&l->e->containerd_source.state, SOURCE_UP, __ATOMIC_RELAXED);
	} else {
		/* absent: a debug line (CRI-O's nodes have none), and a warning with its first
		 * container; there and silent: a warning now */
		note_reachability(&l->e->containerd_source, false, err);
	}
}

/*
 * An engine is optional: one whose socket is not there at startup is only a debug line (and a
 * line when it answers later); one whose socket is there and does not answer is a warning.
 */
static void log_engine_version(struct engine_client *c, struct source *src)
{
	char version[64], err[ENGINE_ERROR_MAX] = "";

	if (!c)
		return;
	if (engine_version(c, version, sizeof(version), err) == 0)
		log_info("%s %s at %s", src->name, version, src->path);
	else
		note_reachability(src, false, err);
}

/* The CRI runtime, as optional as an engine. */
static void log_cri_version(struct lane *l)
{
	char version[128], err[CRI_ERROR_MAX] = "";

	if (!l->e->cri)
		return;
	if (cri_version(l->e->cri, version, sizeof(version), err) == 0)
		log_info("CRI runtime %s at %s", version, l->e->cri_source.path);
	else
		note_reachability(&l->e->cri_source, false, err);
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

/* What the lane's engine is, said once as its thread begins (a slow engine delays only it). */
static void greet(struct lane *l)
{
	struct enricher *e = l->e;

	if (l == &e->lanes[LANE_CONTAINERD]) {
		log_version(l);
		log_cri_version(l);
	} else if (l == &e->lanes[LANE_DOCKER]) {
		log_engine_version(e->docker, &e->docker_source);
	} else {
		log_engine_version(e->podman, &e->podman_source);
	}
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

	greet(l);
	pthread_mutex_lock(&e->lock);
	for (;;) {
		struct enrich_request *req = wait_request(l);
		struct lookup_result *res;

		if (!req)
			break;
		pthread_mutex_unlock(&e->lock);

		res = lookup(l, req);
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
			pthread_cond_wait(&e->user_wake, &e->lock);
		if (e->stopping) {
			if (req)
				request_free(req);
			break;
		}
		pthread_mutex_unlock(&e->lock);

		res = lookup(&e->user_lookups, req);
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
	pthread_cond_signal(&e->user_wake);
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
	return 0;
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
	user_engines_free(e->users);
}

static void destroy_sync(struct enricher *e)
{
	for (int i = 0; i < LANES; i++)
		pthread_cond_destroy(&e->lanes[i].wake);
	pthread_cond_destroy(&e->user_wake);
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
	pthread_cond_init(&e->user_wake, NULL);
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
	req->namespace = lr->namespace ? strdup(lr->namespace) : NULL;
	if (!req->cgroup_path || (lr->namespace && !req->namespace)) {
		request_free(req);
		return -ENOMEM;
	}
	pthread_mutex_lock(&e->lock);
	if (is_users(e, req)) {
		if (!user_lane_push(&e->user_lane, req->ident.owner_uid, req))
			pthread_cond_signal(&e->user_wake);
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
