// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * kernel/creator_quota.c: the limits the kernel is given for each set of options. The open
 * pool's quarter of the map is never anyone else's; a rate becomes a period and a burst.
 */
#include "kernel/creator_quota.h"
#include "test.h"

static const struct limits_case {
	const char *name;
	struct creator_quota_config cfg;
	uint32_t container_max, user_max, charged_max, burst;
	uint64_t ns_per_record;
} cases[] = {
    {"the defaults",
     {16384, CONTAINER_CGROUP_QUOTA_DEFAULT, USER_CGROUP_QUOTA_DEFAULT,
      CREATOR_CGROUP_RATE_DEFAULT},
     1024,
     256,
     12288,
     400,
     10000000},
    {"a small map keeps its last quarter for the pool",
     {2048, 1024, 256, 100},
     1024,
     256,
     1536,
     400,
     10000000},
    {"a map of one still limits the others", {1, 3, 2, 1}, 3, 2, 1, 4, 1000000000},
    {"a map of three: the pool's quarter rounds down", {3, 3, 2, 1}, 3, 2, 3, 4, 1000000000},
    {"the fastest rate is one a nanosecond", {16384, 1, 1, 1000000}, 1, 1, 12288, 4000000, 1000},
    {"no rate, no limit on it", {16384, 1, 1, 0}, 1, 1, 12288, 0, 0},
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		SUBTEST (cases[i].name) {
			struct creator_quota l = creator_quota_limits(&cases[i].cfg);

			ASSERT_EQ(l.container_max, cases[i].container_max);
			ASSERT_EQ(l.user_max, cases[i].user_max);
			ASSERT_EQ(l.charged_max, cases[i].charged_max);
			ASSERT_EQ(l.burst, cases[i].burst);
			ASSERT_EQ(l.ns_per_record, cases[i].ns_per_record);
			ASSERT_EQ(l.charged, 0);
			ASSERT_EQ(l.refused_quota, 0);
		}
	}
	return test_summary("test_creator_quota");
}
