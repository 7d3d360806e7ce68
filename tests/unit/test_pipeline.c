// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The pipeline with a fake containerd behind the lookup seam: events wait, in order, for their
 * container's confirmation and lookup; the policy drops a container whole and takes it out of the
 * kernel map; and the ownership rules hold: a container lives exactly as long as its table entry
 * or an event that still has to be written (checked with container_live_count() and ASan).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "lifecycle/lifecycle.h"
#include "pipeline.h"
#include "test.h"

#define MS 1000000ull

struct harness {
	struct lifecycle *lc;
	struct pipeline *p;
	struct sink *sink;
	struct filter_set filters;
	char path[64];
	char untracked[128];		   /* kernel map removals: "id id ..." */
	char submitted[128];		   /* lookups asked for: "id id ..." */
	char promoted[64];		   /* lookups made urgent */
	char urgent[128];		   /* lookups asked for urgently */
	char sessions[128];		   /* exec ids asked for: "pid@namespace ..." */
	int submit_result;		   /* what the fake's submit returns */
	struct lookup_result_list answers; /* what the fake containerd has answered */
};

static void append_id(char *buf, size_t size, uint64_t id)
{
	size_t n = strlen(buf);

	snprintf(buf + n, size - n, "%s%llu", n ? " " : "", (unsigned long long)id);
}

static int map_insert(void *ctx, uint64_t id, const struct tracked_cgroup *v)
{
	(void)ctx, (void)id, (void)v;
	return 0;
}

static int map_remove(void *ctx, uint64_t id)
{
	struct harness *h = ctx;

	append_id(h->untracked, sizeof(h->untracked), id);
	return 0;
}

static int map_set_init(void *ctx, uint64_t id, uint32_t pid)
{
	(void)ctx, (void)id, (void)pid;
	return 0;
}

static const struct tracked_map_ops map_ops = {
    .insert = map_insert,
    .remove = map_remove,
    .forget = map_remove,
    .set_init = map_set_init,
};

static int fake_submit(void *ctx, const struct lookup_request *req)
{
	struct harness *h = ctx;

	if (h->submit_result)
		return h->submit_result;
	if (req->session_pid) {
		size_t n = strlen(h->sessions);

		snprintf(h->sessions + n, sizeof(h->sessions) - n, "%s%u@%s", n ? " " : "",
			 req->session_pid, req->namespace);
		return 0;
	}
	append_id(h->submitted, sizeof(h->submitted), req->cgroup_id);
	if (req->urgent)
		append_id(h->urgent, sizeof(h->urgent), req->cgroup_id);
	return 0;
}

static void fake_promote(void *ctx, uint64_t id)
{
	struct harness *h = ctx;

	append_id(h->promoted, sizeof(h->promoted), id);
}

static void fake_take(void *ctx, struct lookup_result_list *out)
{
	STAILQ_CONCAT(out, &((struct harness *)ctx)->answers);
}

static const struct lookup_ops fake_containerd = {
    .submit = fake_submit,
    .promote = fake_promote,
    .take = fake_take,
};

struct setup_opts {
	bool containerd;
	const char *exclude;
	unsigned int cache_size;
	uint64_t cache_bytes;
};

static void setup(struct harness *h, struct setup_opts o)
{
	struct tracked_map map = {&map_ops, h};
	struct pipeline_config cfg = {0};
	char err[256];

	memset(h, 0, sizeof(*h));
	STAILQ_INIT(&h->answers);
	strcpy(h->path, "/tmp/ctrwatch-test-pipeline.XXXXXX");
	close(mkstemp(h->path));
	h->sink = sink_open(h->path);
	filter_set_init(&h->filters);
	if (o.exclude)
		filter_set_add(&h->filters, o.exclude, false, err, sizeof(err));
	h->lc = lifecycle_new(&map);
	cfg.sink = h->sink;
	cfg.lifecycle = h->lc;
	cfg.lookup = o.containerd ? &fake_containerd : NULL;
	cfg.lookup_ctx = h;
	cfg.policy = (struct policy){.filters = &h->filters, .drop_sandboxes = true};
	cfg.enrich_timeout_ns = 500 * MS;
	cfg.cache_size = o.cache_size ? o.cache_size : 16;
	cfg.cache_bytes = o.cache_bytes;
	h->p = pipeline_new(&cfg);
}

/* Each line written as "event:enrichment", space-separated, in order. */
static void written(struct harness *h, char *out, size_t size)
{
	FILE *f = fopen(h->path, "r");
	char line[8192];

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		char *e = strstr(line, "\"event\":\""), *x = strstr(line, "\"enrichment\":\"");
		size_t n = strlen(out);

		if (!e)
			continue;
		snprintf(out + n, size - n, "%s%.*s:%.*s", n ? " " : "", (int)strcspn(e + 9, "\""),
			 e + 9, x ? (int)strcspn(x + 14, "\"") : 1, x ? x + 14 : "-");
	}
	if (f)
		fclose(f);
}

/* Whether any written line contains s. */
static bool written_has(struct harness *h, const char *s)
{
	FILE *f = fopen(h->path, "r");
	char line[8192];
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, s) != NULL;
	if (f)
		fclose(f);
	return found;
}

/* Frees everything; every container must be gone then. */
static void teardown(struct harness *h)
{
	struct lookup_result *r;

	pipeline_free(h->p);
	lifecycle_free(h->lc);
	while ((r = STAILQ_FIRST(&h->answers))) {
		STAILQ_REMOVE_HEAD(&h->answers, link);
		lookup_result_free(r);
	}
	sink_close(h->sink);
	filter_set_free(&h->filters);
	unlink(h->path);
	ASSERT_EQ(container_live_count(), 0);
}

/* The lifecycle ring buffer's oldest held record: every record here is one of its. */
static uint64_t oldest_lifecycle_record(const struct pipeline *p)
{
	uint64_t oldest[EVENT_RINGS];

	pipeline_oldest_records(p, oldest);
	return oldest[EVENT_RING_LIFECYCLE];
}

static uint64_t next_ring_pos = 100; /* each record's place in a pretend ring buffer */
static enum event_ring next_ring = EVENT_RING_LIFECYCLE;

static void submit_if_made(struct harness *h, int made, struct event *ev, uint64_t now)
{
	uint64_t pos = next_ring_pos;

	next_ring_pos += 8;
	if (made != 1)
		return;
	ev->ring = next_ring;
	ev->ring_pos = pos;
	pipeline_submit(h->p, ev, now);
}

static void cgroup_record(struct harness *h, uint32_t type, uint64_t id, const char *path,
			  uint64_t now)
{
	struct record_cgroup r = {.hdr = {.type = type, .cgroup_id = id}};
	struct event ev;

	r.path_len = strlen(path);
	memcpy(r.path, path, r.path_len);
	submit_if_made(h, lifecycle_handle_record(h->lc, &r, sizeof(r), &ev), &ev, now);
}

/* Every process is pid 42: the start is the init, the exit is its. */
static void process_record(struct harness *h, uint32_t type, uint64_t id, uint64_t now)
{
	struct record_process r = {.hdr = {.type = type, .cgroup_id = id}, .pid = 42};
	struct event ev;

	submit_if_made(h, lifecycle_handle_record(h->lc, &r, sizeof(r), &ev), &ev, now);
}

/* An exec session's program, pid 77, launched from outside. */
static void session_record(struct harness *h, uint64_t id, uint64_t now)
{
	struct record_process r = {
	    .hdr = {.type = RECORD_PROCESS_EXEC, .cgroup_id = id, .flags = RECORD_F_EXEC_SESSION},
	    .pid = 77};
	struct event ev;

	submit_if_made(h, lifecycle_handle_record(h->lc, &r, sizeof(r), &ev), &ev, now);
}

/* The fake containerd names a session's exec id ("" : it does not know the pid). */
static void answer_session(struct harness *h, uint64_t id, uint32_t pid, const char *exec_id)
{
	struct lookup_result *r = lookup_result_new(id);

	r->session_pid = pid;
	r->status = exec_id[0] ? LOOKUP_FOUND : LOOKUP_NOT_FOUND;
	snprintf(r->exec_id, sizeof(r->exec_id), "%s", exec_id);
	STAILQ_INSERT_TAIL(&h->answers, r, link);
}

static void exit_record(struct harness *h, uint64_t id, uint64_t now)
{
	struct record_exit r = {.hdr = {.type = RECORD_CONTAINER_EXIT, .cgroup_id = id}, .pid = 42};
	struct event ev;

	submit_if_made(h, lifecycle_handle_record(h->lc, &r, sizeof(r), &ev), &ev, now);
}

/* The fake containerd answers a lookup; kind is the io.cri-containerd.kind label or NULL. */
static void answer(struct harness *h, uint64_t id, enum lookup_status status, const char *kind)
{
	struct lookup_result *r = lookup_result_new(id);

	r->status = status;
	r->searched_all = true;
	if (status == LOOKUP_FOUND) {
		r->meta.namespace = strdup("default");
		r->meta.image = strdup("docker.io/library/busybox:1");
		r->meta.labels = calloc(1, sizeof(*r->meta.labels));
		if (kind)
			r->meta.labels[r->meta.n_labels++] = (struct container_label){
			    strdup("io.cri-containerd.kind"), strdup(kind)};
		container_meta_apply_labels(&r->meta, "x");
	} else if (status == LOOKUP_FAILED) {
		snprintf(r->error, sizeof(r->error), "Get: connection refused");
	}
	STAILQ_INSERT_TAIL(&h->answers, r, link);
}

int main(void)
{
	struct harness h;
	char out[1024];

	SUBTEST ("no containerd: an unconfirmed lookalike that goes away writes nothing") {
		setup(&h, (struct setup_opts){0});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 5, "/plain/dir", 1000);
		cgroup_record(&h, RECORD_CGROUP_RMDIR, 5, "/plain/dir", 1000);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "");
		ASSERT_EQ(lifecycle_count(h.lc), 0);
		ASSERT_EQ(container_live_count(), 0);
		teardown(&h);
	}
	SUBTEST ("no containerd: a lookalike confirmed by its start writes all, marked none") {
		setup(&h, (struct setup_opts){0});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 6, "/default/web", 1000);
		process_record(&h, RECORD_CONTAINER_START, 6, 1000);
		cgroup_record(&h, RECORD_CGROUP_RMDIR, 6, "/default/web", 1000);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out,
			     "container_create:none container_start:none container_remove:none");
		ASSERT_EQ(container_live_count(), 0);
		teardown(&h);
	}
	SUBTEST ("no containerd: an excluded container writes nothing and leaves the kernel map") {
		setup(&h, (struct setup_opts){.exclude = "namespace:^default$"});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 7, "/default/web", 1000);
		process_record(&h, RECORD_CONTAINER_START, 7, 1000);
		cgroup_record(&h, RECORD_CGROUP_RMDIR, 7, "/default/web", 1000);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "");
		ASSERT_STREQ(h.untracked, "7");
		ASSERT_EQ(lifecycle_count(h.lc), 0);
		ASSERT_EQ(container_live_count(), 0);
		teardown(&h);
	}
	SUBTEST ("events wait for the lookup, then go out complete and in order") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 10, "/default/a", 1000);
		process_record(&h, RECORD_CONTAINER_START, 10, 1000);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "");
		ASSERT_STREQ(h.submitted, "10");
		answer(&h, 10, LOOKUP_FOUND, NULL);
		pipeline_take_results(h.p, 2000);
		process_record(&h, RECORD_PROCESS_EXEC, 10, 3000);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "container_create:complete container_start:complete "
				  "process_exec:complete");
		ASSERT_TRUE(written_has(&h, "\"image\":\"docker.io/library/busybox:1\""));
		ASSERT_STREQ(h.submitted, "10"); /* looked up once */
		teardown(&h);
	}
	SUBTEST ("a session waits for its exec id, and what follows waits behind it") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 40, "/default/s", 1000);
		process_record(&h, RECORD_CONTAINER_START, 40, 1000);
		session_record(&h, 40, 1500); /* before the container's lookup is answered */
		ASSERT_STREQ(h.sessions, ""); /* its namespace is not known yet */
		answer(&h, 40, LOOKUP_FOUND, NULL);
		pipeline_take_results(h.p, 2000);
		ASSERT_STREQ(h.sessions, "77@default");
		exit_record(&h, 40, 2500);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "container_create:complete container_start:complete");
		ASSERT_EQ(pipeline_next_deadline(h.p), 2000 + 500 * MS);
		answer_session(&h, 40, 77, "sess\n1\"");
		pipeline_take_results(h.p, 3000);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "container_create:complete container_start:complete "
				  "container_exec_session:complete container_exit:complete");
		ASSERT_TRUE(written_has(&h, "\"exec_id\":\"sess\\n1\\\"\""));
		session_record(&h, 40, 4000); /* the container known: asked at once */
		ASSERT_STREQ(h.sessions, "77@default 77@default");
		answer_session(&h, 40, 77, ""); /* ended before it was asked */
		pipeline_take_results(h.p, 4100);
		written(&h, out, sizeof(out));
		ASSERT_TRUE(strstr(out, "container_exit:complete container_exec_session:complete"));
		ASSERT_STREQ(h.sessions, "77@default 77@default");
		teardown(&h);
	}
	SUBTEST ("an exec id not answered in time: the session goes out without one") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 41, "/default/t", 1000);
		process_record(&h, RECORD_CONTAINER_START, 41, 1000);
		answer(&h, 41, LOOKUP_FOUND, NULL);
		pipeline_take_results(h.p, 2000);
		session_record(&h, 41, 3000);
		pipeline_tick(h.p, 3000 + 500 * MS - 1, false);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "container_create:complete container_start:complete");
		pipeline_tick(h.p, 3000 + 500 * MS, false);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "container_create:complete container_start:complete "
				  "container_exec_session:complete");
		ASSERT_TRUE(!written_has(&h, "exec_id"));
		answer_session(&h, 41, 77, "late"); /* after the line went out: ignored */
		pipeline_take_results(h.p, 4000);
		ASSERT_TRUE(!written_has(&h, "late"));
		teardown(&h);
	}
	SUBTEST ("a container containerd does not know: its sessions are not asked about") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 42, "/default/u", 1000);
		process_record(&h, RECORD_CONTAINER_START, 42, 1000);
		answer(&h, 42, LOOKUP_NOT_FOUND, NULL);
		pipeline_take_results(h.p, 2000);
		session_record(&h, 42, 3000);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "container_create:none container_start:none "
				  "container_exec_session:none");
		ASSERT_STREQ(h.sessions, "");
		teardown(&h);
	}
	SUBTEST ("the ring buffer keeps the oldest record whose event is held, until it is out") {
		setup(&h, (struct setup_opts){.containerd = true});
		ASSERT_EQ(oldest_lifecycle_record(h.p), EVENT_NO_RING_POS);
		next_ring_pos = 100;
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 12, "/default/c", 1000); /* 100 */
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 13, "/default/d", 1000); /* 108 */
		process_record(&h, RECORD_CONTAINER_START, 13, 1000);		/* 116 */
		ASSERT_EQ(oldest_lifecycle_record(h.p), 100);
		answer(&h, 12, LOOKUP_FOUND, NULL);
		pipeline_take_results(h.p, 2000); /* c's create is out: d's is the oldest */
		ASSERT_EQ(oldest_lifecycle_record(h.p), 108);
		answer(&h, 13, LOOKUP_FOUND, NULL);
		pipeline_take_results(h.p, 2000);
		ASSERT_EQ(oldest_lifecycle_record(h.p), EVENT_NO_RING_POS);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "container_create:complete container_create:complete "
				  "container_start:complete");
		teardown(&h);
	}
	SUBTEST ("each ring buffer keeps its own oldest held record") {
		uint64_t oldest[EVENT_RINGS];

		setup(&h, (struct setup_opts){.containerd = true});
		next_ring_pos = 100;
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 14, "/default/e", 1000); /* 100 */
		process_record(&h, RECORD_CONTAINER_START, 14, 1000);		/* 108 */
		next_ring = EVENT_RING_EXEC;
		next_ring_pos = 16;
		process_record(&h, RECORD_PROCESS_EXEC, 14, 1000); /* 16 in the exec ring */
		process_record(&h, RECORD_PROCESS_EXEC, 14, 1000); /* 24 */
		next_ring = EVENT_RING_LIFECYCLE;
		pipeline_oldest_records(h.p, oldest);
		ASSERT_EQ(oldest[EVENT_RING_LIFECYCLE], 100);
		ASSERT_EQ(oldest[EVENT_RING_EXEC], 16);
		ASSERT_EQ(oldest[EVENT_RING_DRAINING], EVENT_NO_RING_POS);
		answer(&h, 14, LOOKUP_FOUND, NULL);
		pipeline_take_results(h.p, 2000);
		pipeline_oldest_records(h.p, oldest);
		ASSERT_EQ(oldest[EVENT_RING_LIFECYCLE], EVENT_NO_RING_POS);
		ASSERT_EQ(oldest[EVENT_RING_EXEC], EVENT_NO_RING_POS);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "container_create:complete container_start:complete "
				  "process_exec:complete process_exec:complete");
		teardown(&h);
	}
	SUBTEST (
	    "a remove while events are held: all go out when the lookup answers, then it is freed") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 11, "/default/b", 1000);
		process_record(&h, RECORD_CONTAINER_START, 11, 1000);
		exit_record(&h, 11, 1000);
		cgroup_record(&h, RECORD_CGROUP_RMDIR, 11, "/default/b", 1000);
		ASSERT_EQ(lifecycle_count(h.lc), 0);  /* its cgroup is gone ... */
		ASSERT_EQ(container_live_count(), 1); /* ... its held events keep it */
		answer(&h, 11, LOOKUP_FOUND, NULL);
		pipeline_take_results(h.p, 2000);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "container_create:complete container_start:complete "
				  "container_exit:complete container_remove:complete");
		ASSERT_EQ(container_live_count(), 0);
		teardown(&h);
	}
	SUBTEST ("a remove of an unconfirmed container drops what it held and frees it") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 12, "/flood/c1", 1000);
		ASSERT_EQ(container_live_count(), 1);
		cgroup_record(&h, RECORD_CGROUP_RMDIR, 12, "/flood/c1", 1000);
		ASSERT_EQ(container_live_count(), 0);
		answer(&h, 12, LOOKUP_NOT_FOUND, NULL); /* a late answer finds nothing to touch */
		pipeline_take_results(h.p, 2000);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "");
		teardown(&h);
	}
	SUBTEST ("containerd's confirmation of a lookalike writes its events") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 13, "/default/c", 1000);
		answer(&h, 13, LOOKUP_FOUND, NULL);
		pipeline_take_results(h.p, 2000);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "container_create:complete");
		teardown(&h);
	}
	SUBTEST ("a sandbox is dropped whole and leaves the kernel map and the table") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 14,
			      "/kubepods/besteffort/pod8a5b0d12-3f4c-4e5d-9a6b-7c8d9e0f1a2b/"
			      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			      1000);
		answer(&h, 14, LOOKUP_FOUND, "sandbox");
		pipeline_take_results(h.p, 2000);
		exit_record(&h, 14, 3000);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "");
		ASSERT_STREQ(h.untracked, "14");
		ASSERT_EQ(lifecycle_count(h.lc), 0);
		ASSERT_EQ(container_live_count(), 0);
		teardown(&h);
	}
	SUBTEST (
	    "a cgroup its engine places elsewhere is one impostor alert, no container, no pod") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(
		    &h, RECORD_CGROUP_MKDIR, 30,
		    "/user.slice/kubepods/besteffort/pod8a5b0d12-3f4c-4e5d-9a6b-7c8d9e0f1a2b/"
		    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		    1000);
		answer(&h, 30, LOOKUP_MISMATCH, NULL);
		snprintf(
		    STAILQ_FIRST(&h.answers)->error, LOOKUP_ERROR_MAX,
		    "containerd namespace k8s.io has container 0123456789ab with its cgroup at "
		    "/kubepods/x");
		snprintf(STAILQ_FIRST(&h.answers)->claim.engine, 32, "containerd");
		snprintf(STAILQ_FIRST(&h.answers)->claim.namespace, 64, "k8s.io");
		snprintf(STAILQ_FIRST(&h.answers)->claim.cgroups_path, 512, "/kubepods/x");
		pipeline_take_results(h.p, 2000);
		process_record(&h, RECORD_CONTAINER_START, 30, 3000);
		exit_record(&h, 30, 4000);
		written(&h, out, sizeof(out));
		/* in place of the start: the create and the exit are not written */
		ASSERT_STREQ(out, "cgroup_impostor:-");
		ASSERT_TRUE(written_has(&h,
					"\"reason\":\"containerd namespace k8s.io has "
					"container 0123456789ab with its cgroup at /kubepods/x\""));
		ASSERT_TRUE(written_has(&h, "\"claimed_container_id\":\"0123456789abcdef"));
		ASSERT_TRUE(
		    written_has(&h, "\"claimed_by\":{\"engine\":\"containerd\","
				    "\"namespace\":\"k8s.io\",\"cgroups_path\":\"/kubepods/x\"}"));
		ASSERT_TRUE(written_has(&h, "\"cgroup\":{\"id\":30,"));
		ASSERT_TRUE(written_has(&h, "\"process\":{"));
		ASSERT_TRUE(!written_has(&h, "\"container\"") && !written_has(&h, "\"pod\""));
		teardown(&h);
	}
	SUBTEST ("an impostor that never starts is its alert at its remove, without a program") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(
		    &h, RECORD_CGROUP_MKDIR, 32,
		    "/user.slice/app.slice/docker-"
		    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope",
		    1000);
		answer(&h, 32, LOOKUP_MISMATCH, NULL);
		pipeline_take_results(h.p, 2000);
		cgroup_record(&h, RECORD_CGROUP_RMDIR, 32, "", 3000);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "cgroup_impostor:-");
		ASSERT_TRUE(!written_has(&h, "\"process\"") && !written_has(&h, "\"container\""));
		teardown(&h);
	}
	SUBTEST ("a lookalike named like a container placed elsewhere is forgotten") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 31, "/default/web", 1000);
		answer(&h, 31, LOOKUP_MISMATCH, NULL);
		pipeline_take_results(h.p, 2000);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "");
		ASSERT_STREQ(h.untracked, "31");
		ASSERT_EQ(lifecycle_count(h.lc), 0);
		teardown(&h);
	}
	SUBTEST ("past --enrich-timeout events go out partial, with the reason") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 15, "/default/d", 1000);
		ASSERT_EQ(pipeline_next_deadline(h.p), 0); /* unconfirmed: waits for its start */
		process_record(&h, RECORD_CONTAINER_START, 15, 2000);
		ASSERT_EQ(pipeline_next_deadline(h.p), 1000 + 500 * MS);
		pipeline_tick(h.p, 1000 + 500 * MS - 1, false);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "");
		pipeline_tick(h.p, 1000 + 500 * MS, false);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "container_create:partial container_start:partial");
		ASSERT_TRUE(written_has(&h, "lookup took longer than 500 ms"));
		ASSERT_EQ(pipeline_next_deadline(h.p), 0);
		teardown(&h);
	}
	SUBTEST ("a lookup containerd did not answer is retried a second later") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 16, "/default/e", 1000);
		process_record(&h, RECORD_CONTAINER_START, 16, 1500);
		answer(&h, 16, LOOKUP_FAILED, NULL);
		pipeline_take_results(h.p, 2000);
		ASSERT_STREQ(h.submitted, "16");
		exit_record(&h, 16, 2000 + 1000 * MS);
		ASSERT_STREQ(h.submitted, "16 16");
		ASSERT_TRUE(written_has(&h, "\"enrichment_error\":\"Get: connection refused\""));
		teardown(&h);
	}
	SUBTEST ("a full metadata cache makes later containers partial") {
		setup(&h, (struct setup_opts){.containerd = true, .cache_size = 1});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 17, "/default/f", 1000);
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 18, "/default/g", 1000);
		answer(&h, 17, LOOKUP_FOUND, NULL);
		answer(&h, 18, LOOKUP_FOUND, NULL);
		pipeline_take_results(h.p, 2000);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "container_create:complete container_create:partial");
		ASSERT_TRUE(written_has(&h, "metadata cache full (--cache-size 1)"));
		teardown(&h);
	}
	SUBTEST ("heartbeats count the events written since the last one, and in all") {
		struct heartbeat hb = {.version = "t", .kernel_release = "k"};

		for (int i = 0; i < HEARTBEAT_ENGINES; i++)
			hb.engines[i] = "off";
		setup(&h, (struct setup_opts){0});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 40,
			      "/kubepods/besteffort/pod8a5b0d12-3f4c-"
			      "4e5d-9a6b-7c8d9e0f1a2b/0123456789abcdef0123"
			      "456789abcdef0123456789abcdef0123456789abcdef",
			      1000);
		process_record(&h, RECORD_CONTAINER_START, 40, 2000);
		pipeline_write_heartbeat(h.p, 3000, &hb);
		ASSERT_EQ(hb.written, 2);
		ASSERT_EQ(hb.written_total, 2);
		exit_record(&h, 40, 4000);
		pipeline_write_heartbeat(h.p, 5000, &hb);
		ASSERT_EQ(hb.written, 1);
		ASSERT_EQ(hb.written_total, 3);
		ASSERT_EQ(hb.output_stalled_ms, 0);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "container_create:none container_start:none ctrwatch_heartbeat:- "
				  "container_exit:none ctrwatch_heartbeat:-");
		teardown(&h);
	}
	SUBTEST ("the metadata cache is bounded in bytes too") {
		/* room for one container's metadata, not two */
		setup(&h, (struct setup_opts){.containerd = true, .cache_bytes = 550});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 19, "/default/h", 1000);
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 20, "/default/i", 1000);
		answer(&h, 19, LOOKUP_FOUND, NULL);
		answer(&h, 20, LOOKUP_FOUND, NULL);
		pipeline_take_results(h.p, 2000);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "container_create:complete container_create:partial");
		ASSERT_TRUE(written_has(&h, "metadata cache full (--cache-bytes 550)"));
		teardown(&h);
	}
	SUBTEST ("shutdown with events held: confirmed ones go out partial, unconfirmed ones stay "
		 "held, so a pinned ring buffer keeps their record for the next ctrwatch") {
		setup(&h, (struct setup_opts){.containerd = true});
		next_ring_pos = 200;
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 19, "/default/h", 1000); /* 200 */
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 20,
			      "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789"
			      "abcdef0123456789abcdef.scope",
			      1000);
		pipeline_tick(h.p, 2000, true);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "container_create:partial");
		/* before: dropped unwritten, and the ring buffer gave its mkdir record back */
		ASSERT_EQ(oldest_lifecycle_record(h.p), 200);
		ASSERT_EQ(container_live_count(), 2); /* still in the lifecycle's table */
		teardown(&h);
	}
	SUBTEST ("freeing the pipeline with events held writes nothing and leaks nothing") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 21, "/default/i", 1000);
		process_record(&h, RECORD_CONTAINER_START, 21, 1000);
		cgroup_record(&h, RECORD_CGROUP_RMDIR, 21, "/default/i", 1000);
		teardown(&h);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "");
	}
	SUBTEST ("a lookalike containerd does not know is forgotten: kernel map, table, memory") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 22, "/flood/c2", 1000);
		ASSERT_STREQ(h.urgent, ""); /* a lookalike waits behind known containers */
		answer(&h, 22, LOOKUP_NOT_FOUND, NULL);
		STAILQ_FIRST(&h.answers)->searched_all = false;
		pipeline_take_results(h.p, 2000);
		ASSERT_STREQ(h.untracked, "22");
		ASSERT_EQ(lifecycle_count(h.lc), 0);
		ASSERT_EQ(container_live_count(), 0);
		pipeline_report_pressure(h.p, 3000, &(struct pressure_counts){0});
		ASSERT_TRUE(written_has(&h,
					"\"pressure\":{\"lookalikes_forgotten\":1,"
					"\"lookups_shed\":0,\"readmitted\":0,\"aliases_refused\":0,"
					"\"readmissions\":0,\"readmissions_refused\":0,"
					"\"creator_quota_refused\":0,\"creator_rate_refused\":0}"));
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "ctrwatch_pressure:-");
		teardown(&h);
	}
	SUBTEST ("a lookalike containerd does not answer for is forgotten too") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 23, "/flood/c3", 1000);
		answer(&h, 23, LOOKUP_FAILED, NULL);
		pipeline_take_results(h.p, 2000);
		ASSERT_STREQ(h.untracked, "23");
		ASSERT_EQ(container_live_count(), 0);
		teardown(&h);
	}
	SUBTEST ("a lookalike whose lookup the full queue refuses is shed at once") {
		setup(&h, (struct setup_opts){.containerd = true});
		h.submit_result = -EBUSY;
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 24, "/flood/c4", 1000);
		ASSERT_STREQ(h.untracked, "24");
		ASSERT_EQ(container_live_count(), 0);
		pipeline_report_pressure(h.p, 3000, &(struct pressure_counts){.readmitted = 2});
		ASSERT_TRUE(written_has(&h,
					"\"lookalikes_forgotten\":0,\"lookups_shed\":1,"
					"\"readmitted\":2,\"aliases_refused\":0,"
					"\"readmissions\":0,\"readmissions_refused\":0,"
					"\"creator_quota_refused\":0,\"creator_rate_refused\":0}"));
		pipeline_report_pressure(
		    h.p, 4000,
		    &(struct pressure_counts){.readmitted = 2}); /* nothing grew: no line */
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "ctrwatch_pressure:-");
		teardown(&h);
	}
	SUBTEST ("a start makes a lookalike's queued lookup urgent, and it searches everywhere") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 25, "/default/j", 1000);
		process_record(&h, RECORD_CONTAINER_START, 25, 400 * MS);
		ASSERT_STREQ(h.promoted, "25");
		/* its events wait --enrich-timeout from their first */
		ASSERT_EQ(pipeline_next_deadline(h.p), 1000 + 500 * MS);
		/* the answer to the lookalike's lookup only asked the namespace of its path */
		answer(&h, 25, LOOKUP_NOT_FOUND, NULL);
		STAILQ_FIRST(&h.answers)->searched_all = false;
		pipeline_take_results(h.p, 500 * MS);
		ASSERT_STREQ(h.submitted, "25 25");
		ASSERT_STREQ(h.urgent, "25");
		ASSERT_STREQ(h.untracked, "");
		answer(&h, 25, LOOKUP_FOUND, NULL);
		pipeline_take_results(h.p, 600 * MS);
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "container_create:complete container_start:complete");
		teardown(&h);
	}
	SUBTEST ("a container its path names is looked up urgently from its first event") {
		setup(&h, (struct setup_opts){.containerd = true});
		cgroup_record(&h, RECORD_CGROUP_MKDIR, 26,
			      "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789"
			      "abcdef0123456789abcdef.scope",
			      1000);
		ASSERT_STREQ(h.urgent, "26");
		process_record(&h, RECORD_CONTAINER_START, 26, 2000);
		ASSERT_STREQ(h.promoted, "");
		teardown(&h);
	}
	SUBTEST ("losses are written once, as the growth since the last line") {
		struct loss_counts totals = {.untracked = 2, .malformed = 1};

		setup(&h, (struct setup_opts){0});
		totals.ringbuf_full[RECORD_PROCESS_EXEC] = 5;
		pipeline_report_loss(h.p, 1000, &totals);
		pipeline_report_loss(h.p, 2000, &totals);
		ASSERT_TRUE(written_has(&h, "\"lost\":{\"cgroup_mkdir\":0,\"container_start\":0,"
					    "\"process_exec\":5,\"container_exit\":0,"
					    "\"cgroup_rmdir\":0,\"container_freeze\":0,"
					    "\"untracked\":2,\"malformed\":1,"
					    "\"no_memory\":0,\"unwritten\":0,\"total\":8}"));
		totals.untracked = 3;
		pipeline_report_loss(h.p, 3000, &totals);
		ASSERT_TRUE(written_has(&h, "\"process_exec\":0,\"container_exit\":0,"
					    "\"cgroup_rmdir\":0,\"container_freeze\":0,"
					    "\"untracked\":1,\"malformed\":0,"
					    "\"no_memory\":0,\"unwritten\":0,\"total\":1}"));
		written(&h, out, sizeof(out));
		ASSERT_STREQ(out, "ctrwatch_lost:- ctrwatch_lost:-");
		teardown(&h);
	}
	return test_summary("test_pipeline");
}
