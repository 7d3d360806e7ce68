// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A container's labels are its user's: CPU per label to decode a Docker list reply holding N of
 * them (engine_decode_container: every label read, 512 kept) and to encode the kept ones as an
 * ECS line (dedotted and sorted), for N from 1 000 to 160 000. Linear work keeps the ns per
 * label flat as N grows a hundredfold; a return to comparing labels pairwise multiplies it.
 * Prints one JSON object: {"<N>": ns of CPU per label, ...}.
 * usage: labels_cost
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enrich/engine_decode.h"
#include "enrich/enrichment.h"
#include "output/event_format.h"
#include "output/json_writer.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A Docker list reply whose one container has n labels, keys given high to low. */
static char *reply_with_labels(size_t n, size_t *len)
{
	size_t cap = 64 + n * 24;
	char *json = malloc(cap);

	if (!json)
		return NULL;
	*len = snprintf(json, cap, "[{\"Id\":\"" ID "\",\"Names\":[\"/x\"],\"Labels\":{");
	for (size_t i = 0; i < n; i++)
		*len +=
		    snprintf(json + *len, cap - *len, "%s\"k%06zu\":\"v\"", i ? "," : "", n - i);
	*len += snprintf(json + *len, cap - *len, "}}]");
	return json;
}

/* ns of CPU per label given, decode and encode, or -1 on a failure. */
static double cost_per_label(size_t n)
{
	char err[ENGINE_ERROR_MAX], *image_id = NULL;
	struct container_meta m;
	struct enrichment en = {.state = ENRICHMENT_COMPLETE, .meta = &m};
	struct container_ident ident = {.form = CGROUP_FORM_DOCKER_CGROUPFS};
	struct event ev = {.kind = EVENT_CONTAINER_START, .enrichment = &en};
	struct json_writer w;
	size_t len;
	char *json = reply_with_labels(n, &len);
	uint64_t start;
	double ns = -1;

	if (!json)
		return -1;
	strcpy(ident.id, ID);
	ev.container = container_new(1, "/docker/" ID, false, &ident);
	json_writer_init(&w);
	start = cpu_ns();
	if (ev.container && !engine_decode_container(json, len, ID, NULL, &m, &image_id, err)) {
		event_encoder_get(EVENT_FORMAT_ECS)->event(&w, &ev, "host");
		ns = (double)(cpu_ns() - start) / n;
		container_meta_free(&m);
		free(image_id);
	}
	json_writer_free(&w);
	container_put(ev.container);
	free(json);
	return ns;
}

int main(void)
{
	static const size_t sizes[] = {1000, 10000, 100000, 160000};

	printf("{");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		printf("%s\"%zu\":%.1f", i ? "," : "", sizes[i], cost_per_label(sizes[i]));
	printf("}\n");
	return 0;
}
