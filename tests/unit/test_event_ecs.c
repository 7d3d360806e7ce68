// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ECS's container.labels: dots made underscores, each key once, and which label a key carries
 * not hanging on the order the engine listed them in (containerd's labels are a Go map).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/enrichment.h"
#include "lifecycle/cgroup_path.h"
#include "lifecycle/event.h"
#include "output/event_format.h"
#include "output/json_writer.h"
#include "test.h"

#define CASE_LABELS 4

/* The ECS line's "labels":{...} object for a container with these labels, in this order. */
static void ecs_labels(const struct container_label *labels, size_t n, char *out, size_t size)
{
	struct container_label copy[CASE_LABELS];
	struct container_meta meta = {.labels = copy, .n_labels = n};
	struct enrichment en = {.state = ENRICHMENT_COMPLETE, .meta = &meta};
	struct container_ident ident;
	struct json_writer w;
	const char *start, *end;
	struct event ev = {.kind = EVENT_CONTAINER_CREATE};

	memcpy(copy, labels, n * sizeof(*labels));
	cgroup_classify("/default/web", &ident);
	ev.container = container_new(7, "/default/web", false, &ident);
	ev.enrichment = &en;
	json_writer_init(&w);
	event_encoder_get(EVENT_FORMAT_ECS)->event(&w, &ev, "host");
	start = w.buf ? strstr(w.buf, "\"labels\":{") : NULL;
	end = start ? strchr(start, '}') : NULL;
	snprintf(out, size, "%.*s", start && end ? (int)(end + 1 - start) : 0, start);
	json_writer_free(&w);
	container_put(ev.container);
}

int main(void)
{
	static const struct {
		const char *name;
		struct container_label labels[CASE_LABELS];
		size_t n;
		const char *want;
	} cases[] = {
	    {"dots made underscores",
	     {{"app.kubernetes.io/name", "web"}},
	     1,
	     "\"labels\":{\"app_kubernetes_io/name\":\"web\"}"},
	    {"the label named so wins over the one that dedots to it, listed after it",
	     {{"a.b", "dotted"}, {"a_b", "underscored"}},
	     2,
	     "\"labels\":{\"a_b\":\"underscored\"}"},
	    {"... and listed before it",
	     {{"a_b", "underscored"}, {"a.b", "dotted"}},
	     2,
	     "\"labels\":{\"a_b\":\"underscored\"}"},
	    {"of two that dedot to a key neither has, the smaller own key, in either order",
	     {{"a.b_c", "second"}, {"a_b.c", "third"}, {"a.b.c", "first"}},
	     3,
	     "\"labels\":{\"a_b_c\":\"first\"}"},
	    {"an empty key is left out", {{"", "x"}, {"k", "v"}}, 2, "\"labels\":{\"k\":\"v\"}"},
	};
	char got[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		SUBTEST (cases[i].name) {
			ecs_labels(cases[i].labels, cases[i].n, got, sizeof(got));
			ASSERT_STREQ(got, cases[i].want);
		}
	}
	return test_summary("test_event_ecs");
}
