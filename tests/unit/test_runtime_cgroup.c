// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* runtime_cgroup: the watched hierarchy's line of /proc/<pid>/cgroup, and a relative path's join.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "enrich/runtime_cgroup.h"
#include "test.h"

#define HYBRID                                                                                     \
	"9:name=systemd:/\n4:memory:/process_api/24f2\n3:cpuset:/kubepods\n0::/system.slice/"      \
	"containerd.service\n"

static const struct {
	const char *text;
	uint32_t hierarchy_id;
	int err;
	const char *want;
} parse_cases[] = {
    {HYBRID, 0, 0, "/system.slice/containerd.service"},
    {HYBRID, 3, 0, "/kubepods"},
    {HYBRID, 9, 0, "/"},
    {HYBRID, 7, -ENOENT, NULL},
    {"0::/\n", 0, 0, "/"},
    {"0::/a", 0, 0, "/a"}, /* no newline at the end */
    {"", 0, -ENOENT, NULL},
    {"0::relative\n", 0, -EINVAL, NULL},
    {"0::\n", 0, -EINVAL, NULL},
    {"0:/no-second-colon\n", 0, -EINVAL, NULL},
    {"x::/a\n0::/b\n", 0, 0, "/b"},  /* a line that is no hierarchy's is skipped */
    {"10::/a\n1::/b\n", 1, 0, "/b"}, /* 10 is not 1 */
    {":/a\n", 0, -ENOENT, NULL},
};

static const struct {
	const char *runtime, *relative;
	int err;
	const char *want;
} join_cases[] = {
    {"/", "test.slice:cri-containerd:abc", 0, "/test.slice:cri-containerd:abc"},
    {"/system.slice/containerd.service", "a.slice:cri-containerd:x", 0,
     "/system.slice/containerd.service/a.slice:cri-containerd:x"},
    {"/a/", "b/", 0, "/a/b"},
    {"/a", "/abs", -EINVAL, NULL},
    {"/a", "", -EINVAL, NULL},
    {"/a", "../b", -EINVAL, NULL},
    {"/a", "b/../../c", -EINVAL, NULL},
    {"/a", "b..c", 0, "/a/b..c"}, /* two dots inside a name climb nothing */
    {"relative", "b", -EINVAL, NULL},
};

int main(void)
{
	char out[256], name[64];

	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		snprintf(name, sizeof(name), "parse case %zu", i);
		SUBTEST (name) {
			int err = runtime_cgroup_parse(
			    parse_cases[i].text, parse_cases[i].hierarchy_id, out, sizeof(out));

			ASSERT_EQ(err, parse_cases[i].err);
			if (!err)
				ASSERT_STREQ(out, parse_cases[i].want);
		}
	}
	SUBTEST ("a path longer than out") {
		char small[4];

		ASSERT_EQ(runtime_cgroup_parse("0::/abcdef\n", 0, small, sizeof(small)),
			  -ENAMETOOLONG);
	}
	for (size_t i = 0; i < sizeof(join_cases) / sizeof(join_cases[0]); i++) {
		snprintf(name, sizeof(name), "join case %zu", i);
		SUBTEST (name) {
			int err = runtime_cgroup_join(join_cases[i].runtime, join_cases[i].relative,
						      out, sizeof(out));

			ASSERT_EQ(err, join_cases[i].err);
			if (!err)
				ASSERT_STREQ(out, join_cases[i].want);
		}
	}
	SUBTEST ("a cgroup's parent") {
		char a[] = "/system.slice/ctrwatch.service", b[] = "/a", c[] = "/";

		runtime_cgroup_parent(a);
		runtime_cgroup_parent(b);
		runtime_cgroup_parent(c);
		ASSERT_STREQ(a, "/system.slice");
		ASSERT_STREQ(b, "/");
		ASSERT_STREQ(c, "/");
	}
	SUBTEST ("this process's own cgroup, and no pid") {
		int err = runtime_cgroup_of(getpid(), 0, out, sizeof(out));

		ASSERT_TRUE(err == 0 || err == -ENOENT); /* -ENOENT: a host without cgroup2 */
		ASSERT_TRUE(err || out[0] == '/');
		ASSERT_EQ(runtime_cgroup_of(0, 0, out, sizeof(out)), -ESRCH);
	}
	return test_summary("test_runtime_cgroup");
}
