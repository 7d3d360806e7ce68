// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /metrics text, /healthz logic and --metrics-address parsing. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "metrics/metrics.h"
#include "metrics/metrics_server.h"
#include "test.h"

struct address_case {
	const char *in;
	int err;
	int family;
	int port;
};

static const struct address_case addresses[] = {
    {"127.0.0.1:9469", 0, AF_INET, 9469},
    {":9469", 0, AF_INET6, 9469}, /* every address: IPv6's, open to IPv4 too */
    {"0.0.0.0:1", 0, AF_INET, 1},
    {"[::1]:9469", 0, AF_INET6, 9469},
    {"[::]:65535", 0, AF_INET6, 65535},
    {"127.0.0.1", -22, 0, 0},
    {"127.0.0.1:", -22, 0, 0},
    {"127.0.0.1:0", -22, 0, 0},
    {"127.0.0.1:65536", -22, 0, 0},
    {"127.0.0.1:-1", -22, 0, 0},
    {"127.0.0.1:+80", -22, 0, 0},
    {"127.0.0.1:80x", -22, 0, 0},
    {"localhost:9469", -22, 0, 0}, /* numeric only: nothing resolves at startup */
    {"::1:9469", -22, 0, 0},	   /* IPv6 in brackets */
    {"[127.0.0.1]:9469", -22, 0, 0},
    {"", -22, 0, 0},
};

struct peer_case {
	const char *name, *a, *b;
	bool same;
};

/* Whose share a connection counts against: an IPv4 address, or an IPv6 /64. */
static const struct peer_case peers[] = {
    {"one IPv4 address", "127.0.0.1", "127.0.0.1", true},
    {"two IPv4 addresses", "127.0.0.1", "127.0.0.2", false},
    {"an IPv4 client of the dual-stack socket is its IPv4 address", "::ffff:127.0.0.1", "127.0.0.1",
     true},
    {"two IPv4 clients of the dual-stack socket are two", "::ffff:10.0.0.1", "::ffff:10.0.0.2",
     false},
    {"one IPv6 /64", "2001:db8:1:2::1", "2001:db8:1:2:ffff::9", true},
    {"two IPv6 /64s", "2001:db8:1:2::1", "2001:db8:1:3::1", false},
    {"loopback", "::1", "::1", true},
    {"IPv6 is not IPv4", "::1", "127.0.0.1", false},
    {"an IPv6 /64 holding the mapped prefix is not every IPv4 client", "::ffff:0:0",
     "::ffff:10.0.0.2", false},
};

static void peer_address(const char *text, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(text, ':')) {
		ss->ss_family = AF_INET6;
		inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)ss)->sin6_addr);
	} else {
		ss->ss_family = AF_INET;
		inet_pton(AF_INET, text, &((struct sockaddr_in *)ss)->sin_addr);
	}
}

static long twelve(void *ctx)
{
	(void)ctx;
	return 12;
}

static bool has_line(const char *text, const char *line)
{
	const char *p = strstr(text, line);

	return p && (p == text || p[-1] == '\n') && p[strlen(line)] == '\n';
}

int main(void)
{
	static char text[65536];
	struct metrics_static facts = {.version = "v1\"x",
				       .kernel = "6.18",
				       .hierarchy = "cgroup2",
				       .format = "ecs",
				       .lifecycle_ringbuf_size = 1 << 20,
				       .exec_ringbuf_size = 8 << 20,
				       .max_cgroups = 16384};
	const char *why;

	for (size_t i = 0; i < sizeof(addresses) / sizeof(addresses[0]); i++) {
		SUBTEST (addresses[i].in[0] ? addresses[i].in : "(empty)") {
			struct sockaddr_storage a;
			socklen_t len;
			int err = metrics_address_parse(addresses[i].in, &a, &len);

			ASSERT_EQ(err, addresses[i].err);
			if (!err) {
				ASSERT_EQ(a.ss_family, addresses[i].family);
				ASSERT_EQ(ntohs(a.ss_family == AF_INET
						    ? ((struct sockaddr_in *)&a)->sin_port
						    : ((struct sockaddr_in6 *)&a)->sin6_port),
					  addresses[i].port);
			}
		}
	}
	for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		SUBTEST (peers[i].name) {
			struct sockaddr_storage a, b;

			peer_address(peers[i].a, &a);
			peer_address(peers[i].b, &b);
			ASSERT_EQ(metrics_same_peer(&a, &b), peers[i].same);
			ASSERT_EQ(metrics_same_peer(&b, &a), peers[i].same);
		}
	}
	SUBTEST ("every address is IPv6's unspecified address") {
		struct sockaddr_storage a;
		socklen_t len;

		ASSERT_EQ(metrics_address_parse(":9469", &a, &len), 0);
		ASSERT_EQ(len, sizeof(struct sockaddr_in6));
		ASSERT_TRUE(IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&a)->sin6_addr));
	}
	SUBTEST ("counters by label, gauges, build info with its label escaped") {
		struct loss_counts lost = {.untracked = 3, .unwritten = 1};

		metrics_init(&facts);
		metrics_event_written(EVENT_CONTAINER_START, ENRICHMENT_COMPLETE);
		metrics_event_written(EVENT_CONTAINER_START, ENRICHMENT_PARTIAL);
		metrics_event_written(EVENT_PROCESS_EXEC, ENRICHMENT_UNKNOWN);
		metrics_event_dropped(METRICS_DROP_SANDBOX);
		metrics_containerd_call(METRICS_CALL_CONTAINERS_GET, true);
		metrics_containerd_call(METRICS_CALL_TASKS_GET, false);
		metrics_engine_request(METRICS_ENGINE_DOCKER, false);
		metrics_engine_request(METRICS_ENGINE_DOCKER, true);
		lost.ringbuf_full[RECORD_PROCESS_EXEC] = 7;
		metrics_set_lost(&lost);
		metrics_set_containers(4);
		metrics_set_ringbuf_queued(4096, 8192);
		metrics_set_kernel_map_counter(twelve, NULL);
		metrics_drained(1000000000ull);
		ASSERT_TRUE(metrics_render(text, sizeof(text), 3500000000ull) < sizeof(text));
		ASSERT_TRUE(
		    has_line(text, "ctrwatch_events_written_total{event=\"container_start\"} 2"));
		ASSERT_TRUE(
		    has_line(text, "ctrwatch_events_written_total{event=\"process_exec\"} 1"));
		ASSERT_TRUE(has_line(text, "ctrwatch_enrichment_total{outcome=\"none\"} 1"));
		ASSERT_TRUE(has_line(text, "ctrwatch_events_dropped_total{reason=\"sandbox\"} 1"));
		ASSERT_TRUE(has_line(text, "ctrwatch_containerd_calls_total{method=\"Tasks/Get\","
					   "result=\"error\"} 1"));
		ASSERT_TRUE(has_line(text, "ctrwatch_containerd_up 0")); /* the last call failed */
		/* an engine's series once it was asked; one never asked shows none */
		ASSERT_TRUE(has_line(text, "ctrwatch_engine_requests_total{engine=\"docker\","
					   "result=\"ok\"} 1"));
		ASSERT_TRUE(has_line(text, "ctrwatch_engine_up{engine=\"docker\"} 1"));
		ASSERT_TRUE(!strstr(text, "engine=\"podman\""));
		ASSERT_TRUE(has_line(
		    text, "ctrwatch_kernel_records_lost_total{record=\"process_exec\"} 7"));
		ASSERT_TRUE(has_line(text, "ctrwatch_kernel_cgroups_untracked_total 3"));
		ASSERT_TRUE(has_line(text, "ctrwatch_events_lost_total{cause=\"unwritten\"} 1"));
		ASSERT_TRUE(has_line(text, "ctrwatch_kernel_tracked_cgroups 12"));
		ASSERT_TRUE(has_line(text, "ctrwatch_containers_tracked 4"));
		ASSERT_TRUE(
		    has_line(text, "ctrwatch_ringbuf_queued_bytes{ring=\"lifecycle\"} 4096"));
		ASSERT_TRUE(has_line(text, "ctrwatch_ringbuf_queued_bytes{ring=\"exec\"} 8192"));
		ASSERT_TRUE(
		    has_line(text, "ctrwatch_ringbuf_size_bytes{ring=\"lifecycle\"} 1048576"));
		ASSERT_TRUE(has_line(text, "ctrwatch_ringbuf_size_bytes{ring=\"exec\"} 8388608"));
		ASSERT_TRUE(has_line(text, "ctrwatch_reader_last_drain_age_seconds 2.500"));
		ASSERT_TRUE(has_line(text,
				     "ctrwatch_build_info{version=\"v1\\\"x\",kernel=\"6.18\","
				     "hierarchy=\"cgroup2\",format=\"ecs\",pinned=\"false\"} 1"));
		ASSERT_TRUE(has_line(text, "# TYPE ctrwatch_events_written_total counter"));
	}
	SUBTEST ("a node no engine was asked on shows no engine series") {
		metrics_init(&facts);
		ASSERT_TRUE(metrics_render(text, sizeof(text), 0) < sizeof(text));
		ASSERT_TRUE(!strstr(text, "ctrwatch_engine"));
		ASSERT_TRUE(has_line(text, "ctrwatch_containerd_up 0"));
	}
	SUBTEST ("a buffer too small: the length needed, and a cut text") {
		char small[64];
		size_t need = metrics_render(small, sizeof(small), 0);

		ASSERT_TRUE(need > sizeof(small));
		ASSERT_EQ(strlen(small), sizeof(small) - 1);
	}
	SUBTEST ("healthz: attached and drained lately; else why not") {
		metrics_init(&facts);
		ASSERT_TRUE(!metrics_healthy(10, 5, &why));
		ASSERT_STREQ(why, "the programs are not attached");
		metrics_set_attached(true);
		ASSERT_TRUE(!metrics_healthy(10, 5, &why));
		ASSERT_STREQ(why, "the ring buffer has not been read yet");
		metrics_drained(100);
		ASSERT_TRUE(metrics_healthy(105, 5, &why));
		ASSERT_STREQ(why, "ok");
		ASSERT_TRUE(!metrics_healthy(106, 5, &why));
		ASSERT_STREQ(why, "the ring buffer reader is stuck");
		metrics_drained(106);
		ASSERT_TRUE(metrics_healthy(106, 5, &why));
		metrics_set_attached(false);
		ASSERT_TRUE(!metrics_healthy(106, 5, &why));
	}
	return test_summary("metrics");
}
