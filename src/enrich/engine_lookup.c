// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What each engine is asked for a container, on the clients of the lane that asks: containerd
 * (and its namespaces), Docker then containerd's "moby", Podman, a user's own Podman, the CRI
 * runtime; and whether an engine's answer names the very cgroup asked about.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enrich/cgroup_proof.h"
#include "enrich/containerd_client.h"
#include "enrich/cri_client.h"
#include "enrich/engine_client.h"
#include "enrich/lane.h"
#include "enrich/runtime_cgroup.h"
#include "enrich/user_engines.h"
#include "common/clock.h"
#include "common/log.h"

/* An exec session's exec id is asked this many times, this far apart, before it is "none". */
#define SESSION_ATTEMPTS 5
#define SESSION_RETRY_US 20000

_Static_assert(LOOKUP_ERROR_MAX >= CONTAINERD_ERROR_MAX, "containerd errors fit a lookup result");
_Static_assert(LOOKUP_ERROR_MAX >= ENGINE_ERROR_MAX, "engine errors fit a lookup result");
_Static_assert(LOOKUP_ERROR_MAX >= CRI_ERROR_MAX, "CRI errors fit a lookup result");

/* The cgroup at the whole path want: 1 if it is this one (by its id), 0 if another, or -errno. */
static int proven(const struct enrich_request *req, const char *want)
{
	int err = cgroup_proof(req->cgroup_mount, want, req->cgroup_id);

	if (err == -ESRCH || err == -ENOTDIR)
		return 0; /* another cgroup is there, or none could be */
	return err ? err : 1;
}

/*
 * A relative cgroupsPath ("<slice>:cri-containerd:<id>") this cgroup's path ends with, as whole
 * names: read as the cgroupfs driver reads it (a directory of that name under the runtime's
 * own cgroup), not as systemd's.
 */
static bool read_as_cgroupfs(const char *cgroups_path, const char *path)
{
	size_t n, p;

	if (!cgroups_path || !*cgroups_path || cgroups_path[0] == '/' || !path)
		return false;
	n = strlen(cgroups_path);
	p = strlen(path);
	return p > n && path[p - n - 1] == '/' && !memcmp(path + p - n, cgroups_path, n);
}

/* Whether the relative cgroupsPath under base (a cgroup) is this cgroup: 1, 0, or -errno. */
static int names_under(const struct enrich_request *req, const char *base, const char *cgroups_path)
{
	char want[PATH_MAX], scratch[PATH_MAX];
	int err = runtime_cgroup_join(base, cgroups_path, want, sizeof(want));

	if (err)
		return err;
	if (!req->cgroup_path_tail)
		return strcmp(want, req->cgroup_path) == 0;
	return container_meta_cgroup_tail_matches(want, req->cgroup_path, scratch, sizeof(scratch))
		   ? proven(req, want)
		   : 0;
}

/*
 * Whether the cgroup the runtime made for a relative cgroupsPath is this one: the runtime (its
 * pid, runtime_pid) made it under its own cgroup, or under that one's parent (runtime_cgroup.h:
 * runc's cgroup v1 manager, and its cgroup2 one). Ending the same is not enough: anyone with a
 * cgroup of their own can make a directory of that name under it.
 */
static int names_under_runtime(const struct enrich_request *req, const char *cgroups_path,
			       pid_t runtime_pid, const char **why)
{
	char runtime[PATH_MAX];
	int err, named;

	*why = "its runtime's own cgroup, which a relative cgroupsPath is under, could not be read";
	err = runtime_cgroup_of(runtime_pid, req->cgroup_hierarchy_id, runtime, sizeof(runtime));
	if (err)
		return err;
	named = names_under(req, runtime, cgroups_path);
	if (named)
		return named;
	runtime_cgroup_parent(runtime);
	return names_under(req, runtime, cgroups_path);
}

/*
 * Whether the engine's cgroupsPath for the container names the cgroup asked about: 1, or 0
 * when it names another. A cgroup whose path no record could hold (the kernel kept its end) is
 * named only when the engine's path ends the same and the cgroup at that whole path has this
 * cgroup's id (cgroup_proof.h): a matching end alone is what anyone can forge. A relative
 * cgroupsPath is under the runtime's own cgroup (runtime_pid's). -errno, with *why, when that
 * could not be told: the cgroup was gone before it was asked, or the runtime's was not seen.
 */
static int names_this_cgroup(const struct enrich_request *req, const char *cgroups_path,
			     pid_t runtime_pid, const char **why)
{
	char want[PATH_MAX];

	*why = "the cgroup's path is too long for a record and its whole path could not be proven "
	       "to be the one the engine names";
	if (read_as_cgroupfs(cgroups_path, req->cgroup_path))
		return names_under_runtime(req, cgroups_path, runtime_pid, why);
	if (!req->cgroup_path_tail)
		return container_meta_cgroup_matches(cgroups_path, req->cgroup_path);
	if (!container_meta_cgroup_tail_matches(cgroups_path, req->cgroup_path, want, sizeof(want)))
		return 0;
	return proven(req, want);
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
				       const char *engine, const char *ns, pid_t runtime_pid)
{
	const char *why;
	int named = names_this_cgroup(req, res->meta.cgroups_path, runtime_pid, &why);

	if (named > 0)
		return LOOKUP_FOUND;
	if (named == 0) {
		note_mismatch(res, engine, ns, req->ident.id);
		return LOOKUP_MISMATCH;
	}
	snprintf(res->error, sizeof(res->error), "%s has container %.12s, but %s (%s)", engine,
		 req->ident.id, why, strerror(-named));
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
	res->status = check_cgroup(req, res, "containerd", ns, containerd_peer_pid(l->client));
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

	return names_this_cgroup(search->req, cgroups_path, search->runtime_pid, &why) > 0;
}

/*
 * A cgroup whose name says no id (`ctr run --cgroup /name`, `/a/b/name`): the container, in any
 * namespace, whose spec's cgroupsPath names this very cgroup (Containers/List); its id is then
 * res->id. The search is the proof: nothing else names a cgroup a container.
 */
static void find_container_by_cgroup(struct lane *l, const struct enrich_request *req,
				     struct lookup_result *res)
{
	struct cgroup_search search = {.req = req};
	char **names = NULL;
	size_t n = 0;
	int rc = -ENOENT;

	res->status = LOOKUP_NOT_FOUND;
	if (containerd_list_namespaces(l->client, &names, &n, res->error)) {
		res->status = LOOKUP_FAILED;
		return;
	}
	search.runtime_pid = containerd_peer_pid(l->client); /* its connection is made by now */
	for (size_t i = 0; i < n && rc == -ENOENT; i++) {
		rc = containerd_find_container(l->client, names[i], names_sought_cgroup, &search,
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

/*
 * A CRI plugin's container: its pod's addresses and its namespaces' modes, which containerd's
 * record does not hold (its sandbox's PodSandboxStatus does). Its failure leaves the container's
 * answer partial, said in res->error; a pod sandbox, dropped as pause, is not asked for.
 */
static void find_pod_network(struct lane *l, struct lookup_result *res)
{
	const struct container_meta *m = &res->meta;
	const char *kind = container_meta_label(m, "io.cri-containerd.kind");
	char err[CRI_ERROR_MAX];

	if (!m->pod_sandbox_id || !kind || strcmp(kind, "container") != 0)
		return;
	if (cri_get_pod_network(l->e->containerd_cri, m->pod_sandbox_id, &res->meta, err) &&
	    !res->error[0])
		snprintf(res->error, sizeof(res->error), "%s", err);
}

/* containerd's answer: the container, its image digest and, if asked for, its init. */
static void lookup_containerd(struct lane *l, const struct enrich_request *req,
			      struct lookup_result *res)
{
	if (req->ident.form == CGROUP_FORM_UNNAMED)
		find_container_by_cgroup(l, req, res);
	else
		find_container(l, req, res);
	/* Docker's lane asks on a connection of its own: containerd's lane says how it is */
	if (l == &l->e->lanes[LANE_CONTAINERD])
		note_reachability(&l->e->containerd_source, res->status != LOOKUP_FAILED,
				  res->error);
	if (res->status != LOOKUP_FOUND)
		return;
	find_digest(l, res);
	if (l == &l->e->lanes[LANE_CONTAINERD])
		find_pod_network(l, res);
	if (req->want_init_pid)
		find_init_pid(l, res, res->id[0] ? res->id : req->ident.id);
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
		return check_cgroup(req, res, src->name, NULL, 0);
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
		return check_cgroup(req, res, l->e->cri_source.name, NULL, cri_peer_pid(l->e->cri));
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

struct lookup_result *lane_lookup(struct lane *l, const struct enrich_request *req)
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
		/* a directory named like an id is no container until containerd says */
		if (!cgroup_needs_engine(&req->ident))
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

/* What the lane's engine is, said once as its thread begins (a slow engine delays only it). */
void lane_greet(struct lane *l)
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
