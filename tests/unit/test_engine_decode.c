// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * enrich/engine_decode.c: Docker's and Podman's inspect replies (trimmed from what Docker 20.10
 * and Podman 4.3 answered here) into container meta; the image digest out of RepoDigests; the
 * RFC 3339 times they carry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "enrich/engine_decode.h"
#include "test.h"

/* the tables leave the fields a case does not check zero */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define ID  "d23e7bf2babaffd6f88d585a9ea35bf73684f66efffef68b8b5267c157565d53"
#define IMG "sha256:15a71f089f6995fa279b5297a7de8c5908057525937b82e8188525c395065399"

static const struct container_case {
	const char *name;
	const char *json;
	const char *namespace;
	int rc;
	const char *want_name, *want_image, *want_image_id, *want_runtime;
	size_t n_labels;
	const char *label_key, *label_value; /* one label to check, or NULL */
	uint64_t created_ns;
} container_cases[] = {
    {"docker",
     "{\"Id\":\"" ID "\",\"Created\":\"2026-12-02T08:51:45.690473397Z\",\"Name\":\"/web\","
     "\"Image\":\"" IMG "\",\"Config\":{\"Image\":\"shop/web:1\",\"Labels\":"
     "{\"com.docker.compose.project\":\"shop\",\"com.docker.compose.service\":\"web\"}},"
     "\"HostConfig\":{\"Runtime\":\"runc\"}}",
     "moby", 0, "web", "shop/web:1", IMG, "runc", 2, "com.docker.compose.project", "shop",
     1796201505690473397ull},
    {"podman: no leading slash, offset time, no namespace",
     "{\"Id\":\"" ID "\",\"Created\":\"2026-12-02T09:51:45.5+01:00\",\"Name\":\"pm\",\"Image\":"
     "\"" IMG "\",\"Config\":{\"Image\":\"localhost/pm:1\",\"Labels\":{}},"
     "\"HostConfig\":{\"Runtime\":\"oci\"}}",
     NULL, 0, "pm", "localhost/pm:1", IMG, "oci", 0, NULL, NULL, 1796201505500000000ull},
    {"labels null, no config image: the image id is the image",
     "{\"Id\":\"" ID "\",\"Name\":\"/x\",\"Image\":\"" IMG "\",\"Config\":{\"Labels\":null}}",
     "moby", 0, "x", IMG, IMG, NULL, 0},
    {"a Kubernetes name label wins over Docker's name (dockershim)",
     "{\"Id\":\"" ID "\",\"Name\":\"/k8s_app_web\",\"Config\":{\"Labels\":"
     "{\"io.kubernetes.container.name\":\"app\"}}}",
     "moby", 0, "app", NULL, NULL, NULL, 1, "io.kubernetes.container.name", "app"},
    {"no name: the id", "{\"Id\":\"" ID "\",\"Config\":{}}", "moby", 0, ID, NULL, NULL, NULL, 0},
    {"a label value with U+0000 keeps what follows it",
     "{\"Id\":\"" ID "\",\"Name\":\"/x\",\"Config\":{\"Labels\":{\"k\":\"a\\u0000\\nb\"}}}", "moby",
     0, "x", NULL, NULL, NULL, 1, "k", "a\xef\xbf\xbd\nb"},
    {"a key given twice keeps its last value",
     "{\"Id\":\"" ID "\",\"Name\":\"/x\",\"Config\":{\"Labels\":{\"k\":\"1\",\"k\":\"2\"}}}",
     "moby", 0, "x", NULL, NULL, NULL, 1, "k", "2"},
    {"labels that are not strings are none",
     "{\"Id\":\"" ID "\",\"Name\":\"/x\",\"Config\":{\"Labels\":{\"n\":1,\"o\":{},\"s\":\"v\"}}}",
     "moby", 0, "x", NULL, NULL, NULL, 1, "s", "v"},
    {"fields of the wrong type are absent",
     "{\"Id\":\"" ID "\",\"Name\":7,\"Image\":[],\"Created\":5,\"Config\":\"x\",\"HostConfig\":1}",
     "moby", 0, ID, NULL, NULL, NULL, 0},
    {"a bad Created is no time", "{\"Id\":\"" ID "\",\"Created\":\"yesterday\"}", "moby", 0, ID},
    {"no Id", "{\"Name\":\"/x\"}", "moby", -EPROTO},
    {"an inspect of another container", "{\"Id\":\"0" ID "\"}", "moby", -EPROTO},
    {"a list entry, as Docker answers it from its snapshot",
     "[{\"Id\":\"" ID "\",\"Names\":[\"/web\"],\"Image\":\"shop/web:1\",\"ImageID\":\"" IMG
     "\",\"Command\":\"sh\",\"Created\":1796201505,\"Labels\":{\"a\":\"b\"},"
     "\"State\":\"created\",\"HostConfig\":{\"NetworkMode\":\"none\"}}]",
     "moby", 0, "web", "shop/web:1", IMG, NULL, 1, "a", "b", 1796201505000000000ull},
    {"a list: the entry with this id, not one it prefixes",
     "[{\"Id\":\"" ID "0\",\"Names\":[\"/longer\"]},{\"Id\":\"" ID "\",\"Names\":[\"/this\"]}]",
     "moby", 0, "this"},
    {"a list entry without names or labels", "[{\"Id\":\"" ID "\",\"Names\":[]}]", NULL, 0, ID},
    {"a list without it", "[{\"Id\":\"" ID "0\"}]", "moby", -ENOENT},
    {"an empty list", "[]", "moby", -ENOENT},
    {"a list of what is not containers", "[1,2]", "moby", -ENOENT},
    {"neither", "\"x\"", "moby", -EPROTO},
    {"not JSON", "<html>", "moby", -EPROTO},
    {"a key with U+0000 makes the reply undecodable",
     "{\"Id\":\"" ID "\",\"Config\":{\"Labels\":{\"a\\u0000b\":\"v\"}}}", "moby", -EPROTO},
};

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static void test_containers(void)
{
	for (size_t i = 0; i < sizeof(container_cases) / sizeof(container_cases[0]); i++) {
		const struct container_case *c = &container_cases[i];
		char err[ENGINE_ERROR_MAX] = "", *image_id = NULL;
		struct container_meta m;

		SUBTEST (c->name) {
			int rc = engine_decode_container(c->json, strlen(c->json), ID, c->namespace,
							 &m, &image_id, err);

			ASSERT_EQ(rc, c->rc);
			if (rc == 0) {
				ASSERT_STREQ(or_empty(m.name), c->want_name);
				ASSERT_STREQ(or_empty(m.image), or_empty(c->want_image));
				ASSERT_STREQ(or_empty(image_id), or_empty(c->want_image_id));
				ASSERT_STREQ(or_empty(m.runtime_handler),
					     or_empty(c->want_runtime));
				ASSERT_STREQ(or_empty(m.namespace), or_empty(c->namespace));
				ASSERT_EQ(m.n_labels, c->n_labels);
				ASSERT_EQ(m.created_ns, c->created_ns);
				if (c->label_key)
					ASSERT_STREQ(
					    or_empty(container_meta_label(&m, c->label_key)),
					    c->label_value);
			} else {
				ASSERT_TRUE(rc == -ENOENT || err[0] != '\0');
				ASSERT_TRUE(m.name == NULL && image_id == NULL);
			}
		}
		container_meta_free(&m);
		free(image_id);
	}
}

#define D1 "sha256:61eb9bee03a941ad5e06431b67dc3e8fce745c9051fb2632065e46b561ac7cb2"
#define D2 "sha256:9603f045b1fb95d277152b403234db6b3c70c1fc08f7bcc41872490f153f7907"

static const struct digest_case {
	const char *name;
	const char *json;
	const char *image;
	int rc;
	const char *digest; /* NULL: none */
} digest_cases[] = {
    {"the entry of the image's repository",
     "{\"RepoDigests\":[\"other/x@" D2 "\",\"localhost/pm@" D1 "\"]}", "localhost/pm:1", 0, D1},
    {"a registry with a port is no tag",
     "{\"RepoDigests\":[\"r:5000/a@" D2 "\",\"r:5000/b@" D1 "\"]}", "r:5000/b", 0, D1},
    {"no entry of its repository: the first",
     "{\"RepoDigests\":[\"other/x@" D2 "\",\"more/y@" D1 "\"]}", "localhost/pm:1", 0, D2},
    {"a repository that only starts like the image's is another",
     "{\"RepoDigests\":[\"busybox@" D2 "\",\"busybox-extra@" D1 "\"]}", "busybox-extra:1", 0, D1},
    {"never pulled: none", "{\"RepoDigests\":[]}", "local/img:1", 0, NULL},
    {"no RepoDigests: none", "{\"Id\":\"x\"}", "local/img:1", 0, NULL},
    {"entries that are no digests are skipped",
     "{\"RepoDigests\":[7,\"plain\",\"a@md5:00\",\"a@" D1 "\"]}", "a", 0, D1},
    {"not JSON", "nope", "a", -EPROTO, NULL},
};

static void test_digests(void)
{
	for (size_t i = 0; i < sizeof(digest_cases) / sizeof(digest_cases[0]); i++) {
		const struct digest_case *c = &digest_cases[i];
		char err[ENGINE_ERROR_MAX] = "", *digest = NULL;

		SUBTEST (c->name) {
			ASSERT_EQ(engine_decode_image_digest(c->json, strlen(c->json), c->image,
							     &digest, err),
				  c->rc);
			ASSERT_STREQ(or_empty(digest), or_empty(c->digest));
		}
		free(digest);
	}
}

/* GET /info's cgroup driver and an inspect's cgroup parent: where the engine puts a container */
static const struct cgroup_case {
	const char *name;
	const char *json;
	int rc;
	int systemd;	    /* driver cases: 1, 0; -1: a parent case */
	const char *parent; /* parent cases: expected, NULL for none */
} cgroup_cases[] = {
    {"driver systemd", "{\"CgroupDriver\":\"systemd\",\"CgroupVersion\":\"2\"}", 0, 1},
    {"driver cgroupfs", "{\"CgroupDriver\":\"cgroupfs\"}", 0, 0},
    {"driver none is not systemd", "{\"CgroupDriver\":\"none\"}", 0, 0},
    {"driver absent", "{\"Driver\":\"overlay2\"}", -EPROTO, 0},
    {"driver not a string", "{\"CgroupDriver\":1}", -EPROTO, 0},
    {"driver of no JSON", "<html>", -EPROTO, 0},
    {"parent given", "{\"Id\":\"" ID "\",\"HostConfig\":{\"CgroupParent\":\"/ci\"}}", 0, -1, "/ci"},
    {"parent empty is the default", "{\"Id\":\"" ID "\",\"HostConfig\":{\"CgroupParent\":\"\"}}", 0,
     -1, NULL},
    {"parent absent is the default", "{\"Id\":\"" ID "\",\"HostConfig\":{}}", 0, -1, NULL},
    {"parent of another container", "{\"Id\":\"x\",\"HostConfig\":{\"CgroupParent\":\"/ci\"}}",
     -EPROTO, -1, NULL},
    {"parent without HostConfig", "{\"Id\":\"" ID "\"}", -EPROTO, -1, NULL},
    {"parent of a list", "[{\"Id\":\"" ID "\"}]", -EPROTO, -1, NULL},
};

static void test_cgroups(void)
{
	for (size_t i = 0; i < sizeof(cgroup_cases) / sizeof(cgroup_cases[0]); i++) {
		const struct cgroup_case *c = &cgroup_cases[i];
		char *parent = NULL;
		bool systemd = false;

		SUBTEST (c->name) {
			if (c->systemd >= 0) {
				ASSERT_EQ(
				    engine_decode_cgroup_driver(c->json, strlen(c->json), &systemd),
				    c->rc);
				ASSERT_EQ(systemd, c->systemd == 1);
			} else {
				struct container_meta m = {0};

				ASSERT_EQ(engine_decode_inspect(c->json, strlen(c->json), ID,
								DECLARED_ENGINE_OCI, &parent, &m),
					  c->rc);
				ASSERT_STREQ(or_empty(parent), or_empty(c->parent));
				container_meta_free(&m);
			}
		}
		free(parent);
	}
}

/* An inspect's NetworkSettings: where the container can be reached. */
static const struct address_case {
	const char *name;
	const char *settings; /* NetworkSettings' JSON */
	const char *want;     /* the addresses, canonical, comma-separated */
} address_cases[] = {
    {"a user network: its v4 and v6",
     "{\"Networks\":{\"shop\":{\"IPAddress\":\"172.30.0.2\",\"GlobalIPv6Address\":"
     "\"fd00:0::2\"}}}",
     "172.30.0.2,fd00::2"},
    {"the default bridge: top-level and its network, said once",
     "{\"IPAddress\":\"172.17.0.2\",\"GlobalIPv6Address\":\"\",\"Networks\":{\"bridge\":"
     "{\"IPAddress\":\"172.17.0.2\"}}}",
     "172.17.0.2"},
    {"two networks",
     "{\"Networks\":{\"a\":{\"IPAddress\":\"10.1.0.2\"},\"b\":{\"IPAddress\":"
     "\"10.2.0.2\"}}}",
     "10.1.0.2,10.2.0.2"},
    {"host and none networks: no address", "{\"Networks\":{\"host\":{\"IPAddress\":\"\"}}}", ""},
    {"what is no address is left out",
     "{\"IPAddress\":\"1.2.3.4\\n{\\\"x\\\":1}\",\"Networks\":{\"n\":{\"IPAddress\":7},"
     "\"m\":{\"IPAddress\":\"10.0.0.300\"},\"k\":{\"IPAddress\":\"10.0.0.3\"}}}",
     "10.0.0.3"},
    {"no NetworkSettings", "null", ""},
    {"Networks not an object", "{\"Networks\":[\"10.0.0.1\"]}", ""},
};

static void test_addresses(void)
{
	char json[512], text[ADDRESS_TEXT_MAX], got[256];

	for (size_t i = 0; i < sizeof(address_cases) / sizeof(address_cases[0]); i++) {
		const struct address_case *c = &address_cases[i];
		struct container_meta m = {0};
		char *parent = NULL;

		SUBTEST (c->name) {
			snprintf(json, sizeof(json),
				 "{\"Id\":\"" ID "\",\"HostConfig\":{},\"NetworkSettings\":%s}",
				 c->settings);
			ASSERT_EQ(engine_decode_inspect(json, strlen(json), ID, DECLARED_ENGINE_OCI,
							&parent, &m),
				  0);
			got[0] = '\0';
			for (uint8_t k = 0; k < m.addresses.n; k++) {
				addresses_format(&m.addresses.addr[k], text);
				snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
					 k ? "," : "", text);
			}
			ASSERT_STREQ(got, c->want);
			container_meta_free(&m);
			free(parent);
		}
	}
}

/* A container's labels are its user's: 160 000 of them (1.7 MB) stay in bounds, in linear time. */
static void test_many_labels(void)
{
	size_t n = 160000, cap = 64 + n * 24;
	char *json = malloc(cap), *image_id = NULL, err[ENGINE_ERROR_MAX];
	struct container_meta m;
	size_t len;

	len = snprintf(json, cap, "[{\"Id\":\"" ID "\",\"Names\":[\"/x\"],\"Labels\":{");
	for (size_t i = 0; i < n; i++)
		len += snprintf(json + len, cap - len, "%s\"k%06zu\":\"v\"", i ? "," : "", n - i);
	len += snprintf(json + len, cap - len, "}}]");
	SUBTEST ("160 000 labels: 512 kept, the first keys in order, labels_truncated") {
		ASSERT_EQ(engine_decode_container(json, len, ID, NULL, &m, &image_id, err), 0);
		ASSERT_EQ(m.n_labels, LABELS_MAX);
		ASSERT_TRUE(m.labels_truncated);
		/* the first 512 given (keys 160000 down), sorted by key */
		ASSERT_STREQ(m.labels[0].key, "k159489");
		ASSERT_STREQ(m.labels[LABELS_MAX - 1].key, "k160000");
		container_meta_free(&m);
		free(image_id);
	}
	free(json);
}

static const struct label_case {
	const char *name;
	const char *json;
	size_t n;
	const char *keys; /* the kept keys, in order, with their values: "k=v k=v" */
	bool truncated;
} label_cases[] = {
    {"a key given twice keeps its last value", "{\"b\":\"1\",\"a\":\"2\",\"b\":\"3\"}", 2,
     "a=2 b=3", false},
    {"keys that print alike are one", "{\"k\\u00e9\":\"1\",\"k\\u00e9\":\"2\"}", 1, "k\xc3\xa9=2",
     false},
    {"no labels", "{}", 0, "", false},
    {"past 64 KiB of keys and values the rest is left out", NULL, 0, NULL, true},
};

static void test_labels(void)
{
	for (size_t i = 0; i < sizeof(label_cases) / sizeof(label_cases[0]); i++) {
		const struct label_case *c = &label_cases[i];
		char json[160000], got[512] = "", *image_id = NULL, err[ENGINE_ERROR_MAX];
		struct container_meta m;
		size_t len;

		if (c->json) {
			len = snprintf(json, sizeof(json),
				       "[{\"Id\":\"" ID "\",\"Names\":[\"/x\"],\"Labels\":%s}]",
				       c->json);
		} else { /* three of 30 000 bytes each: two fit in 64 KiB */
			char v[30001];

			memset(v, 'v', 30000);
			v[30000] = '\0';
			len =
			    snprintf(json, sizeof(json),
				     "[{\"Id\":\"" ID
				     "\",\"Names\":[\"/x\"],\"Labels\":{\"a\":\"%s\",\"b\":\"%s\","
				     "\"c\":\"%s\"}}]",
				     v, v, v);
		}
		SUBTEST (c->name) {
			ASSERT_EQ(engine_decode_container(json, len, ID, NULL, &m, &image_id, err),
				  0);
			ASSERT_EQ(m.labels_truncated, c->truncated);
			if (c->keys) {
				ASSERT_EQ(m.n_labels, c->n);
				for (size_t j = 0; j < m.n_labels; j++)
					snprintf(got + strlen(got), sizeof(got) - strlen(got),
						 "%s%s=%s", j ? " " : "", m.labels[j].key,
						 m.labels[j].value);
				ASSERT_STREQ(got, c->keys);
			} else {
				ASSERT_EQ(m.n_labels, 2);
			}
			container_meta_free(&m);
			free(image_id);
		}
	}
}

static const struct time_case {
	const char *s;
	int rc;
	uint64_t ns;
} time_cases[] = {
    {"1970-01-01T00:00:00Z", 0, 0},
    {"2026-12-02T08:51:45.690473397Z", 0, 1796201505690473397ull},
    {"2026-12-02T08:51:45.6904733971234Z", 0, 1796201505690473397ull}, /* past ns: dropped */
    {"2026-12-02T10:51:45Z", 0, 1796208705000000000ull},
    {"2026-12-02T12:51:45+02:00", 0, 1796208705000000000ull},
    {"2026-12-02T08:51:45-02:00", 0, 1796208705000000000ull},
    {"0001-01-01T00:00:00Z", -EINVAL}, /* Go's zero time: unknown */
    {"2026-12-02 08:51:45Z", -EINVAL},
    {"2026-12-02T08:51:45", -EINVAL},
    {"2026-12-02T08:51:45.Z", -EINVAL},
    {"2026-13-02T08:51:45Z", -EINVAL},
    {"2026-12-02T08:51:45+2:00", -EINVAL},
    {"2026-12-02T08:51:45Zjunk", -EINVAL},
    {"", -EINVAL},
};

static void test_times(void)
{
	for (size_t i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
		const struct time_case *c = &time_cases[i];
		uint64_t ns = 0;

		SUBTEST (c->s) {
			ASSERT_EQ(clock_parse_rfc3339(c->s, &ns), c->rc);
			if (c->rc == 0)
				ASSERT_EQ(ns, c->ns);
		}
	}
}

int main(void)
{
	test_containers();
	test_digests();
	test_cgroups();
	test_addresses();
	test_labels();
	test_many_labels();
	test_times();
	return test_summary("test_engine_decode");
}
