// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * containerd's Containers/Get reply, decoded: fields, the OCI spec's cgroupsPath, the name and
 * pod from labels, and labels kept unique as they will be printed (the last of a repeated key
 * wins, as for a protobuf map; keys that differ only in bytes that are not UTF-8 are one key).
 */
#include <errno.h>
#include <stdlib.h>

#include "enrich/containerd_client.h"
#include "enrich/containerd_decode.h"
#include "proto/containerd.pb-c.h"
#include "test.h"

#define N_LABELS 4

struct reply {
	Ctrwatch__Containerd__GetContainerResponse resp;
	Ctrwatch__Containerd__Container ct;
	Ctrwatch__Containerd__StringEntry entries[N_LABELS], *labels[N_LABELS];
	Ctrwatch__Containerd__Any spec;
	Ctrwatch__Containerd__Timestamp created;
	uint8_t buf[4096];
	size_t len;
};

static void build(struct reply *r, const char *const kv[][2], size_t n, const char *spec_json)
{
	*r = (struct reply){
	    .resp = CTRWATCH__CONTAINERD__GET_CONTAINER_RESPONSE__INIT,
	    .ct = CTRWATCH__CONTAINERD__CONTAINER__INIT,
	    .spec = CTRWATCH__CONTAINERD__ANY__INIT,
	    .created = CTRWATCH__CONTAINERD__TIMESTAMP__INIT,
	};
	for (size_t i = 0; i < n; i++) {
		r->entries[i] =
		    (Ctrwatch__Containerd__StringEntry)CTRWATCH__CONTAINERD__STRING_ENTRY__INIT;
		r->entries[i].key = (char *)kv[i][0];
		r->entries[i].value = (char *)kv[i][1];
		r->labels[i] = &r->entries[i];
	}
	r->ct.id = "web";
	r->ct.image = "docker.io/library/busybox:1";
	r->ct.labels = r->labels;
	r->ct.n_labels = n;
	r->spec.value.data = (uint8_t *)spec_json;
	r->spec.value.len = strlen(spec_json);
	r->ct.spec = &r->spec;
	r->created.seconds = 1764600000;
	r->created.nanos = 5;
	r->ct.created_at = &r->created;
	r->resp.container = &r->ct;
	r->len = ctrwatch__containerd__get_container_response__pack(&r->resp, r->buf);
}

int main(void)
{
	char err[CONTAINERD_ERROR_MAX];
	struct container_meta m;
	struct reply r;

	SUBTEST ("fields, spec cgroupsPath, name and pod from labels") {
		static const char *const kv[][2] = {{"io.kubernetes.container.name", "app"},
						    {"io.kubernetes.pod.uid", "u-1"}};

		build(&r, kv, 2, "{\"linux\":{\"cgroupsPath\":\"/default/web\"}}");
		ASSERT_EQ(containerd_decode_container(r.buf, r.len, "default", &m, err), 0);
		ASSERT_STREQ(m.namespace, "default");
		ASSERT_STREQ(m.name, "app");
		ASSERT_STREQ(m.pod_uid, "u-1");
		ASSERT_STREQ(m.image, "docker.io/library/busybox:1");
		ASSERT_STREQ(m.cgroups_path, "/default/web");
		ASSERT_EQ(m.created_ns, 1764600000ull * 1000000000ull + 5);
		container_meta_free(&m);
	}
	SUBTEST ("the CRI plugin's annotations give the pod and the name, over the labels") {
		static const struct {
			const char *name, *spec;
			const char *kv[2][2];
			size_t n;
			const char *want_name, *pod_name, *pod_ns, *pod_uid;
		} cases[] = {
		    {"annotations only (a CRI client without the kubelet's labels)",
		     "{\"annotations\":{\"io.kubernetes.cri.sandbox-name\":\"p\","
		     "\"io.kubernetes.cri.sandbox-namespace\":\"ns\","
		     "\"io.kubernetes.cri.sandbox-uid\":\"u-2\","
		     "\"io.kubernetes.cri.container-name\":\"app\"}}",
		     {{"x", "y"}},
		     1,
		     "app",
		     "p",
		     "ns",
		     "u-2"},
		    {"labels only (no spec annotations)",
		     "{}",
		     {{"io.kubernetes.pod.name", "lp"}, {"io.kubernetes.container.name", "lc"}},
		     2,
		     "lc",
		     "lp",
		     NULL,
		     NULL},
		    {"both, disagreeing: the runtime's record wins",
		     "{\"annotations\":{\"io.kubernetes.cri.sandbox-name\":\"real\","
		     "\"io.kubernetes.cri.container-name\":\"real-app\"}}",
		     {{"io.kubernetes.pod.name", "claimed"}, {"io.kubernetes.container.name", "x"}},
		     2,
		     "real-app",
		     "real",
		     NULL,
		     NULL},
		    {"empty or non-string annotations are not taken",
		     "{\"annotations\":{\"io.kubernetes.cri.sandbox-name\":\"\","
		     "\"io.kubernetes.cri.container-name\":7}}",
		     {{"io.kubernetes.pod.name", "lp"}},
		     1,
		     "web",
		     "lp",
		     NULL,
		     NULL},
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			build(&r, cases[i].kv, cases[i].n, cases[i].spec);
			ASSERT_EQ(containerd_decode_container(r.buf, r.len, "k8s.io", &m, err), 0);
			ASSERT_STREQ(m.name, cases[i].want_name);
			ASSERT_STREQ(m.pod_name, cases[i].pod_name);
			if (cases[i].pod_ns)
				ASSERT_STREQ(m.pod_namespace, cases[i].pod_ns);
			else
				ASSERT_TRUE(m.pod_namespace == NULL);
			if (cases[i].pod_uid)
				ASSERT_STREQ(m.pod_uid, cases[i].pod_uid);
			else
				ASSERT_TRUE(m.pod_uid == NULL);
			container_meta_free(&m);
		}
	}
	SUBTEST ("a repeated label key is one label: the last value wins") {
		static const char *const kv[][2] = {
		    {"role", "web"}, {"io.kubernetes.pod.name", "a"}, {"role", "admin"}};

		build(&r, kv, 3, "{}");
		ASSERT_EQ(containerd_decode_container(r.buf, r.len, "k8s.io", &m, err), 0);
		ASSERT_EQ(m.n_labels, 2);
		ASSERT_STREQ(container_meta_label(&m, "role"), "admin");
		ASSERT_STREQ(m.pod_name, "a");
		ASSERT_TRUE(m.cgroups_path == NULL);
		container_meta_free(&m);
	}
	SUBTEST ("keys that differ only in bytes that are not UTF-8 print alike: one label") {
		static const char *const kv[][2] = {
		    {"k\xa7", "1"}, {"k\x87", "2"}, {"k\xef\xbf\xbd", "3"}};

		build(&r, kv, 3, "not json");
		ASSERT_EQ(containerd_decode_container(r.buf, r.len, "k8s.io", &m, err), 0);
		ASSERT_EQ(m.n_labels, 1);
		ASSERT_STREQ(m.labels[0].key, "k\xef\xbf\xbd");
		ASSERT_STREQ(m.labels[0].value, "3");
		container_meta_free(&m);
	}
	SUBTEST ("bytes that are no reply, and a reply with no container, are refused") {
		static const uint8_t junk[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f};
		Ctrwatch__Containerd__GetContainerResponse empty =
		    CTRWATCH__CONTAINERD__GET_CONTAINER_RESPONSE__INIT;
		uint8_t buf[16];

		ASSERT_EQ(containerd_decode_container(junk, sizeof(junk), "x", &m, err), -EPROTO);
		ASSERT_STREQ(err, "Get: undecodable reply");
		ASSERT_EQ(containerd_decode_container(
			      buf, ctrwatch__containerd__get_container_response__pack(&empty, buf),
			      "x", &m, err),
			  -EPROTO);
		ASSERT_STREQ(err, "Get: empty reply");
	}
	return test_summary("test_containerd_decode");
}
