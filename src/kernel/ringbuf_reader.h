/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_RINGBUF_READER_H
#define CTRWATCH_RINGBUF_READER_H

#include <stddef.h>

/* Reads the records the kernel programs queue in their ring buffer, in order. */
struct ringbuf_reader;

/* Called for each record; returning non-zero stops the drain. */
typedef int (*ringbuf_record_fn)(void *ctx, const void *record, size_t size);

/* Returns NULL with errno set. */
struct ringbuf_reader *ringbuf_reader_open(int map_fd, ringbuf_record_fn fn, void *ctx);
/* Readable when the kernel woke the reader. */
int ringbuf_reader_epoll_fd(const struct ringbuf_reader *r);
/* Reads every queued record without waiting. Returns 0, the callback's error, or -errno. */
int ringbuf_reader_drain(struct ringbuf_reader *r);
void ringbuf_reader_close(struct ringbuf_reader *r);

#endif
