// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Records of layouts 2 to 4, as the programs of older ctrwatch builds wrote them, read in
 * today's layout. Built with the next layout (RECORDS_LAYOUT_NEXT, as `make layout-next` builds
 * ctrwatch), so that every upgrade is a real one: the header grew, every body moved, layout 2's
 * process records lack parent_comm and layouts 2 and 3's their posture.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ctrwatch_records.h"
#include "kernel/records_upgrade.h"
#include "test.h"

_Static_assert(RECORDS_LAYOUT_VERSION == 5, "this test is built with RECORDS_LAYOUT_NEXT");

/* An old record, byte by byte: the 32-byte header of layouts 2 to 4, then its body. */
static uint8_t old[1024];

static size_t put(size_t off, const void *v, size_t n)
{
	memcpy(old + off, v, n);
	return off + n;
}

static size_t header(uint32_t type)
{
	uint32_t flags = RECORD_F_TRUNCATED;
	uint64_t ts = 1000 + type, id = 4242, seq = 77;
	size_t off = 0;

	memset(old, 0, sizeof(old));
	off = put(off, &type, 4);
	off = put(off, &flags, 4);
	off = put(off, &ts, 8);
	off = put(off, &id, 8);
	return put(off, &seq, 8);
}

static size_t process_record(uint32_t layout, uint32_t type)
{
	uint32_t ids[6] = {11, 12, 13, 14, 7, 9}; /* pid ppid uid gid exe_len args_len */
	size_t off = header(type);

	off = put(off, ids, sizeof(ids));
	if (layout >= 4) {
		/* effective, permitted, bounding; euid egid; 8 namespaces; host_ns seccomp flags */
		uint64_t caps[3] = {1ull << 21, 3ull << 20, ~0ull >> 23};
		uint32_t rest[14] = {1000, 1001, 41, 42, 43, 44, 45, 46, 47, 48, 0x3, 2, 0x5, 0};

		off = put(off, caps, sizeof(caps));
		off = put(off, rest, sizeof(rest));
	}
	off = put(off, "sh\0............", 16);
	if (layout >= 3)
		off = put(off, "runc\0...........", 16);
	off = put(off, "/bin/sh", 8) + 256 - 8;
	return put(off, "sh\0-c\0x\0", 9) + 512 - 9;
}

static size_t cgroup_record(uint32_t type)
{
	uint32_t level = 3, path_len = 8;
	uint64_t parent = 99;
	size_t off = header(type);

	off = put(off, &level, 4);
	off = put(off, &path_len, 4);
	off = put(off, &parent, 8);
	return put(off, "/default/web", 13) + 256 - 13;
}

static size_t exit_record(void)
{
	uint32_t pid = 11, status = 3 << 8;
	size_t off = header(RECORD_CONTAINER_EXIT);

	off = put(off, &pid, 4);
	return put(off, &status, 4);
}

static size_t freeze_record(void)
{
	uint32_t frozen = 1, path_len = 12;
	size_t off = header(RECORD_CONTAINER_FREEZE);

	off = put(off, &frozen, 4);
	off = put(off, &path_len, 4);
	return put(off, "/default/web", 13) + 256 - 13;
}

static void check_header(const struct record_header *h, uint32_t type)
{
	ASSERT_EQ(h->type, type);
	ASSERT_EQ(h->flags, RECORD_F_TRUNCATED);
	ASSERT_EQ(h->timestamp_ns, 1000 + type);
	ASSERT_EQ(h->cgroup_id, 4242);
	ASSERT_EQ(h->seq, 77);
	ASSERT_EQ(h->cpu, 0); /* no layout before had it */
}

int main(void)
{
	static uint8_t out[RECORDS_UPGRADE_MAX];
	const struct record_process *p = (const void *)out;
	const struct record_cgroup *c = (const void *)out;
	const struct record_exit *e = (const void *)out;

	for (uint32_t layout = 2; layout <= 4; layout++) {
		SUBTEST (layout == 2   ? "layout 2: a start keeps every field; no parent_comm yet"
			 : layout == 3 ? "layout 3: a start keeps every field, parent_comm too"
				       : "layout 4: a start keeps every field, its posture too") {
			size_t n = process_record(layout, RECORD_CONTAINER_START);
			const struct record_posture *pos = &p->posture;

			ASSERT_EQ(records_upgrade(layout, old, n, out, sizeof(out)), sizeof(*p));
			check_header(&p->hdr, RECORD_CONTAINER_START);
			ASSERT_EQ(p->pid, 11);
			ASSERT_EQ(p->ppid, 12);
			ASSERT_EQ(p->uid, 13);
			ASSERT_EQ(p->gid, 14);
			ASSERT_EQ(p->exe_len, 7);
			ASSERT_EQ(p->args_len, 9);
			ASSERT_STREQ(p->comm, "sh");
			ASSERT_STREQ(p->parent_comm, layout == 2 ? "" : "runc");
			ASSERT_STREQ(p->exe, "/bin/sh");
			ASSERT_TRUE(!memcmp(p->args, "sh\0-c\0x\0", 9));
			/* the flags say whether there is one: RECORD_F_POSTURE is not set here */
			ASSERT_EQ(pos->cap_effective, layout == 4 ? 1ull << 21 : 0);
			ASSERT_EQ(pos->cap_permitted, layout == 4 ? 3ull << 20 : 0);
			ASSERT_EQ(pos->cap_bounding, layout == 4 ? ~0ull >> 23 : 0);
			ASSERT_EQ(pos->euid, layout == 4 ? 1000 : 0);
			ASSERT_EQ(pos->egid, layout == 4 ? 1001 : 0);
			for (int i = 0; i < RECORD_NS_KINDS; i++)
				ASSERT_EQ(pos->ns_inum[i], layout == 4 ? 41u + i : 0);
			ASSERT_EQ(pos->host_ns, layout == 4 ? 0x3 : 0);
			ASSERT_EQ(pos->seccomp_mode, layout == 4 ? 2 : 0);
			ASSERT_EQ(pos->flags, layout == 4 ? 0x5 : 0);
		}
		SUBTEST (layout == 2 ? "layout 2: a cgroup_mkdir keeps level, parent and path"
				     : "layouts 3 and 4: a cgroup_rmdir likewise") {
			uint32_t type = layout == 2 ? RECORD_CGROUP_MKDIR : RECORD_CGROUP_RMDIR;
			size_t n = cgroup_record(type);

			ASSERT_EQ(records_upgrade(layout, old, n, out, sizeof(out)), sizeof(*c));
			check_header(&c->hdr, type);
			ASSERT_EQ(c->level, 3);
			ASSERT_EQ(c->path_len, 8);
			ASSERT_EQ(c->parent_id, 99);
			ASSERT_STREQ(c->path, "/default/web");
		}
		SUBTEST ("an exit keeps pid and wait status") {
			size_t n = exit_record();

			ASSERT_EQ(records_upgrade(layout, old, n, out, sizeof(out)), sizeof(*e));
			check_header(&e->hdr, RECORD_CONTAINER_EXIT);
			ASSERT_EQ(e->pid, 11);
			ASSERT_EQ(e->exit_status, 3 << 8);
		}
	}
	SUBTEST ("layouts 3 and 4: a freeze keeps frozen and path; layout 2 had none") {
		const struct record_freeze *f = (const void *)out;
		size_t n = freeze_record();

		for (uint32_t layout = 3; layout <= 4; layout++) {
			ASSERT_EQ(records_upgrade(layout, old, n, out, sizeof(out)), sizeof(*f));
			check_header(&f->hdr, RECORD_CONTAINER_FREEZE);
			ASSERT_EQ(f->frozen, 1);
			ASSERT_EQ(f->path_len, 12);
			ASSERT_STREQ(f->path, "/default/web");
		}
		ASSERT_EQ(records_upgrade(2, old, n, out, sizeof(out)), -EINVAL);
	}
	SUBTEST ("a record cut short is refused, not read past its end") {
		size_t n = process_record(3, RECORD_PROCESS_EXEC);

		ASSERT_EQ(records_upgrade(3, old, n - 1, out, sizeof(out)), -EINVAL);
		ASSERT_EQ(records_upgrade(2, old, 31, out, sizeof(out)), -EINVAL);
		/* a layout 2 process record is 16 bytes shorter: read as layout 3 it is cut short
		 */
		n = process_record(2, RECORD_PROCESS_EXEC);
		ASSERT_EQ(records_upgrade(3, old, n, out, sizeof(out)), -EINVAL);
		/* and a layout 3 one, without its posture, read as layout 4 */
		n = process_record(3, RECORD_PROCESS_EXEC);
		ASSERT_EQ(records_upgrade(4, old, n, out, sizeof(out)), -EINVAL);
	}
	SUBTEST ("an unknown record type is refused") {
		size_t n = header(99) + 8;

		ASSERT_EQ(records_upgrade(2, old, n, out, sizeof(out)), -EINVAL);
	}
	SUBTEST ("an output too small is refused") {
		size_t n = exit_record();

		ASSERT_EQ(records_upgrade(2, old, n, out, 16), -ENOSPC);
	}
	SUBTEST ("layouts: today's passes as it is, 2 to 4 are read, others are not") {
		size_t n = exit_record();

		ASSERT_TRUE(records_upgrade_supported(5));
		ASSERT_TRUE(records_upgrade_supported(4));
		ASSERT_TRUE(records_upgrade_supported(3));
		ASSERT_TRUE(records_upgrade_supported(2));
		ASSERT_TRUE(!records_upgrade_supported(1));
		ASSERT_TRUE(!records_upgrade_supported(6));
		ASSERT_EQ(records_upgrade(5, old, n, out, sizeof(out)), n);
		ASSERT_TRUE(!memcmp(out, old, n));
		ASSERT_EQ(records_upgrade(6, old, n, out, sizeof(out)), -EPROTONOSUPPORT);
		ASSERT_EQ(records_upgrade(1, old, n, out, sizeof(out)), -EPROTONOSUPPORT);
	}
	return test_summary("records_upgrade");
}
