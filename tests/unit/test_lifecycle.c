// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * lifecycle: sequences of kernel records in, container events out. Guards the promises of one
 * create/start/exit/remove per container, in order, and the pruning of cgroups that are not
 * containers from the kernel map.
 */
#include <errno.h>

#include "event_json.h"
#include "lifecycle.h"
#include "test.h"

struct fake {
	char events[1024];   /* "kind:id kind:id ..." */
	char untracked[256]; /* "id id ..." of cgroup ids */
	int track_result;
	uint32_t last_exit_status;
	char last_json[4096];
};

static int fake_track(void *ctx, uint64_t id, const struct tracked_cgroup *v)
{
	(void)id;
	(void)v;
	return ((struct fake *)ctx)->track_result;
}

static int fake_untrack(void *ctx, uint64_t id)
{
	struct fake *f = ctx;
	size_t n = strlen(f->untracked);

	snprintf(f->untracked + n, sizeof(f->untracked) - n, "%s%llu", n ? " " : "",
		 (unsigned long long)id);
	return 0;
}

static void fake_emit(void *ctx, const struct event *ev)
{
	struct fake *f = ctx;
	size_t n = strlen(f->events);
	struct json_writer w;

	snprintf(f->events + n, sizeof(f->events) - n, "%s%s:%s", n ? " " : "",
		 event_kind_name(ev->kind), ev->container->ident.id);
	f->last_exit_status = ev->exit_status;
	json_writer_init(&w);
	event_json_encode(&w, ev, "host");
	snprintf(f->last_json, sizeof(f->last_json), "%s", w.buf);
	json_writer_free(&w);
}

static void cgroup_record(struct lifecycle *lc, uint32_t type, uint64_t id, const char *path)
{
	struct record_cgroup r = {.hdr = {.type = type, .cgroup_id = id}};

	r.path_len = strlen(path);
	memcpy(r.path, path, r.path_len + 1);
	ASSERT_EQ(lifecycle_handle_record(lc, &r, sizeof(r)), 0);
}

static void process_record(struct lifecycle *lc, uint32_t type, uint64_t id, uint32_t pid,
			   const char *args, size_t args_len)
{
	struct record_process r = {.hdr = {.type = type, .cgroup_id = id}, .pid = pid};

	memcpy(r.args, args, args_len);
	r.args_len = args_len;
	strcpy(r.comm, "sh");
	ASSERT_EQ(lifecycle_handle_record(lc, &r, sizeof(r)), 0);
}

static void exit_record(struct lifecycle *lc, uint64_t id, uint32_t status, uint32_t flags)
{
	struct record_exit r = {
	    .hdr = {.type = RECORD_CONTAINER_EXIT, .cgroup_id = id, .flags = flags},
	    .exit_status = status};

	ASSERT_EQ(lifecycle_handle_record(lc, &r, sizeof(r)), 0);
}

static void setup(struct lifecycle *lc, struct fake *f)
{
	struct lifecycle_ops ops = {fake_track, fake_untrack, fake_emit, f};

	memset(f, 0, sizeof(*f));
	lifecycle_init(lc, &ops);
}

int main(void)
{
	struct lifecycle lc;
	struct fake f;

	SUBTEST ("full lifetime gives create, start, exec, exit, remove in order") {
		setup(&lc, &f);
		cgroup_record(&lc, RECORD_CGROUP_MKDIR, 10, "/default/web");
		process_record(&lc, RECORD_CONTAINER_START, 10, 100, "sh\0-c\0exit 3", 13);
		process_record(&lc, RECORD_PROCESS_EXEC, 10, 101, "/bin/true", 10);
		exit_record(&lc, 10, 3 << 8, 0);
		cgroup_record(&lc, RECORD_CGROUP_RMDIR, 10, "/default/web");
		ASSERT_STREQ(f.events, "container_create:web container_start:web "
				       "process_exec:web container_exit:web container_remove:web");
		ASSERT_EQ(lc.table.count, 0);
		lifecycle_free(&lc);
	}
	SUBTEST ("a cgroup that is not a container is untracked and silent") {
		setup(&lc, &f);
		cgroup_record(&lc, RECORD_CGROUP_MKDIR, 7,
			      "/kubepods/besteffort/pod"
			      "8a5b0d12-3f4c-4e5d-9a6b-7c8d9e0f1a2b");
		process_record(&lc, RECORD_CONTAINER_START, 7, 5, "x", 2);
		exit_record(&lc, 7, 0, 0);
		cgroup_record(&lc, RECORD_CGROUP_RMDIR, 7, "/kubepods/besteffort/pod");
		ASSERT_STREQ(f.events, "");
		ASSERT_STREQ(f.untracked, "7");
		lifecycle_free(&lc);
	}
	SUBTEST ("a /<ns>/<id> lookalike is passed on unconfirmed until its start") {
		setup(&lc, &f);
		cgroup_record(&lc, RECORD_CGROUP_MKDIR, 20, "/some-dir/sub");
		ASSERT_STREQ(f.events, "container_create:sub");
		ASSERT_TRUE(!container_table_get(&lc.table, 20)->confirmed);
		process_record(&lc, RECORD_CONTAINER_START, 20, 5, "x", 2);
		ASSERT_TRUE(container_table_get(&lc.table, 20)->confirmed);
		lifecycle_free(&lc);
	}
	SUBTEST ("a systemd scope is a container from its mkdir, started or not") {
		setup(&lc, &f);
		cgroup_record(&lc, RECORD_CGROUP_MKDIR, 21,
			      "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789"
			      "abcdef0123456789abcdef.scope");
		cgroup_record(&lc, RECORD_CGROUP_RMDIR, 21, "/system.slice/docker-x.scope");
		ASSERT_STREQ(f.events, "container_create:0123456789abcdef0123456789abcdef0123456789"
				       "abcdef0123456789abcdef container_remove:0123456789abcdef"
				       "0123456789abcdef0123456789abcdef0123456789abcdef");
		lifecycle_free(&lc);
	}
	SUBTEST ("repeated start and exit records give one event each") {
		setup(&lc, &f);
		cgroup_record(&lc, RECORD_CGROUP_MKDIR, 11, "/default/a");
		process_record(&lc, RECORD_CONTAINER_START, 11, 100, "a", 2);
		process_record(&lc, RECORD_CONTAINER_START, 11, 101, "a", 2);
		exit_record(&lc, 11, 9, 0);
		exit_record(&lc, 11, 9, 0);
		ASSERT_STREQ(f.events, "container_create:a container_start:a container_exit:a");
		lifecycle_free(&lc);
	}
	SUBTEST ("a container found by the scan gives existing, then its exit and remove") {
		struct existing_container ec = {.cgroup_path = "/default/old",
						.cgroup_id = 12,
						.init_pid = 55,
						.confirmed = true};

		setup(&lc, &f);
		cgroup_classify(ec.cgroup_path, &ec.ident);
		lifecycle_add_existing(&lc, &ec, 1);
		exit_record(&lc, 12, 0, 0);
		cgroup_record(&lc, RECORD_CGROUP_RMDIR, 12, "/default/old");
		ASSERT_STREQ(f.events,
			     "container_existing:old container_exit:old container_remove:old");
		lifecycle_free(&lc);
	}
	SUBTEST ("a scanned container the kernel already tracks is left to its records") {
		struct existing_container ec = {.cgroup_path = "/default/new", .cgroup_id = 13};

		setup(&lc, &f);
		f.track_result = -EEXIST;
		cgroup_classify(ec.cgroup_path, &ec.ident);
		lifecycle_add_existing(&lc, &ec, 1);
		cgroup_record(&lc, RECORD_CGROUP_MKDIR, 13, "/default/new");
		process_record(&lc, RECORD_CONTAINER_START, 13, 9, "a", 2);
		ASSERT_STREQ(f.events, "container_create:new container_start:new");
		lifecycle_free(&lc);
	}
	SUBTEST ("killed init: code 137, signal 9, oom flag carried") {
		setup(&lc, &f);
		cgroup_record(&lc, RECORD_CGROUP_MKDIR, 14, "/default/k");
		process_record(&lc, RECORD_CONTAINER_START, 14, 100, "a", 2);
		exit_record(&lc, 14, 9, RECORD_F_OOM_KILLED);
		ASSERT_TRUE(strstr(f.last_json,
				   "\"exit\":{\"code\":137,\"signal\":9,"
				   "\"core_dumped\":false,\"oom_killed\":true}") != NULL);
		lifecycle_free(&lc);
	}
	SUBTEST ("argv with hostile bytes stays one JSON line") {
		setup(&lc, &f);
		cgroup_record(&lc, RECORD_CGROUP_MKDIR, 15, "/default/h");
		process_record(&lc, RECORD_CONTAINER_START, 15, 100, "a\"b\0c\nd\0\xff", 10);
		ASSERT_TRUE(strstr(f.last_json,
				   "\"args\":[\"a\\\"b\",\"c\\nd\",\"\xef\xbf\xbd\"]") != NULL);
		ASSERT_TRUE(strchr(f.last_json, '\n') == f.last_json + strlen(f.last_json) - 1);
		lifecycle_free(&lc);
	}
	SUBTEST ("short and unknown records are rejected and counted") {
		struct record_header h = {.type = RECORD_CONTAINER_START};
		struct record_header bad = {.type = 99};

		setup(&lc, &f);
		ASSERT_EQ(lifecycle_handle_record(&lc, &h, sizeof(h)), -EINVAL);
		ASSERT_EQ(lifecycle_handle_record(&lc, &bad, sizeof(bad)), -EINVAL);
		ASSERT_EQ(lifecycle_handle_record(&lc, &h, 4), -EINVAL);
		ASSERT_EQ(lc.malformed_records, 3);
		lifecycle_free(&lc);
	}
	SUBTEST ("a length field larger than the record is bounded") {
		struct record_cgroup r = {.hdr = {.type = RECORD_CGROUP_MKDIR, .cgroup_id = 16}};

		setup(&lc, &f);
		memset(r.path, 'a', sizeof(r.path));
		r.path[0] = '/';
		r.path_len = 100000;
		ASSERT_EQ(lifecycle_handle_record(&lc, &r, sizeof(r)), 0);
		ASSERT_STREQ(f.events, "");
		lifecycle_free(&lc);
	}
	return test_summary("test_lifecycle");
}
