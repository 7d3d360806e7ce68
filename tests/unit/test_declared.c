// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What an engine declared a container may do: which host paths are sensitive, which mounts are
 * kept past the bound, the declaration read from an OCI spec and from an inspect, and what a
 * process held beyond it, as every format writes them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enrich/declared_decode.h"
#include "lifecycle/posture.h"
#include "output/event_declared.h"
#include "output/json_writer.h"
#include "test.h"

#define CAP_BIT(n) (1ull << (n))
#define SYS_ADMIN  21
#define NET_ADMIN  12
#define SYS_PTRACE 19

/* The member event_json_declared (undeclared: event_json_undeclared) writes, bare. */
static void declared_json(const struct container_declared *d, const struct record_process *p,
			  char *out, size_t size)
{
	struct json_writer w;

	json_writer_init(&w);
	json_object_begin(&w);
	if (p)
		event_json_undeclared(&w, "undeclared", p, d);
	else
		event_json_declared(&w, "declared", d);
	json_object_end(&w);
	snprintf(out, size, "%s", w.buf ? w.buf : "");
	json_writer_free(&w);
}

static int from_spec(const char *text, struct container_declared *d)
{
	return declared_from_oci_spec_text(text, strlen(text), d);
}

static int from_inspect(const char *text, enum declared_engine engine, struct container_declared *d)
{
	return declared_from_inspect_text(text, strlen(text), engine, d);
}

static void test_sensitive_paths(void)
{
	static const struct {
		const char *path;
		bool sensitive;
	} cases[] = {
	    {"/", true},
	    {"//", true},
	    {"/var", true}, /* above /var/lib/kubelet */
	    {"/var/lib", true},
	    {"/var/lib/kubelet", true},
	    {"/var/lib/kubelet/", true},
	    {"/var/lib/kubelet/pods/0b1c/volumes/kubernetes.io~configmap/cfg", false},
	    {"/var/lib/docker/containers/abc/hosts", false}, /* Docker's own per-container file */
	    {"/proc", true},
	    {"/proc/sys/kernel", true},
	    {"/sys/fs/cgroup", true},
	    {"/dev/kmsg", true},
	    {"/etc", true},
	    {"/etc/ssl/certs", false},
	    {"/etc/localtime", false},
	    {"/etc/kubernetes/admin.conf", true},
	    {"/etc/shadow", true},
	    {"/run/containerd/containerd.sock", true},
	    {"/var/run/docker.sock", true}, /* /var/run is /run */
	    {"/var/run/../run/docker.sock", true},
	    {"/run/./podman//podman.sock", true},
	    {"/run/user/1000/podman/podman.sock", false},
	    {"/run", true}, /* above the engines' sockets */
	    {"/root/.ssh", true},
	    {"/home/alice", true},
	    {"/homework", false},
	    {"/srv/data", false},
	    {"/tmp/../etc", true},
	    {"/tmp/x/..", false},
	    {"/lib/modules/6.1.0", true},
	    {"data-volume", false}, /* a volume's name, no host path */
	    {"", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[128];

		snprintf(name, sizeof(name), "sensitive: \"%s\" is %s", cases[i].path,
			 cases[i].sensitive ? "sensitive" : "not");
		SUBTEST (name)
			ASSERT_EQ(declared_path_sensitive(cases[i].path), cases[i].sensitive);
	}
}

static void test_mount_bound(void)
{
	SUBTEST (
	    "past the bound a sensitive mount takes a harmless one's place, never the reverse") {
		struct container_declared d = {0};
		char dst[32];

		for (int i = 0; i < DECLARED_MOUNTS_MAX + 4; i++) {
			snprintf(dst, sizeof(dst), "/m%d", i);
			ASSERT_EQ(declared_add_mount(&d, "/srv/data", dst, true), 0);
		}
		ASSERT_EQ(d.n_mounts, DECLARED_MOUNTS_MAX);
		ASSERT_TRUE(d.mounts_truncated);
		ASSERT_EQ(declared_add_mount(&d, "/", "/host", false), 0);
		ASSERT_EQ(declared_add_mount(&d, "/run/docker.sock", "/sock", false), 0);
		ASSERT_EQ(d.n_mounts, DECLARED_MOUNTS_MAX);
		ASSERT_STREQ(d.mounts[0].source, "/");
		ASSERT_TRUE(d.mounts[0].sensitive && !d.mounts[0].read_only);
		ASSERT_STREQ(d.mounts[1].source, "/run/docker.sock");
		ASSERT_STREQ(d.mounts[2].destination, "/m0"); /* harmless ones keep their order */
		ASSERT_STREQ(d.mounts[DECLARED_MOUNTS_MAX - 1].destination, "/m29");
		declared_free(&d);
	}
	SUBTEST ("a path longer than the bound is cut, not refused") {
		struct container_declared d = {0};
		char *longer = malloc(DECLARED_PATH_MAX * 3);

		memset(longer, 'a', DECLARED_PATH_MAX * 3 - 1);
		longer[0] = '/';
		longer[DECLARED_PATH_MAX * 3 - 1] = '\0';
		ASSERT_EQ(declared_add_mount(&d, longer, longer, false), 0);
		ASSERT_EQ(strlen(d.mounts[0].source), DECLARED_PATH_MAX);
		declared_free(&d);
		free(longer);
	}
}

/* containerd's default caps, as `ctr run` writes them, in all four sets */
#define DEFAULT_CAPS                                                                               \
	"[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FSETID\",\"CAP_FOWNER\",\"CAP_MKNOD\","         \
	"\"CAP_NET_RAW\",\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_SETFCAP\",\"CAP_SETPCAP\","           \
	"\"CAP_NET_BIND_SERVICE\",\"CAP_SYS_CHROOT\",\"CAP_KILL\",\"CAP_AUDIT_WRITE\"]"
#define PRIVATE_NS                                                                                 \
	"[{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},"          \
	"{\"type\":\"network\"}]"

/* A spec whose bounding set is capabilities 0..last, but except (-1: none). */
static void spec_granting(char *spec, size_t size, unsigned int last, int except)
{
	size_t o = snprintf(spec, size, "{\"process\":{\"capabilities\":{\"bounding\":[");

	const char *sep = "";

	for (unsigned int cap = 0; cap <= last; cap++) {
		char buf[16];

		if ((int)cap == except)
			continue;
		o += snprintf(spec + o, size - o, "%s\"%s\"", sep,
			      posture_cap_name(cap, buf, sizeof(buf)));
		sep = ",";
	}
	snprintf(spec + o, size - o, "]}}}");
}

static void test_oci_spec(void)
{
	static const struct {
		const char *name, *spec, *json;
	} cases[] = {
	    {"ctr run: default caps, five namespaces its own, no seccomp",
	     "{\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"capabilities\":{\"bounding\":" DEFAULT_CAPS
	     ",\"effective\":" DEFAULT_CAPS "}},\"linux\":{\"namespaces\":" PRIVATE_NS "}}",
	     "{\"declared\":{\"privileged\":false,\"capabilities_added\":[],\"host_namespaces\":["
	     "\"cgroup\",\"user\",\"time\"],\"mounts\":[],\"seccomp\":\"unconfined\",\"apparmor\":"
	     "\"unconfined\",\"user\":\"0:0\",\"user_namespace\":false}}"},
	    {"--cap-add, --net-host, a bind of the containerd socket, read-only rootfs, seccomp",
	     "{\"process\":{\"apparmorProfile\":\"cri-containerd.apparmor.d\",\"user\":{\"uid\":1000,"
	     "\"gid\":1000},\"capabilities\":{\"bounding\":[\"CAP_SYS_ADMIN\",\"CAP_KILL\"]}},"
	     "\"root\":{\"readonly\":true},\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\","
	     "\"source\":\"proc\"},{\"destination\":\"/sock\",\"type\":\"bind\",\"source\":"
	     "\"/run/containerd/containerd.sock\",\"options\":[\"rbind\",\"rw\"]},{\"destination\":"
	     "\"/data\",\"source\":\"/srv/data\",\"options\":[\"rbind\",\"ro\"]}],\"linux\":{"
	     "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\"},\"namespaces\":[{\"type\":\"pid\"},"
	     "{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"}]}}",
	     "{\"declared\":{\"privileged\":false,\"capabilities_added\":[\"CAP_SYS_ADMIN\"],"
	     "\"host_namespaces\":[\"net\",\"cgroup\",\"user\",\"time\"],\"mounts\":[{\"source\":"
	     "\"/run/containerd/containerd.sock\",\"destination\":\"/sock\",\"read_only\":false,"
	     "\"sensitive\":true},{\"source\":\"/srv/data\",\"destination\":\"/data\",\"read_only\""
	     ":true,\"sensitive\":false}],\"seccomp\":\"confined\",\"apparmor\":"
	     "\"cri-containerd.apparmor.d\",\"read_only_rootfs\":true,\"user\":\"1000:1000\","
	     "\"user_namespace\":false}}"},
	    {"a pod's container: a namespace joined by a path is not said, /proc/1/ns/... is the host's",
	     "{\"linux\":{\"namespaces\":[{\"type\":\"pid\",\"path\":\"/proc/1/ns/pid\"},{\"type\":"
	     "\"network\",\"path\":\"/var/run/netns/cni-1\"},{\"type\":\"ipc\",\"path\":"
	     "\"/proc/42/ns/ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"},"
	     "{\"type\":\"user\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":"
	     "65536}]}}",
	     "{\"declared\":{\"host_namespaces\":[\"pid\",\"time\"],\"mounts\":[],\"seccomp\":"
	     "\"unconfined\",\"user_namespace\":true}}"},
	    {"not an object: nothing declared", "[1,2]", "{}"},
	    {"wrong types everywhere: what is not understood is not said",
	     "{\"process\":{\"capabilities\":{\"bounding\":[1,null,\"CAP_NOPE\"]},\"user\":{\"uid\":"
	     "\"0\"}},\"mounts\":{\"a\":1},\"root\":{\"readonly\":\"yes\"},\"linux\":{\"namespaces\":"
	     "[{\"type\":7},\"net\"]}}",
	     "{\"declared\":{\"privileged\":false,\"capabilities_added\":[],\"host_namespaces\":["
	     "\"pid\",\"net\",\"ipc\",\"uts\",\"mnt\",\"cgroup\",\"user\",\"time\"],\"mounts\":[],"
	     "\"seccomp\":\"unconfined\",\"apparmor\":\"unconfined\",\"user_namespace\":false}}"},
	};

	posture_set_cap_last(40);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		SUBTEST (cases[i].name) {
			struct container_declared d;
			char out[2048];

			ASSERT_EQ(from_spec(cases[i].spec, &d), 0);
			declared_json(&d, NULL, out, sizeof(out));
			ASSERT_STREQ(out, cases[i].json);
			declared_free(&d);
		}
	}
	SUBTEST ("every capability the kernel knows: privileged by the spec's word") {
		struct container_declared d;
		char spec[4096];

		spec_granting(spec, sizeof(spec), 40, -1);
		ASSERT_EQ(from_spec(spec, &d), 0);
		ASSERT_EQ(d.privileged, DECLARED_YES);
		declared_free(&d);
		posture_set_cap_last(41); /* a newer kernel knows one more: not all */
		ASSERT_EQ(from_spec(spec, &d), 0);
		ASSERT_EQ(d.privileged, DECLARED_NO);
		declared_free(&d);
		posture_set_cap_last(40);
	}
	SUBTEST ("a host that grants nobody CAP_SYS_RESOURCE: all but it is privileged") {
		struct container_declared d;
		char spec[4096];

		spec_granting(spec, sizeof(spec), 40, 24 /* CAP_SYS_RESOURCE */);
		ASSERT_EQ(from_spec(spec, &d), 0);
		ASSERT_EQ(d.privileged,
			  DECLARED_NO); /* unread: every capability the kernel knows */
		declared_free(&d);
		posture_set_grantable(((1ull << 41) - 1) & ~(1ull << 24));
		ASSERT_EQ(from_spec(spec, &d), 0);
		ASSERT_EQ(d.privileged, DECLARED_YES);
		declared_free(&d);
		posture_set_grantable(0);
	}
}

static void test_inspect(void)
{
	static const struct {
		const char *name;
		enum declared_engine engine;
		const char *inspect, *json;
	} cases[] = {
	    {"docker run: defaults, bridge network", DECLARED_ENGINE_OCI,
	     "{\"Config\":{\"User\":\"\"},\"AppArmorProfile\":\"docker-default\",\"HostConfig\":{"
	     "\"Privileged\":false,\"CapAdd\":null,\"CapDrop\":null,\"NetworkMode\":\"bridge\","
	     "\"PidMode\":\"\",\"IpcMode\":\"private\",\"UTSMode\":\"\",\"CgroupnsMode\":\"private\","
	     "\"UsernsMode\":\"\",\"ReadonlyRootfs\":false,\"SecurityOpt\":null},\"Mounts\":[]}",
	     "{\"declared\":{\"privileged\":false,\"capabilities_added\":[],\"host_namespaces\":[],"
	     "\"mounts\":[],\"seccomp\":\"confined\",\"apparmor\":\"docker-default\","
	     "\"read_only_rootfs\":false}}"},
	    {"docker run --privileged --pid host --net host -v /:/host --cap-add SYS_ADMIN",
	     DECLARED_ENGINE_OCI,
	     "{\"Config\":{\"User\":\"root\"},\"AppArmorProfile\":\"unconfined\",\"HostConfig\":{"
	     "\"Privileged\":true,\"CapAdd\":[\"CAP_SYS_ADMIN\"],\"NetworkMode\":\"host\","
	     "\"PidMode\":\"host\",\"IpcMode\":\"private\",\"UTSMode\":\"\",\"CgroupnsMode\":"
	     "\"host\",\"UsernsMode\":\"host\"},\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/\","
	     "\"Destination\":\"/host\",\"RW\":true},{\"Type\":\"volume\",\"Name\":\"v\",\"Source\":"
	     "\"/var/lib/docker/volumes/v/_data\",\"Destination\":\"/v\",\"RW\":true}]}",
	     NULL},
	    {"podman: CapAdd without CAP_, lowercase; a drop; seccomp and apparmor unconfined",
	     DECLARED_ENGINE_PODMAN,
	     "{\"HostConfig\":{\"CapAdd\":[\"net_admin\"],\"CapDrop\":[\"CAP_KILL\"],\"SecurityOpt\":"
	     "[\"seccomp=unconfined\",\"apparmor:unconfined\"],\"IpcMode\":\"host\"}}",
	     "{\"declared\":{\"capabilities_added\":[\"CAP_NET_ADMIN\"],\"host_namespaces\":[\"ipc\"]"
	     ",\"mounts\":[],\"seccomp\":\"unconfined\",\"apparmor\":\"unconfined\"}}"},
	    {"no HostConfig: nothing declared", DECLARED_ENGINE_OCI, "{\"Id\":\"x\"}", "{}"},
	};

	posture_set_cap_last(40);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		SUBTEST (cases[i].name) {
			struct container_declared d;
			char out[2048];

			ASSERT_EQ(from_inspect(cases[i].inspect, cases[i].engine, &d), 0);
			declared_json(&d, NULL, out, sizeof(out));
			if (cases[i].json) {
				ASSERT_STREQ(out, cases[i].json);
			} else { /* the privileged case: every capability, listed long */
				ASSERT_EQ(d.privileged, DECLARED_YES);
				ASSERT_EQ(d.caps, (1ull << 41) - 1);
				ASSERT_TRUE(
				    strstr(out, "\"host_namespaces\":[\"pid\",\"net\",\"cgroup\","
						"\"user\"]") != NULL);
				ASSERT_TRUE(strstr(out,
						   "\"mounts\":[{\"source\":\"/\",\"destination\":"
						   "\"/host\",\"read_only\":false,\"sensitive\":"
						   "true}]") != NULL);
				ASSERT_TRUE(strstr(out, "\"seccomp\":\"unconfined\"") != NULL);
				ASSERT_TRUE(
				    strstr(out, "\"user\":\"root\",\"user_namespace\":false") !=
				    NULL);
			}
			declared_free(&d);
		}
	}
}

static void test_undeclared(void)
{
	static const struct {
		const char *name;
		uint64_t effective;
		uint32_t host_ns, flags;
		uint64_t declared_caps;
		uint8_t ns_known, declared_host;
		const char *json;
	} cases[] = {
	    {"holds what it was declared: nothing said", CAP_BIT(0) | CAP_BIT(5),
	     1u << RECORD_NS_USER, POSTURE_HOST_FOUND, CAP_BIT(0) | CAP_BIT(5) | CAP_BIT(7), 0xff,
	     1u << RECORD_NS_USER, "{}"},
	    {"CAP_SYS_ADMIN held, dropped by the declaration", CAP_BIT(0) | CAP_BIT(SYS_ADMIN), 0,
	     POSTURE_HOST_FOUND, CAP_BIT(0), 0xff, 0,
	     "{\"undeclared\":{\"capabilities\":[\"CAP_SYS_ADMIN\"]}}"},
	    {"the host's network, a private one declared", 0,
	     (1u << RECORD_NS_NET) | (1u << RECORD_NS_USER), POSTURE_HOST_FOUND, 0, 0xff,
	     1u << RECORD_NS_USER, "{\"undeclared\":{\"host_namespaces\":[\"net\"]}}"},
	    {"a kind the declaration does not name is not judged", 0, 1u << RECORD_NS_CGROUP,
	     POSTURE_HOST_FOUND, 0, (uint8_t) ~(1u << RECORD_NS_CGROUP), 0, "{}"},
	    {"the host's PID 1 not found: namespaces not judged", CAP_BIT(SYS_PTRACE),
	     1u << RECORD_NS_NET, 0, 0, 0xff, 0,
	     "{\"undeclared\":{\"capabilities\":[\"CAP_SYS_PTRACE\"]}}"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		SUBTEST (cases[i].name) {
			struct record_process p = {.hdr.flags = RECORD_F_POSTURE,
						   .posture = {.cap_effective = cases[i].effective,
							       .host_ns = cases[i].host_ns,
							       .flags = cases[i].flags}};
			struct container_declared d = {.known = true,
						       .caps_known = true,
						       .caps = cases[i].declared_caps,
						       .ns_known = cases[i].ns_known,
						       .host_ns = cases[i].declared_host};
			char out[512];

			declared_json(&d, &p, out, sizeof(out));
			ASSERT_STREQ(out, cases[i].json);
		}
	}
	SUBTEST ("no declaration read: nothing compared") {
		struct record_process p = {
		    .hdr.flags = RECORD_F_POSTURE,
		    .posture = {.cap_effective = CAP_BIT(NET_ADMIN), .flags = POSTURE_HOST_FOUND}};
		struct container_declared d = {0};
		char out[64];

		declared_json(&d, &p, out, sizeof(out));
		ASSERT_STREQ(out, "{}");
		declared_json(NULL, &p, out, sizeof(out));
		ASSERT_STREQ(out, "{}");
	}
}

static void test_grantable(void)
{
	SUBTEST ("the host's grantable set is its PID 1's CapBnd, read from its status") {
		char path[] = "/tmp/ctrw-status-XXXXXX";
		int fd = mkstemp(path);
		FILE *f = fdopen(fd, "w");

		fprintf(f, "Name:\tinit\nCapInh:\t0000000000000000\nCapBnd:\t000001fffeffffff\n");
		fclose(f);
		ASSERT_EQ(posture_read_grantable(path), 0);
		ASSERT_EQ(posture_grantable(), 0x1fffeffffffull);
		f = fopen(path, "w");
		fprintf(f, "Name:\tinit\n");
		fclose(f);
		ASSERT_EQ(posture_read_grantable(path), -ENOENT); /* kept as it was */
		ASSERT_EQ(posture_grantable(), 0x1fffeffffffull);
		unlink(path);
		ASSERT_TRUE(posture_read_grantable(path) < 0);
		posture_set_grantable(0);
		ASSERT_EQ(posture_grantable(), (1ull << 41) - 1);
	}
}

int main(void)
{
	test_grantable();
	test_sensitive_paths();
	test_mount_bound();
	test_oci_spec();
	test_inspect();
	test_undeclared();
	return test_summary("declared");
}
