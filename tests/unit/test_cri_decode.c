// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * enrich/cri_decode.c: a CRI runtime's ContainerStatus and PodSandboxStatus replies, packed here
 * with protobuf-c as the runtime sends them, decoded into what events carry. The verbose info
 * is what containerd's CRI sends (CRI-O's has the same keys).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctrwatch_records.h"
#include "enrich/cri_decode.h"
#include "proto/cri.pb-c.h"
#include "test.h"

#define ID   "4e6bdf9ab0310c5b3e1fd7a8a1d1a5b8c2e2f7d6a9b0c1d2e3f4a5b6c7d8e9f0"
#define SBX  "5f7ce0aab1421d6c4f20e8b9b2e2b6c9d3f3a8e7bac1d2e3f4a5b6c7d8e9f0a1"
#define UID  "0d1d0c7e-76ea-4a5e-b8a1-0e0c6a7b9f10"
#define PATH "/kubepods/besteffort/pod" UID "/" ID
#define INFO                                                                                       \
	"{\"sandboxID\":\"" SBX "\",\"pid\":4242,\"runtimeSpec\":{\"linux\":{\"cgroupsPath\":"     \
	"\"" PATH "\"}}}"

struct reply_case {
	const char *name;
	const char *image_ref;
	const char *info; /* info["info"], or NULL: not verbose */
	const char *labels[4][2];
	int rc;
	const char *want_name, *want_digest, *want_cgroups, *want_sandbox;
	size_t want_labels;
};

static const struct reply_case cases[] = {
    {"a kubelet's container: name, digest, cgroupsPath and sandbox",
     "docker.io/library/busybox@sha256:aa11",
     INFO,
     {{"io.kubernetes.container.name", "app"}, {"io.kubernetes.pod.name", "web"}},
     0,
     "app",
     "sha256:aa11",
     PATH,
     SBX,
     2},
    {"an image without a repo digest: its id is the digest",
     "sha256:bb22",
     INFO,
     {{0}},
     0,
     "ctr",
     "sha256:bb22",
     PATH,
     SBX,
     0},
    {"no verbose info: no cgroupsPath, no sandbox",
     "busybox:latest",
     NULL,
     {{0}},
     0,
     "ctr",
     NULL,
     NULL,
     NULL,
     0},
    {"verbose info that is not JSON says nothing",
     "",
     "{\"runtimeSpec\":",
     {{0}},
     0,
     "ctr",
     NULL,
     NULL,
     NULL,
     0},
    {"a cgroupsPath that is no string is none",
     "",
     "{\"runtimeSpec\":{\"linux\":{\"cgroupsPath\":7}}}",
     {{0}},
     0,
     "ctr",
     NULL,
     NULL,
     NULL,
     0},
    {"a label given twice keeps its last value",
     "",
     NULL,
     {{"app", "one"}, {"app", "two"}, {"io.kubernetes.container.name", "a\nb"}},
     0,
     "a\nb",
     NULL,
     NULL,
     NULL,
     2},
};

/* A ContainerStatusResponse as a runtime packs it. */
static uint8_t *pack_status(const struct reply_case *c, size_t *len)
{
	Runtime__V1__ContainerStatusResponse resp = RUNTIME__V1__CONTAINER_STATUS_RESPONSE__INIT;
	Runtime__V1__ContainerStatus st = RUNTIME__V1__CONTAINER_STATUS__INIT;
	Runtime__V1__ContainerMetadata md = RUNTIME__V1__CONTAINER_METADATA__INIT;
	Runtime__V1__ImageSpec image = RUNTIME__V1__IMAGE_SPEC__INIT;
	Runtime__V1__ContainerStatus__LabelsEntry le[4], *lp[4];
	Runtime__V1__ContainerStatusResponse__InfoEntry ie =
	    RUNTIME__V1__CONTAINER_STATUS_RESPONSE__INFO_ENTRY__INIT;
	Runtime__V1__ContainerStatusResponse__InfoEntry *ip = &ie;
	uint8_t *buf;

	st.id = ID;
	md.name = "ctr";
	st.metadata = &md;
	image.image = "docker.io/library/busybox:latest";
	st.image = &image;
	st.image_ref = (char *)c->image_ref;
	st.created_at = 1700000000123456789;
	for (size_t i = 0; i < 4 && c->labels[i][0]; i++) {
		le[i] = (Runtime__V1__ContainerStatus__LabelsEntry)
		    RUNTIME__V1__CONTAINER_STATUS__LABELS_ENTRY__INIT;
		le[i].key = (char *)c->labels[i][0];
		le[i].value = (char *)c->labels[i][1];
		lp[i] = &le[i];
		st.n_labels = i + 1;
	}
	st.labels = lp;
	resp.status = &st;
	if (c->info) {
		ie.key = "info";
		ie.value = (char *)c->info;
		resp.n_info = 1;
		resp.info = &ip;
	}
	*len = runtime__v1__container_status_response__get_packed_size(&resp);
	buf = malloc(*len + 1);
	runtime__v1__container_status_response__pack(&resp, buf);
	return buf;
}

static uint8_t *pack_sandbox(size_t *len)
{
	Runtime__V1__PodSandboxStatusResponse resp = RUNTIME__V1__POD_SANDBOX_STATUS_RESPONSE__INIT;
	Runtime__V1__PodSandboxStatus st = RUNTIME__V1__POD_SANDBOX_STATUS__INIT;
	Runtime__V1__PodSandboxMetadata md = RUNTIME__V1__POD_SANDBOX_METADATA__INIT;
	Runtime__V1__PodSandboxStatusResponse__InfoEntry ie =
	    RUNTIME__V1__POD_SANDBOX_STATUS_RESPONSE__INFO_ENTRY__INIT;
	Runtime__V1__PodSandboxStatusResponse__InfoEntry *ip = &ie;
	uint8_t *buf;

	st.id = SBX;
	md.name = "web-sandbox"; /* not the container's label's "web": the two sources differ */
	md.namespace_ = "shop";
	md.uid = UID;
	st.metadata = &md;
	st.runtime_handler = "runc";
	ie.key = "info";
	ie.value = "{\"runtimeSpec\":{\"linux\":{\"cgroupsPath\":\"/kubepods/besteffort/pod" UID
		   "/" SBX "\"}}}";
	resp.status = &st;
	resp.n_info = 1;
	resp.info = &ip;
	*len = runtime__v1__pod_sandbox_status_response__get_packed_size(&resp);
	buf = malloc(*len + 1);
	runtime__v1__pod_sandbox_status_response__pack(&resp, buf);
	return buf;
}

#define NET (1u << RECORD_NS_NET)
#define PID (1u << RECORD_NS_PID)
#define IPC (1u << RECORD_NS_IPC)
#define MNT (1u << RECORD_NS_MNT)

/* A pod's network in its PodSandboxStatus, and what a container of it then declares. */
struct network_case {
	const char *name;
	const char *ip, *additional[10]; /* NULL-ended */
	bool linux;			 /* linux.namespaces.options given */
	Runtime__V1__NamespaceMode net, pid, ipc;
	uint8_t spec_known, spec_host; /* what the container's own spec said */
	const char *want_ips[10];      /* NULL-ended, canonical */
	bool want_truncated;
	uint8_t want_known, want_host;
};

#define NODE RUNTIME__V1__NAMESPACE_MODE__NODE
#define POD  RUNTIME__V1__NAMESPACE_MODE__POD
#define CTR  RUNTIME__V1__NAMESPACE_MODE__CONTAINER

static const struct network_case network_cases[] = {
    {"a pod on a CNI network: its address; its namespaces the pod's own",
     "10.88.0.7",
     {NULL},
     true,
     POD,
     CTR,
     POD,
     MNT,
     0,
     {"10.88.0.7", NULL},
     false,
     MNT | NET | PID | IPC,
     0},
    {"dual stack: primary and additional, in order, IPv6 made canonical",
     "10.88.0.7",
     {"fd00:0:0:0:0:0:0:0007", NULL},
     true,
     POD,
     POD,
     POD,
     0,
     0,
     {"10.88.0.7", "fd00::7", NULL},
     false,
     NET | PID | IPC,
     0},
    {"hostNetwork and hostPID: no address of its own; net and pid the host's",
     "",
     {NULL},
     true,
     NODE,
     NODE,
     POD,
     0,
     0,
     {NULL},
     false,
     NET | PID | IPC,
     NET | PID},
    {"the container's own spec said pid (its own): the pod's NODE does not overrule it",
     "10.88.0.8",
     {NULL},
     true,
     POD,
     NODE,
     POD,
     PID,
     0,
     {"10.88.0.8", NULL},
     false,
     NET | PID | IPC,
     0},
    {"what is no address is left out: text, a prefix, a zone, a leading zero, a line",
     "10.88.0.9/24",
     {"web", "fe80::1%eth0", "010.0.0.1", "10.0.0.1\n{\"forged\":1}", "0.0.0.0", "::", "10.0.0.2",
      NULL},
     false,
     0,
     0,
     0,
     0,
     0,
     {"10.0.0.2", NULL},
     false,
     0,
     0},
    {"past eight addresses the rest is cut, a repeat counted once",
     "10.0.0.1",
     {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7",
      "10.0.0.8", "10.0.0.9", NULL},
     false,
     0,
     0,
     0,
     0,
     0,
     {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7",
      "10.0.0.8", NULL},
     true,
     0,
     0},
    {"no network and no linux in the reply: nothing said",
     NULL,
     {NULL},
     false,
     0,
     0,
     0,
     MNT,
     MNT,
     {NULL},
     false,
     MNT,
     MNT},
};

static uint8_t *pack_network(const struct network_case *c, size_t *len)
{
	Runtime__V1__PodSandboxStatusResponse resp = RUNTIME__V1__POD_SANDBOX_STATUS_RESPONSE__INIT;
	Runtime__V1__PodSandboxStatus st = RUNTIME__V1__POD_SANDBOX_STATUS__INIT;
	Runtime__V1__PodSandboxNetworkStatus net = RUNTIME__V1__POD_SANDBOX_NETWORK_STATUS__INIT;
	Runtime__V1__LinuxPodSandboxStatus lx = RUNTIME__V1__LINUX_POD_SANDBOX_STATUS__INIT;
	Runtime__V1__Namespace ns = RUNTIME__V1__NAMESPACE__INIT;
	Runtime__V1__NamespaceOption opts = RUNTIME__V1__NAMESPACE_OPTION__INIT;
	Runtime__V1__PodIP ips[10], *ipp[10];
	uint8_t *buf;

	st.id = SBX;
	if (c->ip) {
		net.ip = (char *)c->ip;
		for (; c->additional[net.n_additional_ips]; net.n_additional_ips++) {
			size_t i = net.n_additional_ips;

			runtime__v1__pod_ip__init(&ips[i]);
			ips[i].ip = (char *)c->additional[i];
			ipp[i] = &ips[i];
		}
		net.additional_ips = ipp;
		st.network = &net;
	}
	if (c->linux) {
		opts.network = c->net;
		opts.pid = c->pid;
		opts.ipc = c->ipc;
		ns.options = &opts;
		lx.namespaces = &ns;
		st.linux = &lx;
	}
	resp.status = &st;
	*len = runtime__v1__pod_sandbox_status_response__get_packed_size(&resp);
	buf = malloc(*len + 1);
	runtime__v1__pod_sandbox_status_response__pack(&resp, buf);
	return buf;
}

/* Only the network goes into a container another API named: its name and handler stay. */
static void test_pod_network(void)
{
	char err[CRI_ERROR_MAX], text[ADDRESS_TEXT_MAX];

	for (size_t i = 0; i < sizeof(network_cases) / sizeof(network_cases[0]); i++) {
		const struct network_case *c = &network_cases[i];

		SUBTEST (c->name) {
			struct container_meta m = {0};
			size_t len, n = 0;
			uint8_t *buf = pack_network(c, &len);

			m.name = strdup("app");
			m.runtime_handler = strdup("io.containerd.runc.v2");
			m.declared.known = c->spec_known != 0;
			m.declared.ns_known = c->spec_known;
			m.declared.host_ns = c->spec_host;
			ASSERT_EQ(cri_decode_sandbox_status(buf, len, &m, CRI_SANDBOX_NETWORK, err),
				  0);
			while (c->want_ips[n])
				n++;
			ASSERT_EQ(m.addresses.n, n);
			for (size_t k = 0; k < n && k < m.addresses.n; k++) {
				addresses_format(&m.addresses.addr[k], text);
				ASSERT_STREQ(text, c->want_ips[k]);
			}
			ASSERT_EQ(m.addresses.truncated, c->want_truncated);
			ASSERT_EQ(m.declared.ns_known, c->want_known);
			ASSERT_EQ(m.declared.host_ns, c->want_host);
			ASSERT_EQ(m.declared.known, c->want_known != 0);
			ASSERT_STREQ(m.name, "app");
			ASSERT_STREQ(m.runtime_handler, "io.containerd.runc.v2");
			ASSERT_TRUE(m.pod_name == NULL);
			container_meta_free(&m);
			free(buf);
		}
	}
}

static void expect_str(const char *got, const char *want)
{
	if (!want)
		ASSERT_TRUE(got == NULL);
	else
		ASSERT_STREQ(got ? got : "(null)", want);
}

int main(void)
{
	char err[CRI_ERROR_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct reply_case *c = &cases[i];

		SUBTEST (c->name) {
			struct container_meta m;
			char *sandbox = NULL;
			size_t len;
			uint8_t *buf = pack_status(c, &len);

			ASSERT_EQ(cri_decode_container_status(buf, len, &m, &sandbox, err), c->rc);
			expect_str(m.name, c->want_name);
			expect_str(m.image, "docker.io/library/busybox:latest");
			expect_str(m.image_digest, c->want_digest);
			expect_str(m.cgroups_path, c->want_cgroups);
			expect_str(sandbox, c->want_sandbox);
			ASSERT_EQ(m.n_labels, c->want_labels);
			ASSERT_TRUE(m.namespace == NULL && !m.sandbox);
			ASSERT_EQ(m.created_ns, 1700000000123456789ull);
			free(sandbox);
			container_meta_free(&m);
			free(buf);
		}
	}
	SUBTEST ("the label given twice kept its last value") {
		struct container_meta m;
		char *sandbox;
		size_t len;
		uint8_t *buf = pack_status(&cases[5], &len);

		ASSERT_EQ(cri_decode_container_status(buf, len, &m, &sandbox, err), 0);
		ASSERT_STREQ(m.labels[0].key, "app");
		ASSERT_STREQ(m.labels[0].value, "two");
		container_meta_free(&m);
		free(buf);
	}
	SUBTEST ("the pod's sandbox names the container's pod, over its labels") {
		struct container_meta m;
		char *sandbox;
		size_t len, slen;
		uint8_t *buf = pack_status(&cases[0], &len), *sbuf = pack_sandbox(&slen);

		ASSERT_EQ(cri_decode_container_status(buf, len, &m, &sandbox, err), 0);
		ASSERT_STREQ(m.pod_name, "web"); /* the container's label, until the sandbox says */
		ASSERT_EQ(cri_decode_sandbox_status(sbuf, slen, &m, CRI_SANDBOX_POD, err), 0);
		ASSERT_STREQ(m.pod_name, "web-sandbox");
		ASSERT_STREQ(m.pod_namespace, "shop");
		ASSERT_STREQ(m.pod_uid, UID);
		ASSERT_STREQ(m.runtime_handler, "runc");
		ASSERT_STREQ(m.cgroups_path, PATH); /* the container's, not the sandbox's */
		ASSERT_TRUE(!m.sandbox);
		free(sandbox);
		container_meta_free(&m);
		free(buf);
		free(sbuf);
	}
	SUBTEST ("a sandbox asked as itself: its pod, its cgroupsPath, sandbox set") {
		struct container_meta m;
		size_t len;
		uint8_t *buf = pack_sandbox(&len);

		ASSERT_EQ(cri_decode_sandbox_status(buf, len, &m, CRI_SANDBOX_ITSELF, err), 0);
		ASSERT_TRUE(m.sandbox);
		ASSERT_STREQ(m.name, "web-sandbox");
		ASSERT_STREQ(m.pod_uid, UID);
		ASSERT_STREQ(m.cgroups_path, "/kubepods/besteffort/pod" UID "/" SBX);
		container_meta_free(&m);
		free(buf);
	}
	SUBTEST ("bytes that are no reply, and a reply without a status, are refused") {
		static const uint8_t junk[] = {0x0a, 0xff, 0xff, 0xff};
		static const uint8_t empty[] = {0};
		struct container_meta m;
		char *sandbox;

		ASSERT_EQ(cri_decode_container_status(junk, sizeof(junk), &m, &sandbox, err),
			  -EPROTO);
		ASSERT_TRUE(strstr(err, "undecodable") != NULL);
		ASSERT_EQ(cri_decode_container_status(empty, 0, &m, &sandbox, err), -EPROTO);
		ASSERT_TRUE(strstr(err, "empty reply") != NULL && sandbox == NULL);
		ASSERT_EQ(cri_decode_sandbox_status(empty, 0, &m, CRI_SANDBOX_ITSELF, err),
			  -EPROTO);
	}
	test_pod_network();
	return test_summary("test_cri_decode");
}
