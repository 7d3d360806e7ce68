// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Records of earlier layouts, read in today's. Each earlier layout is written down here as it
 * was, frozen: include/ctrwatch_records.h moves on, this file keeps what older programs still
 * write into a pinned ring buffer until the ctrwatch that takes over from them has drained it.
 *
 * Layout 2: a 32-byte header (type, flags, timestamp, cgroup id, seq); record_process without
 *   parent_comm.
 * Layout 3: the same header; record_process with parent_comm. Its cgroup and exit bodies are
 *   layout 2's. Later layout-3 builds added a record type, the freeze record (no body changed).
 * Layout 4: the same header; record_process with the process's posture (capabilities,
 *   namespaces, seccomp) after its numbers. Every other body is layout 3's.
 * A field a layout did not have is zero in today's record.
 */
#include <errno.h>
#include <string.h>

#include "ctrwatch_records.h"
#include "kernel/records_upgrade.h"

struct header_v2 { /* layouts 2 to 4 */
	__u32 type;
	__u32 flags;
	__u64 timestamp_ns;
	__u64 cgroup_id;
	__u64 seq;
};

struct cgroup_body_v2 { /* layouts 2 to 4 */
	__u32 level;
	__u32 path_len;
	__u64 parent_id;
	char path[256];
};

struct process_body_v2 {
	__u32 pid, ppid, uid, gid, exe_len, args_len;
	char comm[16];
	char exe[256];
	char args[512];
};

struct process_body_v3 {
	__u32 pid, ppid, uid, gid, exe_len, args_len;
	char comm[16];
	char parent_comm[16];
	char exe[256];
	char args[512];
};

struct posture_v4 {
	__u64 cap_effective, cap_permitted, cap_bounding;
	__u32 euid, egid;
	__u32 ns_inum[8];
	__u32 host_ns, seccomp_mode, flags, reserved;
};

struct process_body_v4 {
	__u32 pid, ppid, uid, gid, exe_len, args_len;
	struct posture_v4 posture;
	char comm[16];
	char parent_comm[16];
	char exe[256];
	char args[512];
};

struct exit_body_v2 { /* layouts 2 to 4 */
	__u32 pid;
	__u32 exit_status;
};

struct freeze_body_v3 { /* layouts 3 and 4 */
	__u32 frozen;
	__u32 path_len;
	char path[256];
};

_Static_assert(sizeof(struct header_v2) == 32, "layout 2's header, frozen");
_Static_assert(sizeof(struct cgroup_body_v2) == 272, "layout 2's cgroup body, frozen");
_Static_assert(sizeof(struct process_body_v2) == 808, "layout 2's process body, frozen");
_Static_assert(sizeof(struct process_body_v3) == 824, "layout 3's process body, frozen");
_Static_assert(sizeof(struct process_body_v4) == 904, "layout 4's process body, frozen");
_Static_assert(sizeof(struct freeze_body_v3) == 264, "layout 3's freeze body, frozen");
_Static_assert(sizeof(struct record_process) <= RECORDS_UPGRADE_MAX, "RECORDS_UPGRADE_MAX");
_Static_assert(sizeof(((struct record_cgroup *)0)->path) >=
		   sizeof(((struct cgroup_body_v2 *)0)->path),
	       "today's cgroup path holds an old one");

/* A body's size in an old layout; 0 for a type it did not have. */
static size_t old_body_size(uint32_t layout, uint32_t type)
{
	switch (type) {
	case RECORD_CGROUP_MKDIR:
	case RECORD_CGROUP_RMDIR: return sizeof(struct cgroup_body_v2);
	case RECORD_CONTAINER_START:
	case RECORD_PROCESS_EXEC:
		return layout == 2   ? sizeof(struct process_body_v2)
		       : layout == 3 ? sizeof(struct process_body_v3)
				     : sizeof(struct process_body_v4);
	case RECORD_CONTAINER_EXIT: return sizeof(struct exit_body_v2);
	case RECORD_CONTAINER_FREEZE: return layout >= 3 ? sizeof(struct freeze_body_v3) : 0;
	}
	return 0;
}

static void upgrade_cgroup(const struct cgroup_body_v2 *in, struct record_cgroup *out)
{
	out->level = in->level;
	out->path_len = in->path_len;
	out->parent_id = in->parent_id;
	memcpy(out->path, in->path, sizeof(in->path));
}

static void upgrade_posture(const struct posture_v4 *in, struct record_posture *out)
{
	out->cap_effective = in->cap_effective;
	out->cap_permitted = in->cap_permitted;
	out->cap_bounding = in->cap_bounding;
	out->euid = in->euid;
	out->egid = in->egid;
	for (int i = 0; i < 8 && i < RECORD_NS_KINDS; i++)
		out->ns_inum[i] = in->ns_inum[i];
	out->host_ns = in->host_ns;
	out->seccomp_mode = in->seccomp_mode;
	out->flags = in->flags;
}

static void upgrade_process(uint32_t layout, const void *in, struct record_process *out)
{
	const struct process_body_v2 *v2 = in;
	const struct process_body_v3 *v3 = in;
	const struct process_body_v4 *v4 = in;

	/* the six numbers lead every layout's body */
	out->pid = v2->pid;
	out->ppid = v2->ppid;
	out->uid = v2->uid;
	out->gid = v2->gid;
	out->exe_len = v2->exe_len;
	out->args_len = v2->args_len;
	switch (layout) {
	case 2:
		memcpy(out->comm, v2->comm, sizeof(out->comm));
		memcpy(out->exe, v2->exe, sizeof(out->exe));
		memcpy(out->args, v2->args, sizeof(out->args));
		break;
	case 3:
		memcpy(out->comm, v3->comm, sizeof(out->comm));
		memcpy(out->parent_comm, v3->parent_comm, sizeof(out->parent_comm));
		memcpy(out->exe, v3->exe, sizeof(out->exe));
		memcpy(out->args, v3->args, sizeof(out->args));
		break;
	default:
		upgrade_posture(&v4->posture, &out->posture);
		memcpy(out->comm, v4->comm, sizeof(out->comm));
		memcpy(out->parent_comm, v4->parent_comm, sizeof(out->parent_comm));
		memcpy(out->exe, v4->exe, sizeof(out->exe));
		memcpy(out->args, v4->args, sizeof(out->args));
	}
}

static void upgrade_exit(const struct exit_body_v2 *in, struct record_exit *out)
{
	out->pid = in->pid;
	out->exit_status = in->exit_status;
}

static void upgrade_freeze(const struct freeze_body_v3 *in, struct record_freeze *out)
{
	out->frozen = in->frozen;
	out->path_len = in->path_len;
	memcpy(out->path, in->path, sizeof(in->path));
}

/* Layouts 2 to 4 → today's: fields by name, as the old structs had them. */
static int upgrade_old(uint32_t layout, const void *in, size_t in_size, void *out, size_t out_size)
{
	const struct header_v2 *old = in;
	const void *body = (const char *)in + sizeof(*old);
	struct record_header *hdr = out;
	size_t size, body_size;

	if (in_size < sizeof(*old))
		return -EINVAL;
	size = record_size(old->type);
	body_size = old_body_size(layout, old->type);
	if (!size || !body_size || in_size < sizeof(*old) + body_size)
		return -EINVAL;
	if (out_size < size)
		return -ENOSPC;
	memset(out, 0, size);
	hdr->type = old->type;
	hdr->flags = old->flags;
	hdr->timestamp_ns = old->timestamp_ns;
	hdr->cgroup_id = old->cgroup_id;
	hdr->seq = old->seq;
	switch (old->type) {
	case RECORD_CGROUP_MKDIR:
	case RECORD_CGROUP_RMDIR: upgrade_cgroup(body, out); break;
	case RECORD_CONTAINER_START:
	case RECORD_PROCESS_EXEC: upgrade_process(layout, body, out); break;
	case RECORD_CONTAINER_EXIT: upgrade_exit(body, out); break;
	case RECORD_CONTAINER_FREEZE: upgrade_freeze(body, out); break;
	}
	return (int)size;
}

bool records_upgrade_supported(uint32_t layout)
{
	return layout == RECORDS_LAYOUT_VERSION || (layout >= 2 && layout <= 4);
}

int records_upgrade(uint32_t layout, const void *in, size_t in_size, void *out, size_t out_size)
{
	if (layout == RECORDS_LAYOUT_VERSION) {
		if (out_size < in_size)
			return -ENOSPC;
		memcpy(out, in, in_size);
		return (int)in_size;
	}
	if (layout >= 2 && layout <= 4)
		return upgrade_old(layout, in, in_size, out, out_size);
	return -EPROTONOSUPPORT;
}
