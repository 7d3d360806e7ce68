// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/cgroup_hierarchy.h"

/* mountinfo: "id parent maj:min root mount_point options [optional...] - fstype source superopts"
 */
static int parse_mount_line(char *line, char **mount_point, char **fstype, char **superopts)
{
	char *save = NULL, *tok;
	int field = 0;
	bool after_dash = false;
	int after = 0;

	*mount_point = *fstype = *superopts = NULL;
	for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (after_dash) {
			if (after == 0)
				*fstype = tok;
			else if (after == 2)
				*superopts = tok;
			after++;
		} else if (strcmp(tok, "-") == 0 && field >= 6) {
			after_dash = true;
		} else if (field == 4) {
			*mount_point = tok;
		}
		field++;
	}
	return *mount_point && *fstype ? 0 : -EINVAL;
}

static bool has_option(const char *opts, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = opts; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static int cpuset_hierarchy_id(const char *proc_cgroups, uint32_t *id)
{
	const char *p = proc_cgroups;
	unsigned int hid;

	while (p && *p) {
		if (sscanf(p, "cpuset %u", &hid) == 1) {
			*id = hid;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

/* mountinfo escapes spaces and such as \040; unescape in place */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

int cgroup_hierarchy_parse(const char *mountinfo, const char *proc_cgroups,
			   enum cgroup_hierarchy_choice choice, struct cgroup_hierarchy *h)
{
	char cpuset_mount[PATH_MAX] = "";
	char *text = strdup(mountinfo), *save = NULL, *line;
	bool v1_freezer = false;
	int err = -ENOENT;

	if (!text)
		return -ENOMEM;
	memset(h, 0, sizeof(*h));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *mount_point, *fstype, *superopts;

		if (parse_mount_line(line, &mount_point, &fstype, &superopts))
			continue;
		unescape_octal(mount_point);
		if (strcmp(fstype, "cgroup2") == 0 && !h->mount_point[0]) {
			snprintf(h->mount_point, sizeof(h->mount_point), "%s", mount_point);
			h->hierarchy_id = 0;
			h->v1 = false;
			err = 0;
		} else if (strcmp(fstype, "cgroup") == 0 && has_option(superopts, "cpuset") &&
			   !cpuset_mount[0]) {
			snprintf(cpuset_mount, sizeof(cpuset_mount), "%s", mount_point);
		}
		if (strcmp(fstype, "cgroup") == 0 && has_option(superopts, "freezer"))
			v1_freezer = true;
	}
	free(text);
	h->v1_freezer = v1_freezer;
	if (!err && choice != CGROUP_HIERARCHY_CPUSET)
		return 0;
	memset(h, 0, sizeof(*h));
	h->v1_freezer = v1_freezer;
	if (choice == CGROUP_HIERARCHY_CGROUP2 || !cpuset_mount[0] || !proc_cgroups)
		return -ENOENT;
	err = cpuset_hierarchy_id(proc_cgroups, &h->hierarchy_id);
	if (err)
		return err;
	snprintf(h->mount_point, sizeof(h->mount_point), "%s", cpuset_mount);
	h->v1 = true;
	return 0;
}

static char *read_text_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int cgroup_hierarchy_find(enum cgroup_hierarchy_choice choice, struct cgroup_hierarchy *h)
{
	char *mountinfo = read_text_file("/proc/self/mountinfo");
	char *proc_cgroups = read_text_file("/proc/cgroups");
	int err;

	err = mountinfo ? cgroup_hierarchy_parse(mountinfo, proc_cgroups, choice, h) : -errno;
	free(mountinfo);
	free(proc_cgroups);
	return err;
}
