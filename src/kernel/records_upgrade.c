// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Records of earlier layouts, read in today's. Each earlier layout is written down here as it
 * was, frozen: include/ctrwatch_records.h moves on, this file keeps what older programs still
 * write into a pinned ring buffer until the ctrwatch that takes over from them has drained it.
 *
 * Layout 2 (ctrwatch up to the first layout bump): a 32-byte header (type, flags, timestamp,
 * cgroup id, seq), then the same bodies as today's.
 */
#include <errno.h>
#include <string.h>

#include "ctrwatch_records.h"
#include "kernel/records_upgrade.h"

struct record_header_v2 {
	__u32 type;
	__u32 flags;
	__u64 timestamp_ns;
	__u64 cgroup_id;
	__u64 seq;
};

_Static_assert(sizeof(struct record_header_v2) == 32, "layout 2's header, frozen");
_Static_assert(sizeof(struct record_process) <= RECORDS_UPGRADE_MAX, "RECORDS_UPGRADE_MAX");

/* Layout 2 → today's: the header's fields by name, the body as it was. */
static int upgrade_v2(const void *in, size_t in_size, void *out, size_t out_size)
{
	const struct record_header_v2 *old = in;
	struct record_header *hdr = out;
	size_t size, body;

	if (in_size < sizeof(*old))
		return -EINVAL;
	size = record_size(old->type);
	if (!size)
		return -EINVAL;
	body = size - sizeof(*hdr);
	if (in_size < sizeof(*old) + body)
		return -EINVAL;
	if (out_size < size)
		return -ENOSPC;
	memset(hdr, 0, sizeof(*hdr));
	hdr->type = old->type;
	hdr->flags = old->flags;
	hdr->timestamp_ns = old->timestamp_ns;
	hdr->cgroup_id = old->cgroup_id;
	hdr->seq = old->seq;
	memcpy((char *)out + sizeof(*hdr), (const char *)in + sizeof(*old), body);
	return (int)size;
}

bool records_upgrade_supported(uint32_t layout)
{
	return layout == RECORDS_LAYOUT_VERSION || layout == 2;
}

int records_upgrade(uint32_t layout, const void *in, size_t in_size, void *out, size_t out_size)
{
	if (layout == RECORDS_LAYOUT_VERSION) {
		if (out_size < in_size)
			return -ENOSPC;
		memcpy(out, in, in_size);
		return (int)in_size;
	}
	if (layout == 2)
		return upgrade_v2(in, in_size, out, out_size);
	return -EPROTONOSUPPORT;
}
