/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_RINGBUF_READER_H
#define CTRWATCH_RINGBUF_READER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads the records the kernel programs queue in their ring buffer, in order, and gives their
 * room back only when told (ringbuf_reader_commit): a record stays in the buffer, to be read
 * again by the next ctrwatch, until every line it made is written.
 */
struct ringbuf_reader;

/*
 * Called for each record with its position in the buffer (increasing, never reused); the record
 * is valid until the position is committed past it. Returning non-zero stops the drain.
 */
typedef int (*ringbuf_record_fn)(void *ctx, const void *record, size_t size, uint64_t pos);

/* Returns NULL with errno set. Reading starts at the kernel's consumer position. */
struct ringbuf_reader *ringbuf_reader_open(int map_fd, ringbuf_record_fn fn, void *ctx);
/*
 * The buffer holds records of an earlier layout (a pinned set an older ctrwatch made): they are
 * handed out in today's (kernel/records_upgrade.c); one that cannot be read, with size 0.
 */
void ringbuf_reader_set_layout(struct ringbuf_reader *r, uint32_t layout);
/* Readable when the kernel woke the reader. */
int ringbuf_reader_epoll_fd(const struct ringbuf_reader *r);
/* Hands every queued record to the callback, without waiting. Returns 0 or its error. */
int ringbuf_reader_drain(struct ringbuf_reader *r);
/*
 * One record at a time, for a reader of two buffers (kernel/record_rings.c): the seq of the
 * complete record at the read position (1), or 0 when there is none yet, or -EBADMSG ...
 */
int ringbuf_reader_next_seq(struct ringbuf_reader *r, uint64_t *seq);
/* Likewise its kernel timestamp (CLOCK_BOOTTIME): how old the oldest record not read yet is. */
int ringbuf_reader_next_time(struct ringbuf_reader *r, uint64_t *boot_ns);
/* ... and that record handed to the callback: 1, 0 when there is none, or its error. */
int ringbuf_reader_hand_next(struct ringbuf_reader *r);
/* Consumes the kernel's wakeups; one that comes later wakes the epoll fd again. */
void ringbuf_reader_take_wakeups(struct ringbuf_reader *r);
/* Shows fn the records a drain would hand out now, handing nothing out. */
int ringbuf_reader_peek(struct ringbuf_reader *r, ringbuf_record_fn fn, void *ctx);
/* The position after the last record handed out. */
uint64_t ringbuf_reader_read_pos(const struct ringbuf_reader *r);
/* Gives the kernel back the room of every record before pos (at most the read position). */
void ringbuf_reader_commit(struct ringbuf_reader *r, uint64_t pos);
/* Bytes of records the kernel still keeps: not read, or read and not committed. */
uint64_t ringbuf_reader_unreleased(const struct ringbuf_reader *r);
void ringbuf_reader_close(struct ringbuf_reader *r);

#endif
