// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Records of layout 2, as the programs of an older ctrwatch wrote them, read in today's layout.
 * Built with the next layout (RECORDS_LAYOUT_NEXT, as `make layout-next` builds ctrwatch), so
 * that the upgrade is a real one: the header grew, every body moved.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ctrwatch_records.h"
#include "kernel/records_upgrade.h"
#include "test.h"

_Static_assert(RECORDS_LAYOUT_VERSION == 3, "this test is built with RECORDS_LAYOUT_NEXT");

/* A layout-2 record: the 32-byte header, then the body as today's. */
struct v2_record {
	uint32_t type, flags;
	uint64_t timestamp_ns, cgroup_id, seq;
	uint8_t body[sizeof(struct record_process) - sizeof(struct record_header)];
};

static size_t v2_record(struct v2_record *r, uint32_t type, size_t body)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->flags = RECORD_F_TRUNCATED;
	r->timestamp_ns = 1000 + type;
	r->cgroup_id = 4242;
	r->seq = 77;
	for (size_t i = 0; i < body; i++)
		r->body[i] = (uint8_t)(i * 7 + type);
	return 32 + body;
}

int main(void)
{
	static const struct {
		const char *name;
		uint32_t type;
		size_t body; /* today's body size: what the upgrade copies */
	} cases[] = {
	    {"a cgroup_mkdir keeps its level, parent and path", RECORD_CGROUP_MKDIR,
	     sizeof(struct record_cgroup) - sizeof(struct record_header)},
	    {"a cgroup_rmdir likewise", RECORD_CGROUP_RMDIR,
	     sizeof(struct record_cgroup) - sizeof(struct record_header)},
	    {"a container_start keeps pid, comm, exe and args", RECORD_CONTAINER_START,
	     sizeof(struct record_process) - sizeof(struct record_header)},
	    {"a process_exec likewise", RECORD_PROCESS_EXEC,
	     sizeof(struct record_process) - sizeof(struct record_header)},
	    {"a container_exit keeps pid and wait status", RECORD_CONTAINER_EXIT,
	     sizeof(struct record_exit) - sizeof(struct record_header)},
	};
	static struct v2_record in;
	static uint8_t out[RECORDS_UPGRADE_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		SUBTEST (cases[i].name) {
			size_t n = v2_record(&in, cases[i].type, cases[i].body);
			const struct record_header *h = (const void *)out;
			int got = records_upgrade(2, &in, n, out, sizeof(out));

			ASSERT_EQ(got, sizeof(struct record_header) + cases[i].body);
			ASSERT_EQ(h->type, cases[i].type);
			ASSERT_EQ(h->flags, RECORD_F_TRUNCATED);
			ASSERT_EQ(h->timestamp_ns, 1000 + cases[i].type);
			ASSERT_EQ(h->cgroup_id, 4242);
			ASSERT_EQ(h->seq, 77);
			ASSERT_EQ(h->cpu, 0);
			ASSERT_TRUE(!memcmp(out + sizeof(*h), in.body, cases[i].body));
		}
	}
	SUBTEST ("a record cut short is refused, not read past its end") {
		size_t n = v2_record(&in, RECORD_PROCESS_EXEC, 16);

		ASSERT_EQ(records_upgrade(2, &in, n, out, sizeof(out)), -EINVAL);
		ASSERT_EQ(records_upgrade(2, &in, 31, out, sizeof(out)), -EINVAL);
	}
	SUBTEST ("an unknown record type is refused") {
		size_t n = v2_record(&in, 99, 8);

		ASSERT_EQ(records_upgrade(2, &in, n, out, sizeof(out)), -EINVAL);
	}
	SUBTEST ("an output too small is refused") {
		size_t n = v2_record(&in, RECORD_CONTAINER_EXIT, 8);

		ASSERT_EQ(records_upgrade(2, &in, n, out, 16), -ENOSPC);
	}
	SUBTEST ("layouts: today's passes as it is, 2 is read, others are not") {
		size_t n = v2_record(&in, RECORD_CONTAINER_EXIT, 8);

		ASSERT_TRUE(records_upgrade_supported(3));
		ASSERT_TRUE(records_upgrade_supported(2));
		ASSERT_TRUE(!records_upgrade_supported(1));
		ASSERT_TRUE(!records_upgrade_supported(4));
		ASSERT_EQ(records_upgrade(3, &in, n, out, sizeof(out)), n);
		ASSERT_TRUE(!memcmp(out, &in, n));
		ASSERT_EQ(records_upgrade(4, &in, n, out, sizeof(out)), -EPROTONOSUPPORT);
		ASSERT_EQ(records_upgrade(1, &in, n, out, sizeof(out)), -EPROTONOSUPPORT);
	}
	return test_summary("records_upgrade");
}
