// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Whether an engine's answer is about the cgroup asked about: the container's cgroupsPath must
 * name this very cgroup. Every source confirms its answers here (source.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "enrich/cgroup_confirm.h"
#include "enrich/cgroup_proof.h"
#include "enrich/runtime_cgroup.h"

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

int cgroup_names_this(const struct enrich_request *req, const char *cgroups_path, pid_t runtime_pid,
		      const char **why)
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

enum lookup_status cgroup_confirm(const struct enrich_request *req, struct lookup_result *res,
				  const char *engine, const char *ns, pid_t runtime_pid)
{
	const char *why;
	int named = cgroup_names_this(req, res->meta.cgroups_path, runtime_pid, &why);

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
