// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pipeline without containerd: unconfirmed /<ns>/<id> lookalikes stay silent, confirmed
 * containers go out in order marked "enrichment": "none", user filters drop a container whole
 * and take it out of the kernel map.
 */
#include <stdlib.h>
#include <unistd.h>

#include "lifecycle.h"
#include "pipeline.h"
#include "test.h"

struct harness {
	struct lifecycle lc;
	struct pipeline p;
	struct output out;
	struct filter_set filters;
	char path[64];
	char untracked[128];
};

static int h_track(void *ctx, uint64_t id, const struct tracked_cgroup *v)
{
	(void)ctx, (void)id, (void)v;
	return 0;
}

static int h_untrack(void *ctx, uint64_t id)
{
	struct harness *h = ctx;
	size_t n = strlen(h->untracked);

	snprintf(h->untracked + n, sizeof(h->untracked) - n, "%s%llu", n ? " " : "",
		 (unsigned long long)id);
	return 0;
}

static void h_emit(void *ctx, const struct event *ev)
{
	pipeline_submit(&((struct harness *)ctx)->p, ev, 1000);
}

static void setup(struct harness *h, const char *exclude)
{
	char err[256];
	struct lifecycle_ops ops = {h_track, h_untrack, h_emit, h};
	struct pipeline_config cfg = {0};

	memset(h, 0, sizeof(*h));
	strcpy(h->path, "/tmp/ctrwatch-test-pipeline.XXXXXX");
	close(mkstemp(h->path));
	output_open(&h->out, h->path);
	filter_set_init(&h->filters);
	if (exclude)
		filter_set_add(&h->filters, exclude, false, err, sizeof(err));
	lifecycle_init(&h->lc, &ops);
	cfg.out = &h->out;
	cfg.table = &h->lc.table;
	cfg.filters = &h->filters;
	cfg.pause_filter = true;
	cfg.enrich_timeout_ns = 500000000;
	cfg.cache_size = 16;
	cfg.untrack = h_untrack;
	cfg.ctx = h;
	pipeline_init(&h->p, &cfg);
}

/* The "event" values written, in order, space-separated. */
static void written(struct harness *h, char *out, size_t size)
{
	FILE *f = fopen(h->path, "r");
	char line[4096];

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		char *e = strstr(line, "\"event\":\"");

		if (e) {
			size_t n = strlen(out);

			snprintf(out + n, size - n, "%s%.*s", n ? " " : "",
				 (int)strcspn(e + 9, "\""), e + 9);
		}
		if (!strstr(line, "\"enrichment\":\"none\""))
			snprintf(out, size, "missing enrichment: %s", line);
	}
	if (f)
		fclose(f);
}

static void teardown(struct harness *h)
{
	pipeline_tick(&h->p, 2000, true);
	lifecycle_free(&h->lc);
	pipeline_free(&h->p);
	output_close(&h->out);
	filter_set_free(&h->filters);
	unlink(h->path);
}

static void mkdir_record(struct harness *h, uint32_t type, uint64_t id, const char *path)
{
	struct record_cgroup r = {.hdr = {.type = type, .cgroup_id = id}};

	r.path_len = strlen(path);
	memcpy(r.path, path, r.path_len);
	lifecycle_handle_record(&h->lc, &r, sizeof(r));
}

static void start_record(struct harness *h, uint64_t id)
{
	struct record_process r = {.hdr = {.type = RECORD_CONTAINER_START, .cgroup_id = id},
				   .pid = 42};

	lifecycle_handle_record(&h->lc, &r, sizeof(r));
}

int main(void)
{
	struct harness h;
	char out[512];

	SUBTEST ("an unconfirmed lookalike that goes away writes nothing") {
		setup(&h, NULL);
		mkdir_record(&h, RECORD_CGROUP_MKDIR, 5, "/plain/dir");
		mkdir_record(&h, RECORD_CGROUP_RMDIR, 5, "/plain/dir");
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "");
		ASSERT_EQ(h.lc.table.count, 0);
		teardown(&h);
	}
	SUBTEST ("a lookalike confirmed by its start writes create then start") {
		setup(&h, NULL);
		mkdir_record(&h, RECORD_CGROUP_MKDIR, 6, "/default/web");
		start_record(&h, 6);
		mkdir_record(&h, RECORD_CGROUP_RMDIR, 6, "/default/web");
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "container_create container_start container_remove");
		ASSERT_EQ(h.lc.table.count, 0);
		teardown(&h);
	}
	SUBTEST ("an excluded container writes nothing and leaves the kernel map") {
		setup(&h, "namespace:^default$");
		mkdir_record(&h, RECORD_CGROUP_MKDIR, 7, "/default/web");
		start_record(&h, 7);
		mkdir_record(&h, RECORD_CGROUP_RMDIR, 7, "/default/web");
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "");
		ASSERT_STREQ(h.untracked, "7");
		ASSERT_EQ(h.lc.table.count, 0);
		teardown(&h);
	}
	return test_summary("test_pipeline");
}
