/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_RECORDS_UPGRADE_H
#define CTRWATCH_RECORDS_UPGRADE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Records of an earlier layout, as the programs of an older ctrwatch wrote them into a pinned
 * ring buffer, in today's layout (include/ctrwatch_records.h). A ctrwatch taking over from an
 * older build drains the old ring buffer through this, so nothing it recorded is lost.
 */

/* The largest record of today's layout: what an upgrade may write. */
#define RECORDS_UPGRADE_MAX 1024

/* Whether records of this layout can be read: today's, or one this build can upgrade. */
bool records_upgrade_supported(uint32_t layout);
/*
 * Writes the record `in` (in_size bytes, of layout `layout`) in today's layout into out
 * (out_size bytes). Returns the size written, or -EINVAL for a record too short for its type,
 * -EPROTONOSUPPORT for a layout this build cannot read, -ENOSPC when out is too small.
 */
int records_upgrade(uint32_t layout, const void *in, size_t in_size, void *out, size_t out_size);

#endif
