// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: raw bytes as what a Docker or Podman socket answered. The first byte sets
 * the size of the pieces the rest arrives in; the HTTP response is parsed (http-parser), its
 * body decoded as a container inspect (with what it declares the container may do) and as an
 * image inspect (names, labels, images and mounts are the user's), and an event encoded in every
 * --format. Nothing may crash or leak, and each event must be one JSON object on one line, no key
 * twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_line.h"
#include "enrich/engine_decode.h"
#include "enrich/enrichment.h"
#include "enrich/http_unix.h"
#include "filter/policy.h"
#include "output/event_format.h"

#define FUZZ_ID "4320560b8d20f02643c6e59af188f24e7ad7b239c3ecfbdbd3fb6b62b9f95ac0"

static void encode(struct container_meta *m)
{
	struct enrichment enrichment = {.state = ENRICHMENT_COMPLETE, .meta = m};
	struct container_ident ident;
	struct json_writer w;
	struct container *c;
	struct event ev;

	cgroup_classify("/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			&ident);
	c = container_new(42, "/docker/x", false, &ident);
	enrichment.sandbox = policy_is_sandbox(&ident, m);
	ev = (struct event){
	    .kind = EVENT_CONTAINER_CREATE, .container = c, .enrichment = &enrichment};
	json_writer_init(&w);
	fuzz_check_every_format(&w, &ev);
	json_writer_free(&w);
	event_release(&ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_reply_parser *p;
	struct http_reply reply = {0};
	char err[ENGINE_ERROR_MAX], *image_id = NULL, *digest = NULL, *parent = NULL;
	bool systemd;
	struct container_meta m;
	size_t step;
	int rc = 0;

	if (size < 1)
		return 0;
	step = data[0] % 64 + 1;
	p = http_reply_parser_new(1 << 20);
	for (size_t off = 1; off < size && rc == 0; off += step)
		rc = http_reply_parser_feed(p, (const char *)data + off,
					    size - off < step ? size - off : step, err);
	if (rc == 0)
		rc = http_reply_parser_feed(p, NULL, 0, err);
	if (rc == 1)
		http_reply_parser_take(p, &reply);
	http_reply_parser_free(p);
	if (rc != 1)
		return 0;
	/* the id of the committed corpus' replies */
	if (engine_decode_container(reply.body, reply.len, FUZZ_ID, "moby", &m, &image_id, err) ==
	    0) {
		encode(&m);
		(void)engine_decode_image_digest(reply.body, reply.len, m.image, &digest, err);
		container_meta_free(&m);
	}
	/*
	 * where the engine puts a container: /info's driver, an inspect's cgroup parent; and what
	 * the inspect declares the container may do, encoded (mounts' paths are the user's)
	 */
	memset(&m, 0, sizeof(m));
	if (engine_decode_inspect(reply.body, reply.len, FUZZ_ID,
				  data[0] & 1 ? DECLARED_ENGINE_PODMAN : DECLARED_ENGINE_OCI,
				  &parent, &m) == 0) {
		if (parent)
			(void)container_meta_cgroup_matches(parent, "/docker/" FUZZ_ID);
		encode(&m);
		container_meta_free(&m);
	}
	(void)engine_decode_cgroup_driver(reply.body, reply.len, &systemd);
	free(parent);
	free(image_id);
	free(digest);
	http_reply_free(&reply);
	return 0;
}
