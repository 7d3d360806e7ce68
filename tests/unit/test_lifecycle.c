// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * lifecycle: sequences of kernel records in, container events out. Guards the promises of one
 * create/start/exit/remove per container, in order, and the pruning of cgroups that are not
 * containers from the kernel map.
 */
#include <errno.h>

#include "output/event_json.h"
#include "lifecycle/lifecycle.h"
#include "test.h"

struct fake {
	char events[1024];   /* "kind:id kind:id ..." */
	char untracked[256]; /* "id id ..." of cgroup ids */
	char inserted[256];  /* "id:init_tgid ..." */
	char inits_set[256]; /* "id:pid ..." */
	int track_result;
	uint64_t tracked_already; /* insert of this id gives -EEXIST */
	int set_init_result;
	int forget_result;
	uint32_t last_exit_status;
	bool last_confirmed;
	char last_json[4096];
};

/* a 64-hex id, as Docker, Podman and the CRI name containers */
#define X64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void note(char *list, size_t size, uint64_t id, uint32_t value)
{
	size_t n = strlen(list);

	snprintf(list + n, size - n, "%s%llu:%u", n ? " " : "", (unsigned long long)id, value);
}

static int fake_insert(void *ctx, uint64_t id, const struct tracked_cgroup *v)
{
	struct fake *f = ctx;

	if (id == f->tracked_already)
		return -EEXIST;
	if (!f->track_result)
		note(f->inserted, sizeof(f->inserted), id, v->init_tgid);
	return f->track_result;
}

static int fake_remove(void *ctx, uint64_t id)
{
	struct fake *f = ctx;
	size_t n = strlen(f->untracked);

	snprintf(f->untracked + n, sizeof(f->untracked) - n, "%s%llu", n ? " " : "",
		 (unsigned long long)id);
	return 0;
}

static int fake_set_init(void *ctx, uint64_t id, uint32_t pid)
{
	struct fake *f = ctx;

	if (!f->set_init_result)
		note(f->inits_set, sizeof(f->inits_set), id, pid);
	return f->set_init_result;
}

static int fake_forget(void *ctx, uint64_t id)
{
	struct fake *f = ctx;

	if (f->forget_result)
		return f->forget_result;
	return fake_remove(ctx, id);
}

static int fake_lookup(void *ctx, uint64_t id, struct tracked_cgroup *v)
{
	(void)ctx;
	(void)id;
	(void)v;
	return -ENOENT;
}

static const struct tracked_map_ops fake_ops = {
    .insert = fake_insert,
    .remove = fake_remove,
    .forget = fake_forget,
    .set_init = fake_set_init,
    .lookup = fake_lookup,
};

/* What the pipeline would be handed: recorded, encoded, then released. */
static void take_event(struct fake *f, int made, struct event *ev)
{
	size_t n = strlen(f->events);
	struct json_writer w;

	if (made != 1)
		return;
	snprintf(f->events + n, sizeof(f->events) - n, "%s%s:%s", n ? " " : "",
		 event_kind_name(ev->kind), ev->container->ident.id);
	f->last_exit_status = ev->exit_status;
	f->last_confirmed = ev->container->confirmed;
	json_writer_init(&w);
	event_json_encode(&w, ev, "host");
	snprintf(f->last_json, sizeof(f->last_json), "%s", w.buf);
	json_writer_free(&w);
	event_release(ev);
}

static struct fake *current;

static void handle(struct lifecycle *lc, const void *r, size_t size)
{
	struct event ev;
	int made = lifecycle_handle_record(lc, r, size, &ev);

	ASSERT_TRUE(made >= 0);
	take_event(current, made, &ev);
}

static uint64_t next_parent_id; /* parent_id of the next cgroup record */

static void cgroup_record_flags(struct lifecycle *lc, uint32_t type, uint64_t id, const char *path,
				uint32_t flags)
{
	struct record_cgroup r = {.hdr = {.type = type, .flags = flags, .cgroup_id = id},
				  .parent_id = next_parent_id};

	r.path_len = strlen(path);
	memcpy(r.path, path, r.path_len + 1);
	handle(lc, &r, sizeof(r));
}

static void cgroup_record(struct lifecycle *lc, uint32_t type, uint64_t id, const char *path)
{
	cgroup_record_flags(lc, type, id, path, 0);
}

static void process_record(struct lifecycle *lc, uint32_t type, uint64_t id, uint32_t pid,
			   const char *args, size_t args_len)
{
	struct record_process r = {.hdr = {.type = type, .cgroup_id = id}, .pid = pid};

	memcpy(r.args, args, args_len);
	r.args_len = args_len;
	strcpy(r.comm, "sh");
	handle(lc, &r, sizeof(r));
}

static void exit_record(struct lifecycle *lc, uint64_t id, uint32_t pid, uint32_t status,
			uint32_t flags)
{
	struct record_exit r = {
	    .hdr = {.type = RECORD_CONTAINER_EXIT, .cgroup_id = id, .flags = flags},
	    .pid = pid,
	    .exit_status = status};

	handle(lc, &r, sizeof(r));
}

/* A freeze record: by cgroup id (cgroup2), or with id 0 by path (cgroup v1's freezer). */
static void freeze_record(struct lifecycle *lc, uint64_t id, const char *path, uint32_t frozen,
			  uint32_t flags)
{
	struct record_freeze r = {
	    .hdr = {.type = RECORD_CONTAINER_FREEZE, .cgroup_id = id, .flags = flags},
	    .frozen = frozen};

	r.path_len = strlen(path);
	memcpy(r.path, path, r.path_len + 1);
	handle(lc, &r, sizeof(r));
}

static void add_existing(struct lifecycle *lc, const struct existing_container *ec)
{
	struct event ev;

	take_event(current, lifecycle_add_existing(lc, ec, 1, &ev), &ev);
}

static struct lifecycle *setup(struct fake *f)
{
	struct tracked_map map = {&fake_ops, f};

	memset(f, 0, sizeof(*f));
	current = f;
	return lifecycle_new(&map);
}

/* Every container freed once the lifecycle is: no event kept a reference. */
static void teardown(struct lifecycle *lc)
{
	lifecycle_free(lc);
	ASSERT_EQ(container_live_count(), 0);
}

int main(void)
{
	struct lifecycle *lc;
	struct event ev;
	struct fake f;

	SUBTEST ("full lifetime gives create, start, exec, exit, remove in order") {
		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 10, "/default/web");
		process_record(lc, RECORD_CONTAINER_START, 10, 100, "sh\0-c\0exit 3", 13);
		process_record(lc, RECORD_PROCESS_EXEC, 10, 101, "/bin/true", 10);
		exit_record(lc, 10, 100, 3 << 8, 0);
		cgroup_record(lc, RECORD_CGROUP_RMDIR, 10, "/default/web");
		ASSERT_STREQ(f.events, "container_create:web container_start:web "
				       "process_exec:web container_exit:web container_remove:web");
		ASSERT_EQ(lifecycle_count(lc), 0);
		teardown(lc);
	}
	SUBTEST ("a cgroup that is not a container is untracked and silent") {
		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 7,
			      "/kubepods/besteffort/pod"
			      "8a5b0d12-3f4c-4e5d-9a6b-7c8d9e0f1a2b");
		process_record(lc, RECORD_CONTAINER_START, 7, 5, "x", 2);
		exit_record(lc, 7, 5, 0, 0);
		cgroup_record(lc, RECORD_CGROUP_RMDIR, 7, "/kubepods/besteffort/pod");
		ASSERT_STREQ(f.events, "");
		ASSERT_STREQ(f.untracked, "7");
		teardown(lc);
	}
	SUBTEST ("a /<ns>/<id> lookalike is passed on unconfirmed until its start") {
		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 20, "/some-dir/sub");
		ASSERT_STREQ(f.events, "container_create:sub");
		ASSERT_TRUE(!f.last_confirmed);
		process_record(lc, RECORD_CONTAINER_START, 20, 5, "x", 2);
		ASSERT_TRUE(f.last_confirmed);
		teardown(lc);
	}
	SUBTEST ("a systemd scope is a container from its mkdir, started or not") {
		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 21,
			      "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789"
			      "abcdef0123456789abcdef.scope");
		cgroup_record(lc, RECORD_CGROUP_RMDIR, 21, "/system.slice/docker-x.scope");
		ASSERT_STREQ(f.events, "container_create:0123456789abcdef0123456789abcdef0123456789"
				       "abcdef0123456789abcdef container_remove:0123456789abcdef"
				       "0123456789abcdef0123456789abcdef0123456789abcdef");
		teardown(lc);
	}
	SUBTEST ("repeated start and exit records give one event each") {
		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 11, "/default/a");
		process_record(lc, RECORD_CONTAINER_START, 11, 100, "a", 2);
		process_record(lc, RECORD_CONTAINER_START, 11, 101, "a", 2);
		exit_record(lc, 11, 100, 9, 0);
		exit_record(lc, 11, 100, 9, 0);
		ASSERT_STREQ(f.events, "container_create:a container_start:a container_exit:a");
		teardown(lc);
	}
	SUBTEST ("a container found by the scan gives existing, then its exit and remove") {
		struct existing_container ec = {.cgroup_path = "/default/old",
						.cgroup_id = 12,
						.init_pid = 55,
						.confirmed = true};

		lc = setup(&f);
		cgroup_classify(ec.cgroup_path, &ec.ident);
		add_existing(lc, &ec);
		exit_record(lc, 12, 55, 0, 0);
		cgroup_record(lc, RECORD_CGROUP_RMDIR, 12, "/default/old");
		ASSERT_STREQ(f.events,
			     "container_existing:old container_exit:old container_remove:old");
		teardown(lc);
	}
	SUBTEST ("a scanned container the kernel already tracks is left to its records") {
		struct existing_container ec = {.cgroup_path = "/default/new", .cgroup_id = 13};

		lc = setup(&f);
		f.track_result = -EEXIST;
		cgroup_classify(ec.cgroup_path, &ec.ident);
		add_existing(lc, &ec);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 13, "/default/new");
		process_record(lc, RECORD_CONTAINER_START, 13, 9, "a", 2);
		ASSERT_STREQ(f.events, "container_create:new container_start:new");
		teardown(lc);
	}
	SUBTEST ("killed init: code 137, signal 9, oom flag carried") {
		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 14, "/default/k");
		process_record(lc, RECORD_CONTAINER_START, 14, 100, "a", 2);
		exit_record(lc, 14, 100, 9, RECORD_F_OOM_KILLED);
		ASSERT_TRUE(strstr(f.last_json, "\"exit\":{\"code\":137,\"signal\":9,"
						"\"core_dumped\":false,\"oom_killed\":true,"
						"\"entrypoint_ran\":true}") != NULL);
		teardown(lc);
	}
	SUBTEST ("init killed before its program ran: one exit, marked, with its pid") {
		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 15, "/default/never");
		exit_record(lc, 15, 321, 9, RECORD_F_NEVER_STARTED);
		ASSERT_TRUE(strstr(f.last_json, "\"event\":\"container_exit\"") != NULL);
		ASSERT_TRUE(strstr(f.last_json, "\"exit\":{\"code\":137,\"signal\":9,"
						"\"core_dumped\":false,\"oom_killed\":false,"
						"\"entrypoint_ran\":false}") != NULL);
		f.last_json[0] = '\0';
		exit_record(lc, 15, 321, 9, RECORD_F_NEVER_STARTED); /* a second: none */
		ASSERT_TRUE(f.last_json[0] == '\0');
		teardown(lc);
	}
	SUBTEST ("argv with hostile bytes stays one JSON line") {
		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 15, "/default/h");
		process_record(lc, RECORD_CONTAINER_START, 15, 100, "a\"b\0c\nd\0\xff", 10);
		ASSERT_TRUE(strstr(f.last_json,
				   "\"args\":[\"a\\\"b\",\"c\\nd\",\"\xef\xbf\xbd\"]") != NULL);
		ASSERT_TRUE(strchr(f.last_json, '\n') == f.last_json + strlen(f.last_json) - 1);
		teardown(lc);
	}
	SUBTEST ("short and unknown records are rejected and counted") {
		struct record_header h = {.type = RECORD_CONTAINER_START};
		struct record_header bad = {.type = 99};

		lc = setup(&f);
		ASSERT_EQ(lifecycle_handle_record(lc, &h, sizeof(h), &ev), -EINVAL);
		ASSERT_EQ(lifecycle_handle_record(lc, &bad, sizeof(bad), &ev), -EINVAL);
		ASSERT_EQ(lifecycle_handle_record(lc, &h, 4, &ev), -EINVAL);
		ASSERT_EQ(lifecycle_malformed(lc), 3);
		teardown(lc);
	}
	SUBTEST ("a length field larger than the record is bounded") {
		struct record_cgroup r = {.hdr = {.type = RECORD_CGROUP_MKDIR, .cgroup_id = 16}};

		lc = setup(&f);
		memset(r.path, 'a', sizeof(r.path));
		r.path[0] = '/';
		r.path_len = 100000;
		ASSERT_EQ(lifecycle_handle_record(lc, &r, sizeof(r), &ev), 0);
		ASSERT_STREQ(f.events, "");
		teardown(lc);
	}
	SUBTEST ("containerd's init for a scanned container makes it started") {
		struct existing_container ec = {.cgroup_path = "/default/seen", .cgroup_id = 30};

		lc = setup(&f);
		cgroup_classify(ec.cgroup_path, &ec.ident);
		add_existing(lc, &ec);
		lifecycle_confirm(lc, 30, 77);
		process_record(lc, RECORD_CONTAINER_START, 30, 78, "a", 2);
		ASSERT_STREQ(f.events, "container_existing:seen");
		teardown(lc);
	}
	SUBTEST ("an init the kernel already started is not replaced by containerd's") {
		struct existing_container ec = {.cgroup_path = "/default/raced", .cgroup_id = 31};

		lc = setup(&f);
		f.set_init_result = -EEXIST;
		cgroup_classify(ec.cgroup_path, &ec.ident);
		add_existing(lc, &ec);
		lifecycle_confirm(lc, 31, 77);
		process_record(lc, RECORD_CONTAINER_START, 31, 78, "a", 2);
		ASSERT_STREQ(f.events, "container_existing:raced container_start:raced");
		teardown(lc);
	}
	SUBTEST ("containerd's confirmation of a lookalike is kept for its next events") {
		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 32, "/ns/ctr");
		ASSERT_TRUE(!f.last_confirmed);
		lifecycle_confirm(lc, 32, 0);
		cgroup_record(lc, RECORD_CGROUP_RMDIR, 32, "/ns/ctr");
		ASSERT_TRUE(f.last_confirmed);
		teardown(lc);
	}
	SUBTEST ("a dropped container leaves the kernel map and emits nothing more") {
		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 33, "/default/gone");
		lifecycle_drop(lc, 33);
		process_record(lc, RECORD_CONTAINER_START, 33, 5, "a", 2);
		exit_record(lc, 33, 5, 0, 0);
		cgroup_record(lc, RECORD_CGROUP_RMDIR, 33, "/default/gone");
		ASSERT_STREQ(f.events, "container_create:gone");
		ASSERT_STREQ(f.untracked, "33");
		ASSERT_EQ(lifecycle_count(lc), 0);
		ASSERT_EQ(container_live_count(), 0);
		teardown(lc);
	}
	SUBTEST ("a forgotten lookalike leaves the kernel map and the table") {
		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 34, "/flood/c1");
		ASSERT_EQ(lifecycle_forget(lc, 34), 0);
		ASSERT_STREQ(f.untracked, "34");
		ASSERT_EQ(lifecycle_count(lc), 0);
		cgroup_record(lc, RECORD_CGROUP_RMDIR, 34, "/flood/c1");
		ASSERT_STREQ(f.events, "container_create:c1");
		ASSERT_EQ(container_live_count(), 0);
		teardown(lc);
	}
	SUBTEST ("a lookalike the kernel saw start is not forgotten") {
		lc = setup(&f);
		f.forget_result = -EBUSY;
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 35, "/byhand/box");
		ASSERT_EQ(lifecycle_forget(lc, 35), -EBUSY);
		process_record(lc, RECORD_CONTAINER_START, 35, 9, "a", 2);
		ASSERT_STREQ(f.events, "container_create:box container_start:box");
		ASSERT_TRUE(f.last_confirmed);
		teardown(lc);
	}
	SUBTEST (
	    "a top-level cgroup named like an id: its start proves nothing, containerd names it") {
		lc = setup(&f);
		f.forget_result = -EBUSY; /* the kernel saw its start: forget alone would keep it */
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 36, "/box");
		process_record(lc, RECORD_CONTAINER_START, 36, 9, "a", 2);
		ASSERT_TRUE(!f.last_confirmed);
		ASSERT_EQ(lifecycle_forget(lc, 36), 0); /* no engine's record: let go, started */
		ASSERT_STREQ(f.untracked, "36");
		ASSERT_EQ(lifecycle_count(lc), 0);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 37, "/named");
		lifecycle_identify(lc, 37, "web-1");
		lifecycle_identify(lc, 37, "bad id!"); /* an engine's id that is none: ignored */
		lifecycle_confirm(lc, 37, 0);
		process_record(lc, RECORD_CONTAINER_START, 37, 10, "a", 2);
		ASSERT_TRUE(f.last_confirmed);
		ASSERT_TRUE(strstr(f.events, "container_start:web-1") != NULL);
		teardown(lc);
	}
	SUBTEST ("a readmitted cgroup is a container made at its start, and counted") {
		lc = setup(&f);
		cgroup_record_flags(lc, RECORD_CGROUP_MKDIR, 36, "/byhand/box",
				    RECORD_F_READMITTED);
		ASSERT_TRUE(strstr(f.last_json, "\"readmitted\":true") != NULL);
		process_record(lc, RECORD_CONTAINER_START, 36, 9, "a", 2);
		ASSERT_TRUE(strstr(f.last_json, "readmitted") == NULL); /* on the create only */
		cgroup_record_flags(lc, RECORD_CGROUP_MKDIR, 37, "/system.slice/cron.service",
				    RECORD_F_READMITTED);
		ASSERT_STREQ(f.events, "container_create:box container_start:box");
		ASSERT_STREQ(f.untracked, "37"); /* a service's private /tmp is no container */
		ASSERT_EQ(lifecycle_readmitted(lc), 1);
		teardown(lc);
	}
	SUBTEST ("a sub-cgroup of a container (crun's <scope>/container) is the container's") {
		const char *scope =
		    "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
		    "8a5b0d12_3f4c_4e5d_9a6b_7c8d9e0f1a2b.slice/cri-containerd-"
		    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope";
		char sub[512];

		snprintf(sub, sizeof(sub), "%s/container", scope);
		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 40, scope);
		next_parent_id = 40;
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 41, sub);
		next_parent_id = 0;
		ASSERT_STREQ(f.untracked,
			     ""); /* kept in the kernel map: its start is the container's */
		process_record(lc, RECORD_CONTAINER_START, 41, 7, "a", 2);
		exit_record(lc, 41, 7, 3 << 8, 0);
		cgroup_record(lc, RECORD_CGROUP_RMDIR, 41, sub);
		cgroup_record(lc, RECORD_CGROUP_RMDIR, 40, scope);
		ASSERT_STREQ(f.events,
			     "container_create:0123456789abcdef0123456789abcdef0123456789abcdef0"
			     "123456789abcdef container_start:0123456789abcdef0123456789abcdef"
			     "0123456789abcdef0123456789abcdef container_exit:0123456789abcdef0"
			     "123456789abcdef0123456789abcdef0123456789abcdef container_remove:"
			     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
		ASSERT_TRUE(strstr(f.last_json, "\"cgroup_id\":40") != NULL);
		teardown(lc);
	}
	SUBTEST ("a container nested in another's cgroup (kind) is its own, naming the outer one, "
		 "even from the end of a path too long for the record") {
		const char *outer =
		    "/system.slice/docker-"
		    "1111111111111111111111111111111111111111111111111111111111111111"
		    ".scope";
		/* what the kernel keeps of a 300-byte path: its last 255 bytes, cut mid-name */
		const char *tail =
		    "besteffort.slice/kubelet-kubepods-besteffort-pod"
		    "8a5b0d12_3f4c_4e5d_9a6b_7c8d9e0f1a2b.slice/cri-containerd-"
		    "2222222222222222222222222222222222222222222222222222222222222222"
		    ".scope";
		char slice[512];

		snprintf(slice, sizeof(slice), "%s/kubelet.slice", outer);
		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 70, outer);
		next_parent_id = 70; /* kubelet.slice and the slices below it: the outer one's */
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 71, slice);
		next_parent_id = 71;
		cgroup_record_flags(lc, RECORD_CGROUP_MKDIR, 72, tail,
				    RECORD_F_TRUNCATED | RECORD_F_PATH_TAIL);
		next_parent_id = 0;
		process_record(lc, RECORD_CONTAINER_START, 72, 9, "a", 2);
		ASSERT_TRUE(strstr(f.last_json, "\"id\":\"2222") != NULL);
		ASSERT_TRUE(strstr(f.last_json, "\"parent_id\":\"1111") != NULL);
		ASSERT_TRUE(strstr(f.last_json,
				   "\"cgroup_path\":\"/kubelet-kubepods-besteffort-pod") != NULL);
		ASSERT_TRUE(strstr(f.last_json, "\"cgroup_path_truncated\":true") != NULL);
		ASSERT_TRUE(strstr(f.last_json,
				   "\"uid\":\"8a5b0d12-3f4c-4e5d-9a6b-7c8d9e0f1a2b\"") != NULL);
		exit_record(lc, 72, 9, 5 << 8, 0);
		cgroup_record_flags(lc, RECORD_CGROUP_RMDIR, 72, tail,
				    RECORD_F_TRUNCATED | RECORD_F_PATH_TAIL);
		ASSERT_TRUE(strstr(f.events, "container_remove:2222") != NULL);
		ASSERT_TRUE(strstr(f.events, "container_remove:1111") == NULL);
		teardown(lc);
	}
	SUBTEST ("an exec flagged by the kernel as entering from outside is an exec session, "
		 "naming its launcher; an unflagged one stays a process_exec") {
		struct record_process r = {.hdr = {.type = RECORD_PROCESS_EXEC,
						   .cgroup_id = 80,
						   .flags = RECORD_F_EXEC_SESSION},
					   .pid = 12,
					   .ppid = 11};

		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 80, "/default/box");
		process_record(lc, RECORD_CONTAINER_START, 80, 10, "a", 2);
		strcpy(r.comm, "sh");
		strcpy(r.parent_comm, "runc");
		handle(lc, &r, sizeof(r));
		ASSERT_TRUE(strstr(f.last_json, "\"event\":\"container_exec_session\"") != NULL);
		ASSERT_TRUE(strstr(f.last_json, "\"parent_comm\":\"runc\"") != NULL);
		process_record(lc, RECORD_PROCESS_EXEC, 80, 13, "b", 2);
		ASSERT_TRUE(strstr(f.last_json, "\"event\":\"process_exec\"") != NULL);
		ASSERT_TRUE(strstr(f.last_json, "parent_comm") == NULL);
		ASSERT_STREQ(f.events, "container_create:box container_start:box "
				       "container_exec_session:box process_exec:box");
		teardown(lc);
	}
	SUBTEST ("containers found running, one nested in another: the inner names the outer") {
		static const char outer_path[] =
		    "/system.slice/docker-"
		    "3333333333333333333333333333333333333333333333333333333333333333.scope";
		char inner_path[512];
		struct existing_container outer = {
		    .cgroup_path = outer_path, .cgroup_id = 90, .init_pid = 5, .confirmed = true};
		struct existing_container inner = {
		    .cgroup_id = 91, .init_pid = 6, .confirmed = true};

		snprintf(inner_path, sizeof(inner_path),
			 "%s/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod"
			 "8a5b0d12_3f4c_4e5d_9a6b_7c8d9e0f1a2b.slice/cri-containerd-"
			 "4444444444444444444444444444444444444444444444444444444444444444.scope",
			 outer_path);
		inner.cgroup_path = inner_path;
		lc = setup(&f);
		cgroup_classify(outer.cgroup_path, &outer.ident);
		cgroup_classify(inner.cgroup_path, &inner.ident);
		add_existing(lc, &outer);
		ASSERT_TRUE(strstr(f.last_json, "parent_id") == NULL);
		add_existing(lc, &inner);
		ASSERT_TRUE(strstr(f.last_json, "\"id\":\"4444") != NULL);
		ASSERT_TRUE(strstr(f.last_json, "\"parent_id\":\"3333") != NULL);
		teardown(lc);
	}
	SUBTEST ("a path's end with no whole name in it is no container") {
		lc = setup(&f);
		cgroup_record_flags(lc, RECORD_CGROUP_MKDIR, 73, "aaaaaaaaaaaaaaaaaaaa",
				    RECORD_F_TRUNCATED | RECORD_F_PATH_TAIL);
		ASSERT_STREQ(f.events, "");
		ASSERT_STREQ(f.untracked, "73");
		teardown(lc);
	}
	SUBTEST ("a sub-cgroup of a dropped container leaves with it; a stranger's does not join") {
		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 42, "/default/web");
		process_record(lc, RECORD_CONTAINER_START, 42, 6, "a", 2);
		next_parent_id = 42;
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 43, "/default/web/leaf");
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 44, "/elsewhere/x/y"); /* path disagrees */
		next_parent_id = 0;
		ASSERT_STREQ(f.untracked, "44");
		lifecycle_drop(lc, 42);
		ASSERT_STREQ(f.untracked, "44 42 43");
		process_record(lc, RECORD_CONTAINER_START, 43, 7, "a", 2);
		ASSERT_STREQ(f.events, "container_create:web container_start:web");
		teardown(lc);
	}
	SUBTEST ("a scanned crun container: its init runs in a sub-cgroup, which is tracked too") {
		struct existing_container ec = {.cgroup_path = "/default/crun",
						.cgroup_id = 50,
						.init_pid = 77,
						.confirmed = true,
						.sub_cgroup_ids = {51, 52},
						.sub_cgroups = 2};

		lc = setup(&f);
		cgroup_classify(ec.cgroup_path, &ec.ident);
		add_existing(lc, &ec);
		ASSERT_STREQ(f.inserted, "50:77 51:77 52:77");
		exit_record(lc, 51, 77, 0, 0);
		cgroup_record(lc, RECORD_CGROUP_RMDIR, 52, "/default/crun/container/x");
		cgroup_record(lc, RECORD_CGROUP_RMDIR, 51, "/default/crun/container");
		cgroup_record(lc, RECORD_CGROUP_RMDIR, 50, "/default/crun");
		ASSERT_STREQ(f.events,
			     "container_existing:crun container_exit:crun container_remove:crun");
		teardown(lc);
	}
	SUBTEST ("a scanned container whose init containerd names: set on its sub-cgroups too") {
		struct existing_container ec = {.cgroup_path = "/default/pod",
						.cgroup_id = 53,
						.confirmed = true,
						.sub_cgroup_ids = {54},
						.sub_cgroups = 1};

		lc = setup(&f);
		cgroup_classify(ec.cgroup_path, &ec.ident);
		add_existing(lc, &ec);
		ASSERT_STREQ(f.inserted, "53:0 54:0");
		lifecycle_confirm(lc, 53, 88);
		ASSERT_STREQ(f.inits_set, "53:88 54:88");
		exit_record(lc, 54, 88, 0, 0);
		lifecycle_drop(lc,
			       53); /* e.g. filtered: the sub-cgroup leaves the kernel with it */
		ASSERT_STREQ(f.untracked, "53 54");
		ASSERT_STREQ(f.events, "container_existing:pod container_exit:pod");
		teardown(lc);
	}
	SUBTEST ("a scanned sub-cgroup the kernel already tracks is left to its mkdir record") {
		struct existing_container ec = {.cgroup_path = "/default/late",
						.cgroup_id = 55,
						.init_pid = 9,
						.confirmed = true,
						.sub_cgroup_ids = {56},
						.sub_cgroups = 1};

		lc = setup(&f);
		f.tracked_already = 56; /* made after attach */
		cgroup_classify(ec.cgroup_path, &ec.ident);
		add_existing(lc, &ec);
		ASSERT_STREQ(f.inserted, "55:9");
		next_parent_id = 55;
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 56, "/default/late/container");
		next_parent_id = 0;
		ASSERT_STREQ(f.untracked, ""); /* an alias, kept */
		exit_record(lc, 56, 9, 0, 0);
		ASSERT_STREQ(f.events, "container_existing:late container_exit:late");
		teardown(lc);
	}
	SUBTEST ("a directory below a candidate no start confirmed is one of its own; below a "
		 "container, the container's") {
		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 30, "/a");
		next_parent_id = 30;
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 31, "/a/b");
		next_parent_id = 31;
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 32, "/a/b/c");
		next_parent_id = 0;
		process_record(lc, RECORD_CONTAINER_START, 32, 9, "a", 2);
		/* `ctr run --cgroup /a/b/c`: c started, b did not (only its engine makes c one) */
		ASSERT_STREQ(f.events, "container_create:a container_create:b container_create:c "
				       "container_start:c");
		f.events[0] = '\0';
		process_record(lc, RECORD_CONTAINER_START, 31, 10, "a", 2);
		next_parent_id = 31;
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 33, "/a/b/d");
		next_parent_id = 0;
		process_record(lc, RECORD_CONTAINER_START, 33, 11, "a", 2);
		ASSERT_STREQ(f.events, "container_start:b");
		ASSERT_STREQ(f.untracked, "");
		teardown(lc);
	}
	SUBTEST ("a container's sub-cgroups past its share are not followed, and counted") {
		char path[64];

		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 90, "/default/many");
		process_record(lc, RECORD_CONTAINER_START, 90, 5, "a", 2);
		next_parent_id = 90;
		for (uint64_t i = 0; i < ALIASES_PER_CONTAINER + 3; i++) {
			snprintf(path, sizeof(path), "/default/many/s%llu", (unsigned long long)i);
			cgroup_record(lc, RECORD_CGROUP_MKDIR, 1000 + i, path);
		}
		next_parent_id = 0;
		/* the first 64 kept in the kernel map as the container's; the rest taken out */
		ASSERT_STREQ(f.untracked, "1064 1065 1066");
		ASSERT_EQ(lifecycle_aliases_refused(lc), 3);
		/* a refused one is not the container's: a program there is no start of it */
		process_record(lc, RECORD_CONTAINER_START, 1065, 77, "sh", 2);
		ASSERT_STREQ(f.events, "container_create:many container_start:many");
		/* its removal gives its share back: a new container's sub-cgroup is followed */
		f.untracked[0] = '\0';
		cgroup_record(lc, RECORD_CGROUP_RMDIR, 90, "/default/many");
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 91, "/default/next");
		process_record(lc, RECORD_CONTAINER_START, 91, 8, "a", 2);
		next_parent_id = 91;
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 2000, "/default/next/container");
		next_parent_id = 0;
		ASSERT_TRUE(strstr(f.untracked, "2000") == NULL);
		ASSERT_EQ(lifecycle_aliases_refused(lc), 3);
		teardown(lc);
	}
	SUBTEST (
	    "only the init's exit is the container's, whichever of its cgroups it comes from") {
		lc = setup(&f);
		/* crun under systemd: the init in <scope>/container, made before the start */
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 60, "/machine.slice/libpod-" X64 ".scope");
		next_parent_id = 60;
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 61,
			      "/machine.slice/libpod-" X64 ".scope/container");
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 62,
			      "/machine.slice/libpod-" X64 ".scope/leaf");
		next_parent_id = 0;
		process_record(lc, RECORD_CONTAINER_START, 61, 7, "a", 2);
		/* an exec session the kernel took for a start in the other sub-cgroup, then its end
		 */
		process_record(lc, RECORD_CONTAINER_START, 62, 30, "b", 2);
		exit_record(lc, 62, 30, 0, 0);
		ASSERT_STREQ(f.events, "container_create:" X64 " container_start:" X64);
		exit_record(lc, 61, 7, 4 << 8, 0);
		ASSERT_STREQ(f.events, "container_create:" X64 " container_start:" X64
				       " container_exit:" X64);
		ASSERT_EQ(f.last_exit_status, 4 << 8);
		teardown(lc);
	}
	/*
	 * Taken back from a pinned set: silent, in the phase the kernel and the unread records
	 * give; then the records still in the ring buffer (read again, or made between the
	 * adoption's look at the ring and at the map) print what the previous ctrwatch did not.
	 */
	enum { REC_MKDIR = 1, REC_START = 2, REC_EXIT = 4 }; /* rmdir always follows */
	struct adopt_case {
		const char *name;
		struct adopted_state st;
		int records; /* which of mkdir, start (pid 7), exit (pid 7) follow, before rmdir */
		const char *events;
	} adopt_cases[] = {
	    {"started, nothing unread: only its exit and remove are new",
	     {.kernel = {.state = TRACKED_STARTED, .init_tgid = 7}},
	     REC_EXIT,
	     "container_exit:adopted container_remove:adopted"},
	    {"its start unread: printed",
	     {.kernel = {.state = TRACKED_EXITED, .init_tgid = 7},
	      .start_unread = true,
	      .exit_unread = true},
	     REC_START | REC_EXIT,
	     "container_start:adopted container_exit:adopted container_remove:adopted"},
	    {"exited while nobody read: its exit is printed",
	     {.kernel = {.state = TRACKED_EXITED, .init_tgid = 7}, .exit_unread = true},
	     REC_EXIT,
	     "container_exit:adopted container_remove:adopted"},
	    {"exited and printed before: only the remove",
	     {.kernel = {.state = TRACKED_EXITED, .init_tgid = 7}},
	     0,
	     "container_remove:adopted"},
	    {"started after the ring was looked at, before the map was: its start record comes",
	     {.kernel = {.state = TRACKED_STARTED, .init_tgid = 7}},
	     REC_START | REC_EXIT,
	     "container_start:adopted container_exit:adopted container_remove:adopted"},
	    {"exited likewise: its exit record comes",
	     {.kernel = {.state = TRACKED_EXITED, .init_tgid = 7}},
	     REC_EXIT,
	     "container_exit:adopted container_remove:adopted"},
	    {"born, started and exited after the ring was looked at, before the map was: all of it "
	     "comes (found by the restart suite: its start was dropped)",
	     {.kernel = {.state = TRACKED_EXITED, .init_tgid = 7}},
	     REC_MKDIR | REC_START | REC_EXIT,
	     "container_create:adopted container_start:adopted container_exit:adopted "
	     "container_remove:adopted"},
	    {"born after the ring was looked at: its mkdir record makes its create",
	     {.kernel = {.state = TRACKED_PENDING}},
	     REC_MKDIR | REC_START | REC_EXIT,
	     "container_create:adopted container_start:adopted container_exit:adopted "
	     "container_remove:adopted"},
	};
	for (size_t i = 0; i < sizeof(adopt_cases) / sizeof(adopt_cases[0]); i++) {
		SUBTEST (adopt_cases[i].name) {
			struct existing_container ec = {.cgroup_path = "/default/adopted",
							.cgroup_id = 70};
			int records = adopt_cases[i].records;

			lc = setup(&f);
			cgroup_classify(ec.cgroup_path, &ec.ident);
			ASSERT_EQ(lifecycle_adopt(lc, &ec, &adopt_cases[i].st), 0);
			ASSERT_STREQ(f.events, "");
			ASSERT_STREQ(f.inserted, ""); /* the kernel has it already */
			ASSERT_TRUE(lifecycle_knows(lc, 70));
			if (records & REC_MKDIR)
				cgroup_record(lc, RECORD_CGROUP_MKDIR, 70, "/default/adopted");
			if (records & REC_START)
				process_record(lc, RECORD_CONTAINER_START, 70, 7, "a", 2);
			if (records & REC_EXIT)
				exit_record(lc, 70, 7, 0, 0);
			cgroup_record(lc, RECORD_CGROUP_RMDIR, 70, "/default/adopted");
			ASSERT_STREQ(f.events, adopt_cases[i].events);
			teardown(lc);
		}
	}
	SUBTEST ("gone while nobody read: taken back from its rmdir, with its sub-cgroup") {
		struct adopted_state st = {.kernel = {.state = TRACKED_EXITED},
					   .exit_unread = true};

		lc = setup(&f);
		ASSERT_EQ(lifecycle_adopt_gone(lc, 71, "/default/gone", &st), 0);
		lifecycle_adopt_alias(lc, 72, 71);
		ASSERT_EQ(lifecycle_adopt_gone(lc, 73, "/system.slice/x.service", &st), 0);
		ASSERT_TRUE(lifecycle_knows(lc, 71) && lifecycle_knows(lc, 72));
		ASSERT_TRUE(!lifecycle_knows(lc, 73)); /* no container */
		exit_record(lc, 72, 9, 0, 0);
		cgroup_record(lc, RECORD_CGROUP_RMDIR, 72, "/default/gone/container");
		cgroup_record(lc, RECORD_CGROUP_RMDIR, 71, "/default/gone");
		ASSERT_STREQ(f.events, "container_exit:gone container_remove:gone");
		teardown(lc);
	}
	/* Container "web" is cgroup 10 at /default/web, its sub-cgroup 11 at /default/web/sub. */
	static const struct {
		const char *name;
		bool existing; /* found by the scan, not made after start */
		struct {
			uint64_t id;
			const char *path;
			uint32_t frozen, flags;
		} records[4];
		const char *want;
	} freeze_cases[] = {
	    {"cgroup2: frozen, thawed, by id",
	     false,
	     {{10, "", 1, 0}, {10, "", 0, 0}},
	     "container_paused:web container_resumed:web"},
	    {"a repeated freeze (two programs during a takeover) is one event",
	     false,
	     {{10, "", 1, 0}, {10, "", 1, 0}, {10, "", 0, 0}, {10, "", 0, 0}},
	     "container_paused:web container_resumed:web"},
	    {"a thaw of a container never frozen is no event", false, {{10, "", 0, 0}}, ""},
	    {"found running: its first change is reported, whatever it is",
	     true,
	     {{10, "", 0, 0}, {10, "", 1, 0}},
	     "container_resumed:web container_paused:web"},
	    {"cgroup2: a sub-cgroup frozen is its container paused",
	     false,
	     {{11, "", 1, 0}},
	     "container_paused:web"},
	    {"cgroup v1: by path, the container's own",
	     false,
	     {{0, "/default/web", 1, 0}, {0, "/default/web", 0, 0}},
	     "container_paused:web container_resumed:web"},
	    {"cgroup v1: a path inside the container is the container",
	     false,
	     {{0, "/default/web/sub", 1, 0}},
	     "container_paused:web"},
	    {"cgroup v1: a path no container holds, or one that only starts like it, is nothing",
	     false,
	     {{0, "/default", 1, 0}, {0, "/default/webby", 1, 0}, {0, "/other/web", 1, 0}},
	     ""},
	    {"cgroup v1: a truncated path names nothing",
	     false,
	     {{0, "/default/web", 1, RECORD_F_TRUNCATED}},
	     ""},
	    {"an unknown cgroup id is nothing", false, {{99, "", 1, 0}}, ""},
	};
	for (size_t i = 0; i < sizeof(freeze_cases) / sizeof(freeze_cases[0]); i++) {
		SUBTEST (freeze_cases[i].name) {
			struct existing_container ec = {
			    .cgroup_path = "/default/web", .cgroup_id = 10, .confirmed = true};

			lc = setup(&f);
			if (freeze_cases[i].existing) {
				cgroup_classify(ec.cgroup_path, &ec.ident);
				add_existing(lc, &ec);
			} else {
				cgroup_record(lc, RECORD_CGROUP_MKDIR, 10, "/default/web");
				process_record(lc, RECORD_CONTAINER_START, 10, 100, "a", 2);
			}
			next_parent_id = 10;
			cgroup_record(lc, RECORD_CGROUP_MKDIR, 11, "/default/web/sub");
			next_parent_id = 0;
			f.events[0] = '\0';
			for (size_t r = 0; r < 4 && freeze_cases[i].records[r].path; r++)
				freeze_record(lc, freeze_cases[i].records[r].id,
					      freeze_cases[i].records[r].path,
					      freeze_cases[i].records[r].frozen,
					      freeze_cases[i].records[r].flags);
			ASSERT_STREQ(f.events, freeze_cases[i].want);
			teardown(lc);
		}
	}
	SUBTEST ("after the init's end a freeze and thaw are the runtime's cleanup, not a pause") {
		lc = setup(&f);
		cgroup_record(lc, RECORD_CGROUP_MKDIR, 10, "/default/web");
		process_record(lc, RECORD_CONTAINER_START, 10, 100, "a", 2);
		exit_record(lc, 10, 100, 9, 0);
		f.events[0] = '\0';
		freeze_record(lc, 10, "", 1, 0);
		freeze_record(lc, 10, "", 0, 0);
		ASSERT_STREQ(f.events, "");
		teardown(lc);
	}
	SUBTEST ("facts about a container the lifecycle no longer has are ignored") {
		lc = setup(&f);
		lifecycle_confirm(lc, 99, 5);
		lifecycle_drop(lc, 99);
		ASSERT_EQ(lifecycle_forget(lc, 99), 0);
		ASSERT_STREQ(f.events, "");
		teardown(lc);
	}
	return test_summary("test_lifecycle");
}
