// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Finding the containers that were running before ctrwatch started. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/cgroup_scan.h"

#define PIDS_MAX 4096

/*
 * A file handle carries the kernfs node id. Where name_to_handle_at(2) is refused (the container
 * runtimes' default seccomp profiles do), the inode number is the same id on 64-bit kernels.
 */
int cgroup_id_of(const char *path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} handle = {.fh.handle_bytes = sizeof(uint64_t)};
	struct stat st;
	int mount_id;

	if (name_to_handle_at(AT_FDCWD, path, &handle.fh, &mount_id, 0) == 0 &&
	    handle.fh.handle_bytes == sizeof(uint64_t)) {
		memcpy(id, handle.fh.f_handle, sizeof(*id));
		return 0;
	}
	if (stat(path, &st))
		return -errno;
	if (sizeof(st.st_ino) < sizeof(uint64_t))
		return -EOPNOTSUPP;
	*id = st.st_ino;
	return 0;
}

struct proc_status {
	pid_t ppid;
	pid_t innermost_nspid; /* last field of NSpid: the pid in the task's own namespace */
};

static int read_proc_status(pid_t pid, struct proc_status *st)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	st->ppid = 0;
	st->innermost_nspid = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "PPid:", 5) == 0) {
			st->ppid = atoi(line + 5);
		} else if (strncmp(line, "NSpid:", 6) == 0) {
			char *last = strrchr(line, '\t');

			st->innermost_nspid = atoi(last ? last + 1 : line + 6);
		}
	}
	fclose(f);
	return 0;
}

static int read_pids(const char *cgroup_dir, pid_t *pids, int max)
{
	char path[PATH_MAX];
	int n = 0, pid;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup_dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (n < max && fscanf(f, "%d", &pid) == 1)
		pids[n++] = pid;
	fclose(f);
	return n;
}

static bool pid_in(const pid_t *pids, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

pid_t cgroup_find_init(const char *cgroup_dir)
{
	static pid_t pids[PIDS_MAX];
	int n = read_pids(cgroup_dir, pids, PIDS_MAX);
	pid_t orphan = 0;

	for (int i = 0; i < n; i++) {
		struct proc_status st;

		if (read_proc_status(pids[i], &st))
			continue;
		if (st.innermost_nspid == 1)
			return pids[i];
		if (!pid_in(pids, n, st.ppid) && (!orphan || pids[i] < orphan))
			orphan = pids[i];
	}
	return orphan;
}

static int ns_inode(pid_t pid, const char *ns, ino_t *ino)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ns);
	if (stat(path, &st))
		return -errno;
	*ino = st.st_ino;
	return 0;
}

/* The kernel side's start rule, read from /proc: pid is in a mount or pid namespace its
 * parent is not in. */
static bool entered_new_namespaces(pid_t pid)
{
	static const char *const kinds[] = {"mnt", "pid"};
	struct proc_status st;

	if (read_proc_status(pid, &st) || st.ppid <= 0)
		return false;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		ino_t mine, parent;

		if (!ns_inode(pid, kinds[i], &mine) && !ns_inode(st.ppid, kinds[i], &parent) &&
		    mine != parent)
			return true;
	}
	return false;
}

/*
 * Whether our pids are the kernel's: only then is a pid read from cgroup.procs the tgid the
 * kernel programs compare. In a pid namespace of its own (the DaemonSet without hostPID) the
 * scan sees only its own container's processes, with pids of that namespace: it leaves every
 * init to containerd (Tasks/Get gives host pids).
 */
static bool pids_are_global(void)
{
	struct stat st;

	/* PROC_PID_INIT_INO: the initial pid namespace's fixed inode number */
	return stat("/proc/self/ns/pid", &st) != 0 || st.st_ino == 0xEFFFFFFCu;
}

#define WALK_DEPTH_MAX 64 /* deeper than any cgroup hierarchy in use */

/* The walk's context, for its visits. */
static struct {
	const char *mount_point;
	size_t mount_len;
	bool pids_global;
	cgroup_scan_fn fn;
	void *ctx;
	bool sub_unnamed[EXISTING_SUB_CGROUPS_MAX]; /* per sub-cgroup of the one being visited */
} scan;

/*
 * A container's sub-cgroups, depth first, up to EXISTING_SUB_CGROUPS_MAX and a few levels: crun
 * runs a systemd-driven container in <scope>/container, and a container may make its own. The
 * init, when the container's cgroup itself holds none, is looked for in them, but not in a
 * directory named like an unnamed container (or below one): that may be a container of its own
 * (`--cgroup /a/b/c` under a lookalike /a/b), which only a confirmed container's makes its own.
 */
static void scan_sub_cgroups(const char *dir, int depth, bool unnamed, struct existing_container *c)
{
	char path[PATH_MAX];
	struct container_ident nested;
	struct dirent *d;
	bool is_unnamed;
	DIR *dp;

	if (depth > 4 || !(dp = opendir(dir)))
		return;
	while (c->sub_cgroups < EXISTING_SUB_CGROUPS_MAX && (d = readdir(dp))) {
		if (d->d_type != DT_DIR || d->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) >= (int)sizeof(path))
			continue;
		is_unnamed = unnamed;
		if (cgroup_classify(path + scan.mount_len, &nested)) {
			if (nested.form != CGROUP_FORM_UNNAMED)
				continue; /* a container of its own, not this one's */
			is_unnamed = true;
		}
		if (cgroup_id_of(path, &c->sub_cgroup_ids[c->sub_cgroups]))
			continue; /* gone meanwhile */
		scan.sub_unnamed[c->sub_cgroups++] = is_unnamed;
		if (!c->init_pid && scan.pids_global && !is_unnamed)
			c->init_pid = cgroup_find_init(path);
		scan_sub_cgroups(path, depth + 1, is_unnamed, c);
	}
	closedir(dp);
}

/* An unconfirmed candidate's unnamed-looking sub-cgroups are candidates of their own. */
static void keep_named_sub_cgroups(struct existing_container *c)
{
	unsigned int kept = 0;

	for (unsigned int i = 0; i < c->sub_cgroups; i++)
		if (!scan.sub_unnamed[i])
			c->sub_cgroup_ids[kept++] = c->sub_cgroup_ids[i];
	c->sub_cgroups = kept;
}

/*
 * One directory of the walk; inside: it is below a confirmed container. Returns whether what
 * it holds is.
 */
static bool visit(const char *fpath, bool inside)
{
	struct existing_container c = {};
	const char *rel = fpath + scan.mount_len;

	if (!*rel)
		return false;
	if (!cgroup_classify(rel, &c.ident))
		return inside;
	if (inside && c.ident.form == CGROUP_FORM_UNNAMED)
		return inside; /* a container's own directory, reported with it */
	if (cgroup_id_of(fpath, &c.cgroup_id))
		return inside; /* gone meanwhile */
	c.cgroup_path = rel;
	c.init_pid = scan.pids_global ? cgroup_find_init(fpath) : 0;
	scan_sub_cgroups(fpath, 0, false, &c);
	/*
	 * "/<namespace>/<id>" is a container if its init entered new namespaces; when that cannot
	 * be read (no process, or one we may not inspect), containerd has the last word.
	 */
	c.confirmed = !c.ident.ambiguous || (c.init_pid && entered_new_namespaces(c.init_pid) &&
					     !cgroup_needs_engine(&c.ident));
	if (!c.confirmed)
		keep_named_sub_cgroups(&c);
	scan.fn(&c, scan.ctx);
	/*
	 * Its own sub-cgroups were reported with it and name no container: the walk passes them
	 * by. A container nested in it (a kind node's pods, Docker-in-Docker) is found below.
	 */
	return inside || c.confirmed;
}

static bool is_dir(const char *path, const struct dirent *d)
{
	struct stat st;

	if (d->d_type != DT_UNKNOWN)
		return d->d_type == DT_DIR;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Every directory from path down, each before what it holds. nftw(3) stats every entry, and
 * a cgroup directory holds a few dozen files: the entry's type is enough (kernfs gives it), and
 * with 100 containers that was half the scan's system calls. path has room for PATH_MAX.
 */
static int walk(char *path, size_t len, int depth, bool inside)
{
	struct dirent *d;
	DIR *dp;

	inside = visit(path, inside);
	if (depth >= WALK_DEPTH_MAX)
		return 0;
	dp = opendir(path);
	if (!dp)
		return depth ? 0 : -errno; /* a cgroup gone meanwhile is no error */
	while ((d = readdir(dp))) {
		size_t n = strlen(d->d_name);

		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (len + 1 + n >= PATH_MAX)
			continue;
		path[len] = '/';
		memcpy(path + len + 1, d->d_name, n + 1);
		if (is_dir(path, d))
			walk(path, len + 1 + n, depth + 1, inside);
		path[len] = '\0';
	}
	closedir(dp);
	return 0;
}

int cgroup_scan(const char *mount_point, cgroup_scan_fn fn, void *ctx)
{
	static char path[PATH_MAX];

	scan.mount_point = mount_point;
	scan.mount_len = strlen(mount_point);
	while (scan.mount_len > 1 && mount_point[scan.mount_len - 1] == '/')
		scan.mount_len--;
	scan.fn = fn;
	scan.ctx = ctx;
	scan.pids_global = pids_are_global();
	if (scan.mount_len >= PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(path, mount_point, scan.mount_len);
	path[scan.mount_len] = '\0';
	return walk(path, scan.mount_len, 0, false);
}
