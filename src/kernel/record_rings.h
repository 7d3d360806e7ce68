/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_RECORD_RINGS_H
#define CTRWATCH_RECORD_RINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/bpf_programs.h"
#include "kernel/ringbuf_reader.h"
#include "lifecycle/event.h"

/*
 * The ring buffers the kernel programs fill, read as one stream: the lifecycle one, the exec one
 * (with --exec), and the one of older programs taken over, left to drain. Records are handed
 * out in the order the kernel numbered them (their seq), whichever buffer holds them, so that a
 * container's exec never goes out before its start or after its remove.
 */
struct record_rings;

/* Called for each record, with the buffer it sits in and its position there. */
typedef int (*record_rings_fn)(void *ctx, const void *record, size_t size, enum event_ring ring,
			       uint64_t pos);

/* Readers on the programs' ring buffers. Returns 0 or -errno, having said why. */
int record_rings_open(struct record_rings **out, struct bpf_programs *progs, record_rings_fn fn,
		      void *ctx);
/* The reader of one ring buffer (to peek at), or NULL when there is none. */
struct ringbuf_reader *record_rings_reader(const struct record_rings *rr, enum event_ring ring);
/* Adds the buffers' wakeup fds to an epoll set. Returns 0 or -errno. */
int record_rings_watch(const struct record_rings *rr, int epoll_fd);
/* Hands out every queued record: the draining buffer's first, then the others by seq. */
int record_rings_drain(struct record_rings *rr);
/* The kernel timestamp (CLOCK_BOOTTIME) of the oldest record not read yet, or 0: none waits. */
uint64_t record_rings_oldest_unread_ns(struct record_rings *rr);
/*
 * Gives the kernel back the room of records whose lines are out: up to held[ring], the oldest
 * record whose event is held (EVENT_NO_RING_POS: none); nothing of ours while a record of the
 * draining buffer is held. Once the draining buffer is read and released, its pin goes.
 */
void record_rings_release(struct record_rings *rr, const uint64_t held[EVENT_RINGS]);
/* Bytes a ring buffer keeps: unread, or read and not yet released (0 when there is none). */
uint64_t record_rings_kept(const struct record_rings *rr, enum event_ring ring);
void record_rings_close(struct record_rings *rr);

#endif
