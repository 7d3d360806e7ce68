// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Pause images, the OCI spec's cgroupsPath against a cgroup path, user filters, the policy. */
#include <errno.h>
#include <stdlib.h>

#include "enrich/container_meta.h"
#include "filter/filter.h"
#include "filter/pause_image.h"
#include "filter/policy.h"
#include "lifecycle/cgroup_path.h"
#include "ctrwatch_records.h"
#include "test.h"

struct image_case {
	const char *image;
	bool pause;
};

static const struct image_case images[] = {
    {"registry.k8s.io/pause:3.9", true},
    {"registry.k8s.io/pause", true},
    {"registry.k8s.io/pause@sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097",
     true},
    {"k8s.gcr.io/pause:3.2", true},
    {"gcr.io/google-containers/pause:3.1", true},
    {"gcr.io/google_containers/pause-amd64:3.0", false},
    {"docker.io/kubernetes/pause:latest", true},
    {"kubernetes/pause", true},
    {"docker.io/rancher/pause:3.6", true},
    {"docker.io/rancher/mirrored-pause:3.6", true},
    {"602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/pause:3.5", true},
    {"123.dkr.ecr.eu-west-1.amazonaws.com/team/pause:1", true},
    {"mcr.microsoft.com/oss/kubernetes/pause:3.6", true},
    {"aksrepos.azurecr.io/mirror/pause:1.0", true},
    {"docker.io/amazon/amazon-ecs-pause:0.1.0", true},
    {"quay.io/openshift/origin-pod:v4", true},
    {"registry.access.redhat.com/rhel7/pod-infrastructure:latest", true},
    {"localhost:5000/upstream/pause:3.1", true},
    {"rocks.canonical.com:443/cdk/pause:3.4.1", true},
    {"quay.io/giantswarm/pause:3.1", true},
    {"docker.io/library/superpause:1", false},
    {"docker.io/library/mypause-app:1", false},
    {"registry.k8s.io/pause-extra:3.9", false},
    {"registry.k8s.io/notpause:3.9", false},
    {"docker.io/library/pause:3.9", false},
    {"example.com/pause", false},
    {"docker.io/library/nginx:latest", false},
    {"sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097", false},
    {"", false},
    {"evil.amazonaws.com.attacker.io/x/pause", false},
};

struct spec_case {
	const char *name;
	const char *spec;
	const char *path;
	bool match;
};

#define ID "0123456789abcdef"
static const struct spec_case specs[] = {
    {"ctr default", "/default/web", "/default/web", true},
    {"ctr --cgroup", "/kubepods/besteffort/podu/" ID, "/kubepods/besteffort/podu/" ID, true},
    {"trailing slash", "/default/web/", "/default/web", true},
    {"other id", "/default/web", "/default/web2", false},
    {"prefix only", "/default", "/default/web", false},
    {"systemd", "kubepods-besteffort-podu.slice:cri-containerd:" ID,
     "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podu.slice/"
     "cri-containerd-" ID ".scope",
     true},
    {"systemd wrong slice", "other.slice:cri-containerd:" ID,
     "/kubepods.slice/kubepods-besteffort-podu.slice/cri-containerd-" ID ".scope", false},
    {"systemd wrong prefix", "kubepods-besteffort-podu.slice:docker:" ID,
     "/kubepods-besteffort-podu.slice/cri-containerd-" ID ".scope", false},
    {"systemd default slice", ":docker:" ID, "/system.slice/docker-" ID ".scope", true},
    {"systemd slice path is the slice's whole name",
     "kubepods-besteffort-podu.slice:cri-containerd:" ID,
     "/kubepods-besteffort-podu.slice/cri-containerd-" ID ".scope", false},
    {"systemd scope forged under a user's delegated subtree",
     "kubepods-besteffort-podu.slice:cri-containerd:" ID,
     "/user.slice/user-1000.slice/user@1000.service/app.slice/kubepods.slice/"
     "kubepods-besteffort.slice/kubepods-besteffort-podu.slice/cri-containerd-" ID ".scope",
     false},
    {"systemd default slice elsewhere", ":docker:" ID,
     "/user.slice/user-1000.slice/user@1000.service/system.slice/docker-" ID ".scope", false},
    {"systemd top-level slice", "machine.slice:libpod:" ID, "/machine.slice/libpod-" ID ".scope",
     true},
    {"systemd root slice", "-.slice:docker:" ID, "/docker-" ID ".scope", true},
    {"systemd slice with an empty component", "a--b.slice:docker:" ID,
     "/a.slice/a-.slice/a--b.slice/docker-" ID ".scope", false},
    {"systemd slice not a slice", "system.service:docker:" ID,
     "/system.service/docker-" ID ".scope", false},
    {"systemd empty name", "system.slice:docker:", "/system.slice/docker-.scope", false},
    {"cgroupfs forged elsewhere", "/kubepods/besteffort/podu/" ID,
     "/user.slice/kubepods/besteffort/podu/" ID, false},
    {"malformed systemd", "a:b:c:d", "/a/b-c.scope", false},
    {"empty spec", "", "/default/web", false},
};

/*
 * A cgroup whose path did not fit a record: its end. Whether the engine's path ends the same;
 * only the cgroup's id at that whole path (cgroup_proof.c, end to end) says it is this cgroup.
 */
#define OUTER  "/system.slice/docker-" ID ID ID ID ".scope"
#define MIDDLE "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice"
#define POD    "/kubelet-kubepods-besteffort-pod0d1d0c7e_76ea_4a5e_b8a1_0e0c6a7b9f10.slice"
#define INNER  "/cri-containerd-" ID ID ID ID ".scope"
static const struct tail_case {
	const char *name;
	const char *spec;
	const char *tail;
	bool match;
	const char *want; /* the engine's whole path, for the proof */
} tails[] = {
    {"nested, its end", OUTER MIDDLE POD INNER, POD INNER, true, OUTER MIDDLE POD INNER},
    {"nested, the end kept from a component in the middle", OUTER MIDDLE POD INNER,
     "/kubelet-kubepods-besteffort.slice" POD INNER, true, OUTER MIDDLE POD INNER},
    {"not nested: a long path of its own", MIDDLE POD INNER, POD INNER, true, MIDDLE POD INNER},
    {"a path that is its whole tail (255 bytes: flagged, kept whole)", "/kubepods/podu" INNER,
     "/kubepods/podu" INNER, true, "/kubepods/podu" INNER},
    {"a systemd cgroupsPath", "kubelet-kubepods-besteffort-pod0d1d.slice:cri-containerd:" ID,
     "/kubelet-kubepods-besteffort-pod0d1d.slice/cri-containerd-" ID ".scope", true,
     "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
     "kubelet-kubepods-besteffort-pod0d1d.slice/cri-containerd-" ID ".scope"},
    {"another end", OUTER MIDDLE POD INNER, POD "/cri-containerd-other.scope", false, NULL},
    {"an end not at a component", OUTER MIDDLE POD INNER, "ods-besteffort-pod" INNER, false, NULL},
    {"a tail longer than the engine's path", POD INNER, MIDDLE POD INNER, false, NULL},
    {"no cgroupsPath", "", POD INNER, false, NULL},
};

struct filter_case {
	const char *name;
	const char *include[3];
	const char *exclude[3];
	const char *ns_only;
	bool keep;
};

static const struct filter_case filters[] = {
    {"no filters keeps", {}, {}, NULL, true},
    {"exclude image", {}, {"image:nginx"}, NULL, false},
    {"exclude other image", {}, {"image:^redis"}, NULL, true},
    {"include wins over exclude", {"name:^web$"}, {"image:.*"}, NULL, true},
    {"include alone does not exclude", {"name:^db$"}, {}, NULL, true},
    {"allow-list", {"name:^db$"}, {"image:.*"}, NULL, false},
    {"exclude kube namespace", {}, {"kube_namespace:^kube-system$"}, NULL, false},
    {"exclude containerd namespace", {}, {"namespace:^k8s\\.io$"}, NULL, false},
    {"exclude by label", {}, {"label:team:^pay"}, NULL, false},
    {"label absent reads empty", {}, {"label:missing:.+"}, NULL, true},
    {"label with colon in key", {}, {"label:app:tier:x"}, NULL, true},
    {"namespace restriction keeps", {}, {}, "k8s.io", true},
    {"namespace restriction drops", {}, {}, "default", false},
    /* the engine's declaration (below: privileged, the host's pid and net namespaces) */
    {"only privileged containers", {"privileged:^true$"}, {"image:.*"}, NULL, true},
    {"exclude not privileged: this one is", {}, {"privileged:^false$"}, NULL, true},
    {"exclude the host's network", {}, {"host_namespaces:(^|,)net(,|$)"}, NULL, false},
    {"the host's ipc is not declared", {}, {"host_namespaces:ipc"}, NULL, true},
    {"host namespaces in the kernel's order", {}, {"host_namespaces:^pid,net$"}, NULL, false},
};

/* policy_decide: one verdict per container, sandbox rule first, then the user's filters. */
struct verdict_case {
	const char *name;
	const char *image; /* NULL: containerd said nothing */
	const char *kind;  /* io.cri-containerd.kind label, or NULL */
	const char *path;  /* the container's cgroup path: the namespace it implies, its shape */
	const char *namespace; /* what the engine said (NULL: "k8s.io") */
	bool drop_sandboxes;
	const char *ns_only;
	const char *exclude;
	enum policy_verdict verdict;
	bool cri_sandbox; /* a CRI runtime's PodSandboxStatus answered for the cgroup */
};

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* What CRI makes: a pod's cgroup, cgroupfs and systemd's */
#define CRI_PATH "/kubepods/besteffort/pod0d1d0c7e-76ea-4a5e-b8a1-0e0c6a7b9f10/" HEX64
#define CRI_SCOPE                                                                                  \
	"/kubepods.slice/kubepods-besteffort.slice/"                                               \
	"kubepods-besteffort-pod0d1d0c7e_76ea_4a5e_b8a1_0e0c6a7b9f10.slice/cri-containerd-" HEX64  \
	".scope"
#define CRIO_SCOPE                                                                                 \
	"/kubepods.slice/kubepods-besteffort.slice/"                                               \
	"kubepods-besteffort-pod0d1d0c7e_76ea_4a5e_b8a1_0e0c6a7b9f10.slice/crio-" HEX64 ".scope"
#define PAUSE "registry.k8s.io/pause:3.9"
/* rootless Podman's, under its user's systemd manager */
#define USER_ROOT  "/user.slice/user-1000.slice/user@1000.service"
#define USER_SCOPE USER_ROOT "/user.slice/libpod-" HEX64 ".scope"

/* container_meta_cgroup_under: what a user's manager's cgroupsPath names, from the root. */
static const struct {
	const char *spec, *root, *want; /* want NULL: names none */
} unders[] = {
    {"user.slice:libpod:" HEX64, USER_ROOT, USER_SCOPE},
    {"user.slice:libpod:" HEX64, USER_ROOT "/", USER_SCOPE},
    {":libpod:x", USER_ROOT, USER_ROOT "/system.slice/libpod-x.scope"},
    {"a-b.slice:libpod:x", USER_ROOT, USER_ROOT "/a.slice/a-b.slice/libpod-x.scope"},
    {"/libpod_parent/libpod-x", USER_ROOT, USER_ROOT "/libpod_parent/libpod-x"},
    {"user.slice:libpod", USER_ROOT, NULL},
    {"", USER_ROOT, NULL},
    {"../x.slice:libpod:x", USER_ROOT, NULL},
};

static const struct verdict_case verdicts[] = {
    {"policy: a sandbox by label is dropped", "nginx", "sandbox", CRI_PATH, NULL, true, NULL, NULL,
     POLICY_DROP_SANDBOX, false},
    {"policy: a sandbox by label in CRI's systemd scope is dropped", "nginx", "sandbox", CRI_SCOPE,
     NULL, true, NULL, NULL, POLICY_DROP_SANDBOX, false},
    {"policy: a label-less pause image is a sandbox", PAUSE, NULL, CRI_PATH, NULL, true, NULL, NULL,
     POLICY_DROP_SANDBOX, false},
    {"policy: the container label beats a pause image", PAUSE, "container", CRI_PATH, NULL, true,
     NULL, NULL, POLICY_KEEP, false},
    {"policy: sandboxes kept with the pause filter off", "nginx", "sandbox", CRI_PATH, NULL, false,
     NULL, NULL, POLICY_KEEP, false},
    {"policy: the sandbox rule comes before the filters", "nginx", "sandbox", CRI_PATH, NULL, true,
     "other", NULL, POLICY_DROP_SANDBOX, false},
    {"policy: Docker's container labelled a sandbox is kept", "nginx", "sandbox", "/docker/" HEX64,
     "moby", true, NULL, NULL, POLICY_KEEP, false},
    {"policy: Docker's container of a pause image is kept", PAUSE, NULL,
     "/system.slice/docker-" HEX64 ".scope", "moby", true, NULL, NULL, POLICY_KEEP, false},
    {"policy: Podman's container labelled a sandbox is kept", "nginx", "sandbox",
     "/machine.slice/libpod-" HEX64 ".scope", "", true, NULL, NULL, POLICY_KEEP, false},
    {"policy: Podman's container of a pause image is kept", PAUSE, NULL,
     "/libpod_parent/libpod-" HEX64, "", true, NULL, NULL, POLICY_KEEP, false},
    {"policy: Docker's container in a pod's cgroup (--cgroup-parent) is kept", PAUSE, "sandbox",
     CRI_PATH, "moby", true, NULL, NULL, POLICY_KEEP, false},
    {"policy: containerd's sandbox label holds wherever the cgroup is (no cgroup parent)", "nginx",
     "sandbox", "/k8s.io/" HEX64, NULL, true, NULL, NULL, POLICY_DROP_SANDBOX, false},
    {"policy: containerd's sandbox label holds in any namespace but moby", PAUSE, "sandbox",
     "/default/web", "default", true, NULL, NULL, POLICY_DROP_SANDBOX, false},
    {"policy: a pause image outside a pod's cgroup, no label, is kept", PAUSE, NULL,
     "/k8s.io/" HEX64, NULL, true, NULL, NULL, POLICY_KEEP, false},
    {"policy: containerd's container label outside a pod's cgroup is kept", PAUSE, "container",
     "/k8s.io/" HEX64, NULL, true, NULL, NULL, POLICY_KEEP, false},
    {"policy: --namespace drops another namespace", "nginx", "container", CRI_PATH, NULL, true,
     "default", NULL, POLICY_DROP_FILTERED, false},
    {"policy: no metadata, the path's namespace decides", NULL, NULL, "/default/web", NULL, true,
     "default", NULL, POLICY_KEEP, false},
    {"policy: no metadata, no hint, --namespace drops", NULL, NULL, CRI_PATH, NULL, true, "default",
     NULL, POLICY_DROP_FILTERED, false},
    {"policy: --exclude on the image", "nginx", "container", CRI_PATH, NULL, true, NULL,
     "image:^ngi", POLICY_DROP_FILTERED, false},
    {"policy: no metadata is never a sandbox", NULL, NULL, CRI_PATH, NULL, true, NULL, NULL,
     POLICY_KEEP, false},
    {"policy: a CRI runtime's pod sandbox is dropped", "busybox", NULL, CRIO_SCOPE, "", true, NULL,
     NULL, POLICY_DROP_SANDBOX, true},
    {"policy: a CRI runtime's container of a pause image is kept", PAUSE, NULL, CRIO_SCOPE, "",
     true, NULL, NULL, POLICY_KEEP, false},
    {"policy: a CRI runtime's sandbox kept with the pause filter off", "busybox", NULL, CRIO_SCOPE,
     "", false, NULL, NULL, POLICY_KEEP, true},
    {"policy: a CRI runtime's sandbox answer holds wherever the cgroup is", "busybox", NULL,
     "/default/web", "", true, NULL, NULL, POLICY_DROP_SANDBOX, true},
    {"policy: Docker's container is never a sandbox, whatever was said", "busybox", NULL,
     "/docker/" HEX64, "moby", true, NULL, NULL, POLICY_KEEP, true},
    {"policy: --exclude on the image drops a system Podman's container", "nginx", NULL,
     "/machine.slice/libpod-" HEX64 ".scope", "", true, NULL, "image:^ngi", POLICY_DROP_FILTERED,
     false},
    {"policy: a rootless container's own image cannot match --exclude", "nginx", NULL, USER_SCOPE,
     "", true, NULL, "image:^ngi", POLICY_KEEP, false},
    {"policy: a rootless container's own name cannot match --exclude", "nginx", NULL, USER_SCOPE,
     "", true, NULL, "name:^id$", POLICY_KEEP, false},
    {"policy: a rootless container is judged as if not enriched", "nginx", NULL, USER_SCOPE, "",
     true, NULL, "image:^$", POLICY_DROP_FILTERED, false},
    {"policy: a rootless container of a pause image is no sandbox", PAUSE, "sandbox", USER_SCOPE,
     "k8s.io", true, NULL, NULL, POLICY_KEEP, true},
};

static void build_meta(struct container_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->namespace = strdup("k8s.io");
	m->image = strdup("docker.io/library/nginx:1.25");
	m->n_labels = 3;
	m->labels = calloc(3, sizeof(*m->labels));
	m->labels[0] =
	    (struct container_label){strdup("io.kubernetes.container.name"), strdup("web")};
	m->labels[1] =
	    (struct container_label){strdup("io.kubernetes.pod.namespace"), strdup("kube-system")};
	m->labels[2] = (struct container_label){strdup("team"), strdup("payments")};
	container_meta_apply_labels(m, "abc");
}

int main(void)
{
	struct container_meta m;
	char err[256];

	for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++)
		SUBTEST (images[i].image)
			ASSERT_EQ(pause_image_match(images[i].image), images[i].pause);
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		SUBTEST (specs[i].name)
			ASSERT_EQ(container_meta_cgroup_matches(specs[i].spec, specs[i].path),
				  specs[i].match);

	for (size_t i = 0; i < sizeof(unders) / sizeof(unders[0]); i++)
		SUBTEST (unders[i].spec) {
			char *got = container_meta_cgroup_under(unders[i].spec, unders[i].root);

			if (unders[i].want)
				ASSERT_STREQ(got, unders[i].want);
			else
				ASSERT_TRUE(got == NULL);
			free(got);
		}
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++)
		SUBTEST (tails[i].name) {
			char want[4096];

			ASSERT_EQ(container_meta_cgroup_tail_matches(tails[i].spec, tails[i].tail,
								     want, sizeof(want)),
				  tails[i].match);
			if (tails[i].match)
				ASSERT_STREQ(want, tails[i].want);
		}

	build_meta(&m);
	SUBTEST ("labels give name, pod fields, not a sandbox") {
		ASSERT_STREQ(m.name, "web");
		ASSERT_STREQ(m.pod_namespace, "kube-system");
		ASSERT_TRUE(m.pod_name == NULL);
		ASSERT_TRUE(!policy_is_sandbox(NULL, &m));
	}
	m.declared = (struct container_declared){
	    .known = true,
	    .privileged = DECLARED_YES,
	    .ns_known = 0xff,
	    .host_ns = (1u << RECORD_NS_PID) | (1u << RECORD_NS_NET),
	};
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		const struct filter_case *c = &filters[i];

		SUBTEST (c->name) {
			struct filter_set fs;

			filter_set_init(&fs);
			for (int j = 0; j < 3 && c->include[j]; j++)
				ASSERT_EQ(
				    filter_set_add(&fs, c->include[j], true, err, sizeof(err)), 0);
			for (int j = 0; j < 3 && c->exclude[j]; j++)
				ASSERT_EQ(
				    filter_set_add(&fs, c->exclude[j], false, err, sizeof(err)), 0);
			if (c->ns_only)
				filter_set_add_namespace(&fs, c->ns_only);
			ASSERT_EQ(filter_set_keep(&fs, &m, NULL), c->keep);
			filter_set_free(&fs);
		}
	}
	SUBTEST ("no declaration read: privileged and host_namespaces read empty") {
		struct container_declared said = m.declared;
		struct filter_set fs;

		m.declared = (struct container_declared){0};
		filter_set_init(&fs);
		ASSERT_EQ(filter_set_add(&fs, "privileged:^$", false, err, sizeof(err)), 0);
		ASSERT_EQ(filter_set_keep(&fs, &m, NULL), false);
		filter_set_free(&fs);
		filter_set_init(&fs);
		ASSERT_EQ(filter_set_add(&fs, "host_namespaces:.", false, err, sizeof(err)), 0);
		ASSERT_EQ(filter_set_keep(&fs, &m, NULL), true);
		filter_set_free(&fs);
		m.declared = said;
	}
	SUBTEST ("bad filters are refused with a reason") {
		struct filter_set fs;

		filter_set_init(&fs);
		ASSERT_EQ(filter_set_add(&fs, "colour:red", false, err, sizeof(err)), -EINVAL);
		ASSERT_TRUE(strstr(err, "colour:red") != NULL);
		ASSERT_EQ(filter_set_add(&fs, "image:(", false, err, sizeof(err)), -EINVAL);
		ASSERT_TRUE(strstr(err, "image:(") != NULL);
		ASSERT_EQ(filter_set_add(&fs, "image", false, err, sizeof(err)), -EINVAL);
		ASSERT_EQ(filter_set_add(&fs, "label::x", false, err, sizeof(err)), -EINVAL);
		ASSERT_EQ(fs.n_rules, 0);
		filter_set_free(&fs);
	}
	SUBTEST ("patterns glibc would spend gigabytes on are refused; fine ones pass") {
		static const struct {
			const char *spec;
			bool ok;
		} cases[] = {
		    {"name:a+++++++++++++++++++", false},
		    {"name:(a*)*", false},
		    {"name:((x{2}))+", false},
		    {"name:x{2}{3}", false},
		    {"name:a*b+c?", true},
		    {"name:(web|api)-[0-9]+", true},
		    {"name:[*+]+", true},
		    {"name:\\++", true},
		    {"name:[]a]*", true},
		    {"name:^(ab)+$", true},
		};
		struct filter_set fs;

		filter_set_init(&fs);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			SUBTEST (cases[i].spec) {
				ASSERT_EQ(
				    filter_set_add(&fs, cases[i].spec, false, err, sizeof(err)),
				    cases[i].ok ? 0 : -EINVAL);
			}
		filter_set_free(&fs);
	}
	SUBTEST ("a spec with a newline gives a one-line error") {
		struct filter_set fs;

		filter_set_init(&fs);
		ASSERT_EQ(filter_set_add(&fs, "colour\n:x", false, err, sizeof(err)), -EINVAL);
		ASSERT_TRUE(strchr(err, '\n') == NULL && strstr(err, "colour?:x") != NULL);
		filter_set_free(&fs);
	}
	SUBTEST ("sandbox label wins over image") {
		struct container_meta s = {};
		struct container_ident cri;

		s.image = strdup("docker.io/library/nginx:1");
		s.n_labels = 1;
		s.labels = calloc(1, sizeof(*s.labels));
		s.labels[0] =
		    (struct container_label){strdup("io.cri-containerd.kind"), strdup("sandbox")};
		container_meta_apply_labels(&s, "id1");
		s.namespace = strdup("k8s.io");
		ASSERT_EQ(cgroup_classify(CRI_PATH, &cri), 1);
		ASSERT_TRUE(policy_is_sandbox(&cri, &s));
		ASSERT_STREQ(s.name, "id1");
		free(s.labels[0].value);
		s.labels[0].value = strdup("container");
		free(s.image);
		s.image = strdup("registry.k8s.io/pause:3.9");
		ASSERT_TRUE(!policy_is_sandbox(&cri, &s)); /* the label, when present, decides */
		container_meta_free(&s);
	}
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
		const struct verdict_case *c = &verdicts[i];

		SUBTEST (c->name) {
			struct container_meta v = {};
			struct container_ident ident;
			struct filter_set fs;
			struct policy p = {.filters = &fs, .drop_sandboxes = c->drop_sandboxes};

			filter_set_init(&fs);
			if (c->ns_only)
				filter_set_add_namespace(&fs, c->ns_only);
			if (c->exclude)
				ASSERT_EQ(filter_set_add(&fs, c->exclude, false, err, sizeof(err)),
					  0);
			ASSERT_EQ(cgroup_classify(c->path, &ident), 1);
			if (c->image) {
				if (!c->namespace || *c->namespace)
					v.namespace =
					    strdup(c->namespace ? c->namespace : "k8s.io");
				v.image = strdup(c->image);
				v.labels = calloc(1, sizeof(*v.labels));
				if (c->kind)
					v.labels[v.n_labels++] = (struct container_label){
					    strdup("io.cri-containerd.kind"), strdup(c->kind)};
				container_meta_apply_labels(&v, "id");
				v.sandbox = c->cri_sandbox;
			}
			ASSERT_EQ(policy_decide(&p, &ident, c->image ? &v : NULL), c->verdict);
			container_meta_free(&v);
			filter_set_free(&fs);
		}
	}
	container_meta_free(&m);
	return test_summary("test_container_rules");
}
