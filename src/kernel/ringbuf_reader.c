// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <bpf/libbpf.h>

#include "kernel/ringbuf_reader.h"

struct ringbuf_reader {
	struct ring_buffer *rb;
	ringbuf_record_fn fn;
	void *ctx;
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct ringbuf_reader *r = ctx;

	return r->fn(r->ctx, data, size);
}

struct ringbuf_reader *ringbuf_reader_open(int map_fd, ringbuf_record_fn fn, void *ctx)
{
	struct ringbuf_reader *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return NULL;
	r->fn = fn;
	r->ctx = ctx;
	r->rb = ring_buffer__new(map_fd, on_record, r, NULL);
	if (!r->rb) {
		err = errno;
		free(r);
		errno = err;
		return NULL;
	}
	return r;
}

int ringbuf_reader_epoll_fd(const struct ringbuf_reader *r)
{
	return ring_buffer__epoll_fd(r->rb);
}

int ringbuf_reader_drain(struct ringbuf_reader *r)
{
	int n = ring_buffer__consume(r->rb);

	return n < 0 ? n : 0;
}

void ringbuf_reader_close(struct ringbuf_reader *r)
{
	if (!r)
		return;
	ring_buffer__free(r->rb);
	free(r);
}
