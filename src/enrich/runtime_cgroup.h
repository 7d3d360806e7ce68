/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_RUNTIME_CGROUP_H
#define CTRWATCH_RUNTIME_CGROUP_H
/*
 * Where a runtime puts a container whose cgroupsPath is relative (a client's systemd-style
 * parent against a cgroupfs containerd: "<slice>:cri-containerd:<id>"): runc on the cgroupfs
 * driver makes it under its own cgroup (its v1 manager, hybrid hosts' cgroup2 too), or under
 * that one's parent (its cgroup2 manager: the own cgroup has tasks, so no controllers for a
 * child). Its own cgroup is its shim's, which is containerd's, as /proc/<its pid>/cgroup says
 * it (the pid from the socket's SO_PEERCRED).
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The path of the watched hierarchy (hierarchy_id: 0 for cgroup2, else the v1 hierarchy's id)
 * in a /proc/<pid>/cgroup text, into out. -ENOENT when no line is that hierarchy's; -EINVAL for
 * a line that is no path; -ENAMETOOLONG when out is too small.
 */
int runtime_cgroup_parse(const char *proc_cgroup, uint32_t hierarchy_id, char *out, size_t size);

/* The same, of process pid (its /proc/<pid>/cgroup). -errno when it cannot be read. */
int runtime_cgroup_of(pid_t pid, uint32_t hierarchy_id, char *out, size_t size);

/* The parent of cgroup path (in place): "/a/b" → "/a", "/a" → "/", "/" stays. */
void runtime_cgroup_parent(char *path);

/*
 * The whole path a relative cgroupsPath names under the runtime's cgroup, into out: "/a" and
 * "x:y:z" make "/a/x:y:z". -EINVAL for a path that is not relative or that climbs ("..").
 */
int runtime_cgroup_join(const char *runtime_cgroup, const char *relative, char *out, size_t size);

#endif
