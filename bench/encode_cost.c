// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Userspace CPU per event by --format: one enriched container_start (a CRI container's six
 * labels, its pod, argv of three) encoded N times by each format's encoder into a line, as the
 * pipeline does before write(2). Prints one JSON object: per format, ns of CPU per event
 * (CLOCK_PROCESS_CPUTIME_ID) and the bytes of the line.
 * usage: encode_cost N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enrich/enrichment.h"
#include "output/event_format.h"

static struct container_label labels[] = {
    {"io.cri-containerd.kind", "container"},
    {"io.kubernetes.container.name", "app"},
    {"io.kubernetes.pod.name", "web-7faae"},
    {"io.kubernetes.pod.namespace", "shop"},
    {"io.kubernetes.pod.uid", "7faaeb9c-31b6-4992-b47f-eaea2937b420"},
    {"io.containerd.image.config.stop-signal", "SIGTERM"},
};

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static const char *const names[] = {"ndjson", "ecs", "ocsf"};
	long n = argc > 1 ? atol(argv[1]) : 100000;
	struct container_meta m = {
	    .namespace = "k8s.io",
	    .name = "app",
	    .image = "docker.io/library/nginx:1.27",
	    .image_digest =
		"sha256:9603f045b1fb95d277152b403234db6b3c70c1fc08f7bcc41872490f153f7907",
	    .runtime_handler = "io.containerd.runc.v2",
	    .labels = labels,
	    .n_labels = sizeof(labels) / sizeof(labels[0]),
	    .pod_name = "web-7faae",
	    .pod_namespace = "shop",
	    .pod_uid = "7faaeb9c-31b6-4992-b47f-eaea2937b420",
	};
	struct enrichment e = {.state = ENRICHMENT_COMPLETE, .meta = &m};
	static struct record_process p = {
	    .pid = 4820, .ppid = 4798, .comm = "nginx", .exe = "/usr/sbin/nginx"};
	struct container_ident ident;
	struct container *c;
	struct json_writer w;
	struct event ev;

	static const char args[] = "nginx\0-g\0daemon off;";
	memcpy(p.args, args, sizeof(args));
	p.args_len = sizeof(args);
	p.exe_len = strlen(p.exe);
	cgroup_classify("/kubepods/besteffort/pod7faaeb9c-31b6-4992-b47f-eaea2937b420/"
			"b5075c732b6c61bc4d17f001602abb44eaa66786828b8e7ff1d82e8a2806f025",
			&ident);
	c = container_new(7264,
			  "/kubepods/besteffort/pod7faaeb9c-31b6-4992-b47f-eaea2937b420/"
			  "b5075c732b6c61bc4d17f001602abb44eaa66786828b8e7ff1d82e8a2806f025",
			  false, &ident);
	if (!c)
		return 1;
	ev = (struct event){.kind = EVENT_CONTAINER_START,
			    .boot_ns = 1000,
			    .container = c,
			    .enrichment = &e,
			    .process = &p,
			    .seq = 42};
	json_writer_init(&w);
	printf("{\"events\":%ld", n);
	for (int f = EVENT_FORMAT_NDJSON; f <= EVENT_FORMAT_OCSF; f++) {
		const struct event_encoder *enc = event_encoder_get(f);
		uint64_t start = cpu_ns();

		for (long i = 0; i < n; i++) {
			json_writer_reset(&w);
			enc->event(&w, &ev, "node-1");
		}
		printf(",\"%s\":{\"cpu_ns_per_event\":%.0f,\"line_bytes\":%zu}", names[f],
		       (double)(cpu_ns() - start) / n, w.len);
	}
	printf("}\n");
	json_writer_free(&w);
	event_release(&ev);
	return 0;
}
