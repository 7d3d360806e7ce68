// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A relative cgroupsPath's whole path, under its runtime's cgroup (runtime_cgroup.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enrich/runtime_cgroup.h"

/* Copies [s, s + len) into out as a string; -ENAMETOOLONG if it does not fit. */
static int copy_out(const char *s, size_t len, char *out, size_t size)
{
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* One "<id>:<controllers>:<path>" line of [line, end): its path if it is hierarchy_id's. */
static int line_path(const char *line, const char *end, uint32_t hierarchy_id, char *out,
		     size_t size)
{
	const char *colon = memchr(line, ':', end - line), *path;
	char *stop;
	unsigned long id;

	if (!colon || colon == line)
		return -ENOENT;
	id = strtoul(line, &stop, 10);
	if (stop != colon || id != hierarchy_id)
		return -ENOENT;
	path = memchr(colon + 1, ':', end - colon - 1);
	if (!path)
		return -EINVAL;
	path++;
	if (path == end || *path != '/')
		return -EINVAL;
	return copy_out(path, end - path, out, size);
}

int runtime_cgroup_parse(const char *proc_cgroup, uint32_t hierarchy_id, char *out, size_t size)
{
	const char *line = proc_cgroup, *end;
	int err;

	while (line && *line) {
		end = strchrnul(line, '\n');
		err = line_path(line, end, hierarchy_id, out, size);
		if (err != -ENOENT)
			return err;
		line = *end ? end + 1 : NULL;
	}
	return -ENOENT;
}

int runtime_cgroup_of(pid_t pid, uint32_t hierarchy_id, char *out, size_t size)
{
	char file[64], text[8192];
	ssize_t n;
	int fd;

	if (pid <= 0)
		return -ESRCH; /* not known: the socket's peer is in no pid namespace we see */
	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	text[n] = '\0';
	return runtime_cgroup_parse(text, hierarchy_id, out, size);
}

/* Whether a relative path has a ".." component (runc cleans it away: not ours to follow). */
static bool climbs(const char *p)
{
	for (const char *s = p; (s = strstr(s, "..")); s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
			return true;
	return false;
}

void runtime_cgroup_parent(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash)
		slash[slash == path] = '\0'; /* "/a" keeps its "/" */
}

int runtime_cgroup_join(const char *runtime_cgroup, const char *relative, char *out, size_t size)
{
	size_t base;
	int n;

	if (!runtime_cgroup || runtime_cgroup[0] != '/' || !relative || !*relative ||
	    relative[0] == '/' || climbs(relative))
		return -EINVAL;
	base = strlen(runtime_cgroup);
	while (base > 0 && runtime_cgroup[base - 1] == '/')
		base--;
	n = snprintf(out, size, "%.*s/%s", (int)base, runtime_cgroup, relative);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return 0;
}
