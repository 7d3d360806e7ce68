// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cgroup_classify(): one case per container form, and many paths that are not containers. */
#include "lifecycle/cgroup_path.h"
#include "test.h"

#define ID64   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID    "8a5b0d12-3f4c-4e5d-9a6b-7c8d9e0f1a2b"
#define UID_US "8a5b0d12_3f4c_4e5d_9a6b_7c8d9e0f1a2b"

struct container_case {
	const char *path;
	const char *runtime;
	const char *id;
	const char *ns;
	const char *pod_uid;
	enum cgroup_form form;
	bool ambiguous;
};

static const struct container_case containers[] = {
    {"/default/web1", "containerd", "web1", "default", "", CGROUP_FORM_CONTAINERD_NS, true},
    {"/k8s.io/" ID64, "containerd", ID64, "k8s.io", "", CGROUP_FORM_CONTAINERD_NS, true},
    {"/moby-ns/a.b_c-d", "containerd", "a.b_c-d", "moby-ns", "", CGROUP_FORM_CONTAINERD_NS, true},
    {"/kubepods/besteffort/pod" UID "/" ID64, "unknown", ID64, "k8s.io", UID,
     CGROUP_FORM_KUBEPODS_CGROUPFS, false},
    {"/kubepods/burstable/pod" UID "/" ID64, "unknown", ID64, "k8s.io", UID,
     CGROUP_FORM_KUBEPODS_CGROUPFS, false},
    /* CRI-O's cgroupfs manager names its runtime; a crio- name without 64 hex is an id */
    {"/kubepods/burstable/pod" UID "/crio-" ID64, "crio", ID64, "k8s.io", UID,
     CGROUP_FORM_KUBEPODS_CGROUPFS, false},
    {"/kubepods/burstable/pod" UID "/crio-abc", "unknown", "crio-abc", "k8s.io", UID,
     CGROUP_FORM_KUBEPODS_CGROUPFS, false},
    {"/kubepods/pod" UID "/" ID64, "unknown", ID64, "k8s.io", UID, CGROUP_FORM_KUBEPODS_CGROUPFS,
     false},
    {"/kubelet/kubepods/besteffort/pod" UID "/" ID64, "unknown", ID64, "k8s.io", UID,
     CGROUP_FORM_KUBEPODS_CGROUPFS, false},
    {"/kubepods/pod0123456789abcdef0123456789abcdef/ctr1", "unknown", "ctr1", "k8s.io",
     "0123456789abcdef0123456789abcdef", CGROUP_FORM_KUBEPODS_CGROUPFS, false},
    {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_US
     ".slice/cri-containerd-" ID64 ".scope",
     "containerd", ID64, "k8s.io", UID, CGROUP_FORM_SYSTEMD_SCOPE, false},
    {"/kubepods.slice/kubepods-pod" UID_US ".slice/cri-containerd-" ID64 ".scope", "containerd",
     ID64, "k8s.io", UID, CGROUP_FORM_SYSTEMD_SCOPE, false},
    {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_US ".slice/crio-" ID64
     ".scope",
     "crio", ID64, "k8s.io", UID, CGROUP_FORM_SYSTEMD_SCOPE, false},
    /* a scope under a malformed pod slice: a container, with no half-read pod uid (fuzzer) */
    {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod8a5b0d12[3f4c_4e5d_9a6b_"
     "7c8d9e0f1a2b.slice/cri-containerd-" ID64 ".scope",
     "containerd", ID64, "", "", CGROUP_FORM_SYSTEMD_SCOPE, false},
    {"/system.slice/docker-" ID64 ".scope", "docker", ID64, "", "", CGROUP_FORM_SYSTEMD_SCOPE,
     false},
    /* nested: a kind node's pod inside the node's Docker container (kubelet's cgroup root
     * "kubelet" prefixes its slices); the innermost container is the one named */
    {"/system.slice/docker-" ID64 ".scope/kubelet.slice/kubelet-kubepods.slice/"
     "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID_US
     ".slice/cri-containerd-" ID64 ".scope",
     "containerd", ID64, "k8s.io", UID, CGROUP_FORM_SYSTEMD_SCOPE, false},
    /* the same path's end, as a cgroup_mkdir record keeps it when it is longer than 255 */
    {"/kubelet-kubepods-besteffort-pod" UID_US ".slice/cri-containerd-" ID64 ".scope", "containerd",
     ID64, "k8s.io", UID, CGROUP_FORM_SYSTEMD_SCOPE, false},
    /* Docker-in-Docker, cgroupfs: the inner engine's /docker/<id> under the outer's */
    {"/docker/" ID64 "/docker/" ID64, "docker", ID64, "moby", "", CGROUP_FORM_DOCKER_CGROUPFS,
     false},
    {"/machine.slice/libpod-" ID64 ".scope", "podman", ID64, "", "", CGROUP_FORM_SYSTEMD_SCOPE,
     false},
    {"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID64 ".scope", "podman",
     ID64, "", "", CGROUP_FORM_SYSTEMD_SCOPE, false},
    {"/system.slice/nerdctl-" ID64 ".scope", "containerd", ID64, "", "", CGROUP_FORM_SYSTEMD_SCOPE,
     false},
    {"/docker/" ID64, "docker", ID64, "moby", "", CGROUP_FORM_DOCKER_CGROUPFS, false},
    /* Podman's cgroupfs manager (hybrid and v1 hosts, or by choice) */
    {"/libpod_parent/libpod-" ID64, "podman", ID64, "", "", CGROUP_FORM_PODMAN_CGROUPFS, false},
    /* a top-level directory named like an id: containerd must say whose cgroup it is */
    {"/default", "containerd", "default", "", "", CGROUP_FORM_UNNAMED, true},
    {"/sliced", "containerd", "sliced", "", "", CGROUP_FORM_UNNAMED, true},
    /* ...or deeper, below directories no layout names (`ctr run --cgroup /a/b/c`) */
    {"/a/b/c", "containerd", "c", "", "", CGROUP_FORM_UNNAMED, true},
    {"/ctrwatch-test/plain/dir", "containerd", "dir", "", "", CGROUP_FORM_UNNAMED, true},
    {"/default/web1/nested", "containerd", "nested", "", "", CGROUP_FORM_UNNAMED, true},
    {"/x/libpod_parent/libpod-0123", "containerd", "libpod-0123", "", "", CGROUP_FORM_UNNAMED,
     true},
    /* containerd's CRI given a systemd-style parent, its runc on cgroupfs: at any depth */
    {"/test.slice:cri-containerd:" ID64, "containerd", ID64, "k8s.io", "", CGROUP_FORM_SLICE_TRIPLE,
     false},
    {"/system.slice/containerd.service/kubepods-besteffort-pod" UID_US
     ".slice:cri-containerd:" ID64,
     "containerd", ID64, "k8s.io", UID, CGROUP_FORM_SLICE_TRIPLE, false},
    {"/libpod_parent/" ID64 "/libpod-" ID64, "podman", ID64, "", "", CGROUP_FORM_PODMAN_CGROUPFS,
     false},
};

static const char *const not_containers[] = {
    "",
    "/",
    "/test.slice:cri-containerd:abc",			   /* no 64-hex id */
    "/test:cri-containerd:" ID64,			   /* no slice before it */
    "/a:b.slice:cri-containerd:" ID64,			   /* a colon in the slice */
    "/test.slice:docker:" ID64,				   /* not containerd's CRI's */
    "/test.slice:cri-containerd:" ID64 ":x",		   /* more after the id */
    "/test.slice:cri-containerd:" ID64 "/inner",	   /* a directory inside one */
    "/system.slice",					   /* a systemd unit at the top */
    "/a/b.slice/c",					   /* a unit on the way: systemd's */
    "/a/b/c.scope",					   /* ... or at the end */
    "/a/b/bad..id",					   /* no containerd id */
    "/kubepods/a/b/c",					   /* below what the top holds otherwise */
    "/user.slice/user-1000.slice/user@1000.service/a/b/c", /* a user's delegated subtree */
    "/kubepods",					   /* what the top holds otherwise */
    "/a b",						   /* no containerd id */
    "relative/path",
    "/kubepods",
    "/kubepods/besteffort",
    "/kubepods/besteffort/pod" UID,
    "/kubepods/pod" UID,
    "/kubepods.slice",
    "/kubepods.slice/kubepods-besteffort.slice",
    "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_US ".slice",
    "/kubepods/besteffort/pod" UID "/" ID64 "/nested",
    "/kubepods/guaranteed/pod" UID "/" ID64,
    "/kubepods/besteffort/podnot-a-uid/" ID64,
    "/kubepods/besteffort/pod" UID "/bad..id",
    "/system.slice",
    "/system.slice/cron.service",
    "/system.slice/containerd.service",
    "/system.slice/docker.service",
    "/system.slice/crio-conmon-" ID64 ".scope",
    "/machine.slice/libpod-conmon-" ID64 ".scope",
    "/libpod_parent",
    "/libpod_parent/conmon",
    "/libpod_parent/libpod-conmon-" ID64,
    "/libpod_parent/libpod-" ID64 "/nested",
    "/system.slice/docker-" ID64 ".scope/nested",
    "/system.slice/docker-0123.scope",
    "/system.slice/docker-" ID64 "0.scope",
    "/system.slice/docker-0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef.scope",
    "/system.slice/run-r1234.scope",
    "/user.slice/user-0.slice",
    "/user.slice/user-0.slice/session-1.scope",
    "/init.scope",
    "/init.scope/sub",
    "/docker",
    "/docker/short",
    "/docker/" ID64 "/nested",
    "/default/bad id",
    "/default/-leading",
    "/default/trailing-",
    "/default/double..dot",
    "/default/\n",
    "/default/\xff\xfe",
    "/default/",
    "//web1",
    "/default//web1",
    "/lxc/web1",
    "/machine/qemu-1",
    "/default/" ID64 ID64,
    "/sys-fs-fuse-connections.mount/x",
    "/system.slice/foo.socket",
    "/a.slice/b",
    "/a/b.service",
    "/a/b.mount",
};

/* Who owns a container's cgroup: the user systemd delegated the subtree to, by position only. */
static const struct owner_case {
	const char *path;
	bool user_owned;
	unsigned int uid;
} owners[] = {
    {"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID64 ".scope", true, 1000},
    {"/user.slice/user-0.slice/user@0.service/app.slice/docker-" ID64 ".scope", true, 0},
    {"/user.slice/user-4294967295.slice/user@4294967295.service/x/libpod-" ID64 ".scope", true,
     4294967295u},
    /* a user names a subtree of its own like another's: the first one counts */
    {"/user.slice/user-1000.slice/user@1000.service/user.slice/user-0.slice/user@0.service/"
     "docker-" ID64 ".scope",
     true, 1000},
    {"/user.slice/user-1000.slice/user@1001.service/a/docker-" ID64 ".scope", false, 0},
    {"/user.slice/user-4294967296.slice/user@4294967296.service/a/docker-" ID64 ".scope", false, 0},
    {"/user.slice/user-1x.slice/user@1x.service/a/docker-" ID64 ".scope", false, 0},
    {"/x/user.slice/user-1000.slice/user@1000.service/docker-" ID64 ".scope", false, 0},
    {"/system.slice/docker-" ID64 ".scope", false, 0},
    {"/default/web1", false, 0},
};

int main(void)
{
	struct container_ident ident;

	for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
		SUBTEST (owners[i].path) {
			ASSERT_EQ(cgroup_classify(owners[i].path, &ident), 1);
			ASSERT_EQ(ident.user_owned, owners[i].user_owned);
			ASSERT_EQ(ident.owner_uid, owners[i].uid);
		}
	}

	for (size_t i = 0; i < sizeof(containers) / sizeof(containers[0]); i++) {
		const struct container_case *c = &containers[i];

		SUBTEST (c->path) {
			ASSERT_EQ(cgroup_classify(c->path, &ident), 1);
			ASSERT_STREQ(container_runtime_name(ident.runtime), c->runtime);
			ASSERT_STREQ(ident.id, c->id);
			ASSERT_STREQ(ident.ns, c->ns);
			ASSERT_STREQ(ident.pod_uid, c->pod_uid);
			ASSERT_EQ(ident.form, c->form);
			ASSERT_EQ(ident.ambiguous, c->ambiguous);
		}
	}
	for (size_t i = 0; i < sizeof(not_containers) / sizeof(not_containers[0]); i++) {
		SUBTEST (not_containers[i]) {
			ASSERT_EQ(cgroup_classify(not_containers[i], &ident), 0);
			ASSERT_STREQ(ident.id, "");
		}
	}
	SUBTEST ("identifier at the length limit") {
		char path[128] = "/default/";

		memset(path + 9, 'a', 76);
		ASSERT_EQ(cgroup_classify(path, &ident), 1);
		path[9 + 76] = 'a';
		ASSERT_EQ(cgroup_classify(path, &ident), 0);
	}
	return test_summary("test_cgroup_path");
}
