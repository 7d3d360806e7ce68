// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: raw bytes as a stream of ring buffer records, through the lifecycle (a fake
 * kernel map) and the event encoders of every --format. Nothing may crash or leak, and every
 * event must encode as one JSON object on one line (checked with jansson). The input is cut into
 * records: a type byte, a length byte (in 8-byte units; 0 = the type's full size), then that many
 * bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_line.h"
#include "lifecycle/lifecycle.h"
#include "output/event_format.h"

static int map_insert(void *ctx, uint64_t id, const struct tracked_cgroup *v)
{
	(void)ctx, (void)v;
	return id & 1 ? -EEXIST : 0;
}

static int map_remove(void *ctx, uint64_t id)
{
	(void)ctx, (void)id;
	return 0;
}

static int map_forget(void *ctx, uint64_t id)
{
	(void)ctx;
	return id & 2 ? -EBUSY : 0;
}

static int map_set_init(void *ctx, uint64_t id, uint32_t pid)
{
	(void)ctx, (void)id, (void)pid;
	return 0;
}

static const struct tracked_map_ops map_ops = {
    .insert = map_insert, .remove = map_remove, .forget = map_forget, .set_init = map_set_init};

static void take(struct json_writer *w, struct lifecycle *lc, int made, struct event *ev)
{
	if (made != 1)
		return;
	fuzz_check_every_format(w, ev);
	/* facts other stages report back, at random */
	if (ev->container->cgroup_id & 4)
		lifecycle_confirm(lc, ev->container->cgroup_id, ev->container->cgroup_id >> 8);
	if (ev->container->cgroup_id & 8)
		lifecycle_forget(lc, ev->container->cgroup_id);
	event_release(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t record[sizeof(struct record_process) + 64];
	struct tracked_map map = {&map_ops, NULL};
	struct lifecycle *lc = lifecycle_new(&map);
	struct json_writer w;
	struct event ev;

	json_writer_init(&w);
	while (lc && size >= 2) {
		uint32_t type = data[0] % (RECORD_TYPE_MAX + 1);
		size_t len = data[1] ? (size_t)data[1] * 8 : sizeof(record);
		size_t n;

		data += 2, size -= 2;
		if (len > sizeof(record))
			len = sizeof(record);
		n = size < len ? size : len;
		memset(record, 0, sizeof(record));
		memcpy(record, data, n);
		data += n, size -= n;
		((struct record_header *)record)->type = type;
		((struct record_header *)record)->cgroup_id %= 64; /* so that records meet */
		/* a kernel counter from 1: it stays an exact JSON number (jansson stops at 2^63) */
		((struct record_header *)record)->seq &= (1ull << 53) - 1;
		take(&w, lc, lifecycle_handle_record(lc, record, len, &ev), &ev);
	}
	lifecycle_free(lc);
	json_writer_free(&w);
	if (container_live_count() != 0)
		abort(); /* an event kept a reference */
	return 0;
}
