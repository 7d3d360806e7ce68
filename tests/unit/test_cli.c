// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Command line and mount table parsing. */
#include <stddef.h>

#include "kernel/cgroup_hierarchy.h"
#include "cli.h"
#include "test.h"

struct size_case {
	const char *in;
	int err;
	uint64_t size;
};

static const struct size_case sizes[] = {
    {"8M", 0, 8 << 20}, {"4096", 0, 4096}, {"64k", 0, 65536}, {"1G", 0, 1ull << 30},
    {"2G", -22, 0},	{"3M", -22, 0},	   {"2048", -22, 0},  {"", -22, 0},
    {"-8M", -22, 0},	{"8MB", -22, 0},   {"M", -22, 0},     {"99999999999999999999", -22, 0},
};

struct argv_case {
	const char *name;
	int argc;
	char *argv[6];
	enum cli_action action;
};

static const struct argv_case argvs[] = {
    {"no options", 1, {"ctrwatch"}, CLI_RUN},
    {"all options",
     5,
     {"ctrwatch", "--exec", "-v", "--output=/tmp/x", "--ringbuf-size=16M"},
     CLI_RUN},
    {"unknown option", 2, {"ctrwatch", "--bogus"}, CLI_EXIT_USAGE},
    {"missing value", 2, {"ctrwatch", "--output"}, CLI_EXIT_USAGE},
    {"bad size", 2, {"ctrwatch", "--ringbuf-size=3M"}, CLI_EXIT_USAGE},
    {"bad lifecycle size", 2, {"ctrwatch", "--lifecycle-ringbuf-size=1000"}, CLI_EXIT_USAGE},
    {"exec ring size without --exec", 2, {"ctrwatch", "--ringbuf-size=16M"}, CLI_EXIT_USAGE},
    {"stray argument", 2, {"ctrwatch", "extra"}, CLI_EXIT_USAGE},
    {"empty output", 3, {"ctrwatch", "-o", ""}, CLI_EXIT_USAGE},
    {"empty pin path", 2, {"ctrwatch", "--pin-path="}, CLI_EXIT_USAGE},
    {"cleanup and status together", 3, {"ctrwatch", "--cleanup", "--status"}, CLI_EXIT_USAGE},
    {"pin value missing", 2, {"ctrwatch", "--pin-path"}, CLI_EXIT_USAGE},
    {"metrics on a name, not a number",
     2,
     {"ctrwatch", "--metrics-address=localhost:9469"},
     CLI_EXIT_USAGE},
    {"metrics without a port", 2, {"ctrwatch", "--metrics-address=127.0.0.1"}, CLI_EXIT_USAGE},
    {"metrics on a good address", 2, {"ctrwatch", "--metrics-address=:9469"}, CLI_RUN},
    {"an unknown format", 2, {"ctrwatch", "--format=cef"}, CLI_EXIT_USAGE},
    {"an empty format", 2, {"ctrwatch", "--format="}, CLI_EXIT_USAGE},
    {"a format in capitals is not one", 2, {"ctrwatch", "--format=ECS"}, CLI_EXIT_USAGE},
    {"waiting for a reader needs pinning", 2, {"ctrwatch", "--wait-for-reader=5s"}, CLI_EXIT_USAGE},
    {"waiting 61 s is refused", 3, {"ctrwatch", "--pin", "--wait-for-reader=61s"}, CLI_EXIT_USAGE},
    {"waiting a negative time is refused",
     3,
     {"ctrwatch", "--pin", "--wait-for-reader=-1s"},
     CLI_EXIT_USAGE},
    {"a rootless socket template without %u",
     2,
     {"ctrwatch", "--rootless-podman-socket=/run/podman/podman.sock"},
     CLI_EXIT_USAGE},
    {"a rootless socket template with another conversion",
     2,
     {"ctrwatch", "--rootless-podman-socket=/run/user/%s/%u.sock"},
     CLI_EXIT_USAGE},
    {"a rootless socket template too long for a socket",
     2,
     {"ctrwatch",
      "--rootless-podman-socket=/run/user/%u/"
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      "xxxxxxxxxxxxxxxxx.sock"},
     CLI_EXIT_USAGE},
    {"waiting without a unit word is refused",
     3,
     {"ctrwatch", "--pin", "--wait-for-reader=5m"},
     CLI_EXIT_USAGE},
};

/* --wait-for-reader: how long, in ms, a run waits for the reader before it. */
struct wait_case {
	const char *name;
	char *arg;
	unsigned int ms;
};

static const struct wait_case waits[] = {
    {"no wait by default", NULL, 0},
    {"0s: refuse at once", "--wait-for-reader=0s", 0},
    {"0 likewise", "--wait-for-reader=0", 0},
    {"30s", "--wait-for-reader=30s", 30000},
    {"the most: 60s", "--wait-for-reader=60s", 60000},
    {"in ms", "--wait-for-reader=1500ms", 1500},
};

/* --heartbeat: seconds between ctrwatch_heartbeat lines, 0 for none; bad ones are usage errors. */
static const struct heartbeat_case {
	const char *name;
	char *arg;
	enum cli_action action;
	unsigned int seconds;
} heartbeats[] = {
    {"60s by default", NULL, CLI_RUN, 60},
    {"0 turns it off", "--heartbeat=0", CLI_RUN, 0},
    {"seconds", "--heartbeat=30s", CLI_RUN, 30},
    {"bare seconds", "--heartbeat=90", CLI_RUN, 90},
    {"minutes", "--heartbeat=5m", CLI_RUN, 300},
    {"hours, up to a day", "--heartbeat=24h", CLI_RUN, 86400},
    {"past a day", "--heartbeat=25h", CLI_EXIT_USAGE, 0},
    {"milliseconds are not a unit here", "--heartbeat=500ms", CLI_EXIT_USAGE, 0},
    {"negative", "--heartbeat=-1s", CLI_EXIT_USAGE, 0},
    {"no number", "--heartbeat=s", CLI_EXIT_USAGE, 0},
    {"empty", "--heartbeat=", CLI_EXIT_USAGE, 0},
};

/* Where a run pins, and what it does: pinning is asked for; --status and --cleanup use the
 * default path unless told another. */
struct pin_case {
	const char *name;
	int argc;
	char *argv[4];
	const char *pin_path; /* NULL: nothing pinned */
	enum run_mode mode;
};

static const struct pin_case pins[] = {
    {"no pinning by default", 1, {"ctrwatch"}, NULL, MODE_TRACE},
    {"--pin: the default path", 2, {"ctrwatch", "--pin"}, PIN_PATH_DEFAULT, MODE_TRACE},
    {"--pin-path implies --pin",
     2,
     {"ctrwatch", "--pin-path=/sys/fs/bpf/x"},
     "/sys/fs/bpf/x",
     MODE_TRACE},
    {"--pin after --pin-path keeps the path",
     3,
     {"ctrwatch", "--pin-path=/sys/fs/bpf/x", "--pin"},
     "/sys/fs/bpf/x",
     MODE_TRACE},
    {"--status: the default path", 2, {"ctrwatch", "--status"}, PIN_PATH_DEFAULT, MODE_STATUS},
    {"--cleanup of another path",
     3,
     {"ctrwatch", "--cleanup", "--pin-path=/sys/fs/bpf/y"},
     "/sys/fs/bpf/y",
     MODE_CLEANUP},
};

static const char hybrid[] =
    "25 1 0:23 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:24 / /sys/fs/cgroup/unified rw,relatime shared:5 - cgroup2 cgroup2 rw\n"
    "27 25 0:25 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "28 25 0:26 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n";
static const char v1_only[] =
    "25 1 0:23 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
    "27 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
    "28 25 0:26 / /sys/fs/cgroup/cpu\\040set rw - cgroup cgroup rw,cpuset,clone_children\n";
static const char proc_cgroups[] = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
				   "cpuset\t3\t1\t1\ncpu\t1\t1\t1\n";

int main(void)
{
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		SUBTEST (sizes[i].in) {
			uint64_t size = 0;

			ASSERT_EQ(cli_parse_size(sizes[i].in, &size), sizes[i].err);
			if (!sizes[i].err)
				ASSERT_EQ(size, sizes[i].size);
		}
	}
	freopen("/dev/null", "w", stderr);
	for (size_t i = 0; i < sizeof(argvs) / sizeof(argvs[0]); i++) {
		SUBTEST (argvs[i].name) {
			struct options opts;
			char *argv[6];

			memcpy(argv, argvs[i].argv, sizeof(argv));
			ASSERT_EQ(cli_parse(argvs[i].argc, argv, &opts), argvs[i].action);
		}
	}
	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		SUBTEST (pins[i].name) {
			struct options opts;
			char *argv[4];

			memcpy(argv, pins[i].argv, sizeof(argv));
			ASSERT_EQ(cli_parse(pins[i].argc, argv, &opts), CLI_RUN);
			if (pins[i].pin_path)
				ASSERT_STREQ(opts.pin_path, pins[i].pin_path);
			else
				ASSERT_TRUE(opts.pin_path == NULL);
			ASSERT_EQ(opts.mode, pins[i].mode);
			cli_free(&opts);
		}
	}
	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		SUBTEST (waits[i].name) {
			struct options opts;
			char *argv[] = {"ctrwatch", "--pin", waits[i].arg, NULL};

			ASSERT_EQ(cli_parse(waits[i].arg ? 3 : 2, argv, &opts), CLI_RUN);
			ASSERT_EQ(opts.wait_for_reader_ms, waits[i].ms);
			cli_free(&opts);
		}
	}
	for (size_t i = 0; i < sizeof(heartbeats) / sizeof(heartbeats[0]); i++) {
		SUBTEST (heartbeats[i].name) {
			struct options opts;
			char *argv[] = {"ctrwatch", heartbeats[i].arg, NULL};
			FILE *saved = stderr;

			stderr = fopen("/dev/null", "w"); /* the usage error's line */
			ASSERT_EQ(cli_parse(heartbeats[i].arg ? 2 : 1, argv, &opts),
				  heartbeats[i].action);
			fclose(stderr);
			stderr = saved;
			if (heartbeats[i].action == CLI_RUN)
				ASSERT_EQ(opts.heartbeat_s, heartbeats[i].seconds);
			cli_free(&opts);
		}
	}
	SUBTEST ("--format: ndjson by default, ecs and ocsf when asked") {
		static const struct {
			char *arg;
			enum event_format want;
		} formats[] = {{NULL, EVENT_FORMAT_NDJSON},
			       {"--format=ndjson", EVENT_FORMAT_NDJSON},
			       {"--format=ecs", EVENT_FORMAT_ECS},
			       {"--format=ocsf", EVENT_FORMAT_OCSF}};

		for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
			struct options opts;
			char *argv[] = {"ctrwatch", formats[i].arg, NULL};

			ASSERT_EQ(cli_parse(formats[i].arg ? 2 : 1, argv, &opts), CLI_RUN);
			ASSERT_EQ(opts.format, formats[i].want);
			cli_free(&opts);
		}
	}
	SUBTEST ("the format not given: text on a terminal without --output, else ndjson") {
		static const struct {
			char *args[3];
			bool terminal;
			enum event_format want;
		} cases[] = {
		    {{NULL}, true, EVENT_FORMAT_TEXT},
		    {{NULL}, false, EVENT_FORMAT_NDJSON},
		    {{"--output", "/tmp/x"}, true, EVENT_FORMAT_NDJSON},
		    {{"--format=ndjson"}, true, EVENT_FORMAT_NDJSON},
		    {{"--format=ecs"}, true, EVENT_FORMAT_ECS},
		    {{"--format=text"}, false, EVENT_FORMAT_TEXT},
		    {{"--format=text", "--output=/tmp/x"}, false, EVENT_FORMAT_TEXT},
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct options opts;
			char *argv[4] = {"ctrwatch", cases[i].args[0], cases[i].args[1], NULL};
			int argc = 1 + !!cases[i].args[0] + !!cases[i].args[1];

			ASSERT_EQ(cli_parse(argc, argv, &opts), CLI_RUN);
			cli_settle_format(&opts, cases[i].terminal);
			ASSERT_EQ(opts.format, cases[i].want);
			cli_free(&opts);
		}
	}
	SUBTEST ("engine sockets: defaults, a path, empty for not asked") {
		static const struct {
			char *arg;
			size_t field; /* which option: its offset in struct options */
			const char *want;
		} sockets[] = {
		    {NULL, offsetof(struct options, crio_socket), "/var/run/crio/crio.sock"},
		    {"--crio-socket=/run/containerd/containerd.sock",
		     offsetof(struct options, crio_socket), "/run/containerd/containerd.sock"},
		    {"--crio-socket=", offsetof(struct options, crio_socket), NULL},
		    /* rootless Podman's: a template, %u the uid */
		    {NULL, offsetof(struct options, user_podman_socket),
		     "/run/user/%u/podman/podman.sock"},
		    {"--rootless-podman-socket=/srv/%u.sock",
		     offsetof(struct options, user_podman_socket), "/srv/%u.sock"},
		    {"--rootless-podman-socket=", offsetof(struct options, user_podman_socket),
		     NULL},
		};

		for (size_t i = 0; i < sizeof(sockets) / sizeof(sockets[0]); i++) {
			struct options opts;
			char *argv[] = {"ctrwatch", sockets[i].arg, NULL};
			const char *got;

			ASSERT_EQ(cli_parse(sockets[i].arg ? 2 : 1, argv, &opts), CLI_RUN);
			got = *(const char **)((char *)&opts + sockets[i].field);
			if (sockets[i].want)
				ASSERT_STREQ(got, sockets[i].want);
			else
				ASSERT_TRUE(got == NULL);
			cli_free(&opts);
		}
	}
	SUBTEST ("a call's deadline follows --enrich-timeout, from 750 ms to 5 s") {
		static const struct {
			unsigned int enrich_ms;
			int want;
		} calls[] = {{1, 750},	   {500, 750},	  {750, 750},
			     {2000, 2000}, {10000, 5000}, {60000, 5000}};

		for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
			ASSERT_EQ(cli_rpc_timeout_ms(calls[i].enrich_ms), calls[i].want);
	}
	SUBTEST ("ring sizes on 4K, 16K and 64K pages (arm64 kernels have all three)") {
		static const struct {
			uint64_t size, page, want;
		} rings[] = {
		    {4096, 4096, 4096},		 {4096, 16384, 16384},
		    {4096, 65536, 65536},	 {32768, 65536, 65536},
		    {65536, 65536, 65536},	 {1u << 20, 65536, 1u << 20},
		    {8u << 20, 16384, 8u << 20}, {1u << 30, 65536, 1u << 30},
		};

		for (size_t i = 0; i < sizeof(rings) / sizeof(rings[0]); i++)
			ASSERT_EQ(cli_ring_size_for_page(rings[i].size, rings[i].page),
				  rings[i].want);
	}
	SUBTEST ("all options are read") {
		struct options opts;
		char *argv[] = {"ctrwatch",	      "--exec", "-v", "--output=/tmp/x",
				"--ringbuf-size=16M", NULL};

		cli_parse(5, argv, &opts);
		ASSERT_TRUE(opts.trace_exec && opts.verbose);
		ASSERT_STREQ(opts.output_path, "/tmp/x");
		ASSERT_EQ(opts.exec_ringbuf_size, 16 << 20);
	}
	SUBTEST ("the ring buffers: lifecycle 1M (2M with --exec), exec 8M with --exec only") {
		static const struct {
			int argc;
			char *argv[4];
			uint64_t lifecycle, exec;
		} cases[] = {
		    {1, {"ctrwatch"}, 1 << 20, 0},
		    {2, {"ctrwatch", "--exec"}, 2 << 20, 8 << 20},
		    {3, {"ctrwatch", "--exec", "--ringbuf-size=2M"}, 2 << 20, 2 << 20},
		    {3, {"ctrwatch", "--ringbuf-size=16M", "--exec"}, 2 << 20, 16 << 20},
		    {3, {"ctrwatch", "--exec", "--lifecycle-ringbuf-size=1M"}, 1 << 20, 8 << 20},
		    {2, {"ctrwatch", "--lifecycle-ringbuf-size=64K"}, 64 << 10, 0},
		    {3, {"ctrwatch", "--lifecycle-ringbuf-size=2M", "--exec"}, 2 << 20, 8 << 20},
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct options opts;

			ASSERT_EQ(cli_parse(cases[i].argc, (char **)cases[i].argv, &opts), CLI_RUN);
			ASSERT_EQ(opts.lifecycle_ringbuf_size, cases[i].lifecycle);
			ASSERT_EQ(opts.exec_ringbuf_size, cases[i].exec);
			cli_free(&opts);
		}
	}
	SUBTEST ("hybrid host watches cgroup2") {
		struct cgroup_hierarchy h;

		ASSERT_EQ(cgroup_hierarchy_parse(hybrid, proc_cgroups, CGROUP_HIERARCHY_AUTO, &h),
			  0);
		ASSERT_STREQ(h.mount_point, "/sys/fs/cgroup/unified");
		ASSERT_EQ(h.hierarchy_id, 0);
		ASSERT_EQ(h.v1, false);
		ASSERT_EQ(h.v1_freezer, true); /* runc pauses through it there */
	}
	SUBTEST ("v1-only host watches cpuset, unescaping the mount point") {
		struct cgroup_hierarchy h;

		ASSERT_EQ(cgroup_hierarchy_parse(v1_only, proc_cgroups, CGROUP_HIERARCHY_AUTO, &h),
			  0);
		ASSERT_STREQ(h.mount_point, "/sys/fs/cgroup/cpu set");
		ASSERT_EQ(h.hierarchy_id, 3);
		ASSERT_EQ(h.v1, true);
		ASSERT_EQ(h.v1_freezer, false); /* none mounted */
	}
	SUBTEST ("cpuset chosen on a hybrid host") {
		struct cgroup_hierarchy h;

		ASSERT_EQ(cgroup_hierarchy_parse(hybrid, proc_cgroups, CGROUP_HIERARCHY_CPUSET, &h),
			  0);
		ASSERT_STREQ(h.mount_point, "/sys/fs/cgroup/cpuset");
		ASSERT_EQ(h.hierarchy_id, 3);
		ASSERT_EQ(h.v1, true);
		ASSERT_EQ(h.v1_freezer, true);
	}
	SUBTEST ("cgroup2 chosen on a v1-only host") {
		struct cgroup_hierarchy h;

		ASSERT_EQ(
		    cgroup_hierarchy_parse(v1_only, proc_cgroups, CGROUP_HIERARCHY_CGROUP2, &h),
		    -2);
	}
	SUBTEST ("no cgroup mount") {
		struct cgroup_hierarchy h;

		ASSERT_EQ(cgroup_hierarchy_parse("1 0 0:1 / / rw - ext4 /dev/vda rw\n",
						 proc_cgroups, CGROUP_HIERARCHY_AUTO, &h),
			  -2);
	}
	return test_summary("test_cli");
}
