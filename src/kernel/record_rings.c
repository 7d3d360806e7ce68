// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The lifecycle and exec ring buffers read as one stream (and the older programs' buffer, left
 * to drain, before them), and the rule for giving their room back.
 *
 * Order across the two: a container's records are split between them (its start in one, the
 * execs of its processes in the other), and each buffer alone is in order. Every record carries
 * a seq from one per-host counter, taken as it is submitted; the reader hands out the lower seq
 * of the two buffers' heads. A buffer that shows no record may yet get one with a lower seq,
 * but only one made concurrently with the other's head, not before it: a record that happened
 * before (an exec of a process the start let run, an exec before the cgroup's remove) was
 * committed before, and is seen by a look taken after the other's head was seen. So an empty
 * buffer is looked at again once the other's head is seen, and that order is enough.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "common/log.h"
#include "kernel/record_rings.h"

/* A reader's callback context: which buffer it reads, so that each record knows where it sits. */
struct ring_ctx {
	struct record_rings *rr;
	enum event_ring ring;
};

struct record_rings {
	struct bpf_programs *progs;
	struct ringbuf_reader *readers[EVENT_RINGS]; /* NULL: no such buffer */
	struct ring_ctx ctxs[EVENT_RINGS];
	record_rings_fn fn;
	void *ctx;
};

static int on_record(void *ctx, const void *record, size_t size, uint64_t pos)
{
	struct ring_ctx *rc = ctx;

	return rc->rr->fn(rc->rr->ctx, record, size, rc->ring, pos);
}

static int open_reader(struct record_rings *rr, enum event_ring ring, int fd)
{
	rr->ctxs[ring] = (struct ring_ctx){.rr = rr, .ring = ring};
	rr->readers[ring] = ringbuf_reader_open(fd, on_record, &rr->ctxs[ring]);
	return rr->readers[ring] ? 0 : -errno;
}

static int open_draining(struct record_rings *rr)
{
	uint32_t layout;
	int fd = bpf_programs_draining_ringbuf_fd(rr->progs, &layout), err;

	if (fd == -ENOENT)
		return 0;
	err = open_reader(rr, EVENT_RING_DRAINING, fd);
	if (err)
		return err;
	ringbuf_reader_set_layout(rr->readers[EVENT_RING_DRAINING], layout);
	log_info("draining %llu bytes of records of layout %u before ours",
		 (unsigned long long)ringbuf_reader_unreleased(rr->readers[EVENT_RING_DRAINING]),
		 layout);
	return 0;
}

int record_rings_open(struct record_rings **out, struct bpf_programs *progs, record_rings_fn fn,
		      void *ctx)
{
	struct record_rings *rr = calloc(1, sizeof(*rr));
	int fd, err;

	if (!rr)
		return -ENOMEM;
	rr->progs = progs;
	rr->fn = fn;
	rr->ctx = ctx;
	err = open_reader(rr, EVENT_RING_LIFECYCLE, bpf_programs_ringbuf_fd(progs));
	fd = bpf_programs_exec_ringbuf_fd(progs);
	if (!err && fd >= 0)
		err = open_reader(rr, EVENT_RING_EXEC, fd);
	if (!err)
		err = open_draining(rr);
	if (err) {
		log_error("cannot read the ring buffers: %s", strerror(-err));
		record_rings_close(rr);
		return err;
	}
	*out = rr;
	return 0;
}

struct ringbuf_reader *record_rings_reader(const struct record_rings *rr, enum event_ring ring)
{
	return rr->readers[ring];
}

int record_rings_watch(const struct record_rings *rr, int epoll_fd)
{
	struct epoll_event ev = {.events = EPOLLIN};

	for (int ring = 0; ring < EVENT_RINGS; ring++) {
		if (!rr->readers[ring])
			continue;
		if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, ringbuf_reader_epoll_fd(rr->readers[ring]),
			      &ev))
			return -errno;
	}
	return 0;
}

/*
 * The buffers' records, lower seq first (see the top of this file): the lifecycle and exec
 * buffers, and the one being drained. The programs we took over run on a moment after their
 * links' pins are replaced (the kernel detaches them from a work queue), writing the drained
 * buffer while ours write theirs: their records are ordered by seq like any other's.
 */
static int drain_by_seq(struct ringbuf_reader *const *readers)
{
	uint64_t seq[EVENT_RINGS];
	int has[EVENT_RINGS], pick, err;
	bool any;

	for (int i = 0; i < EVENT_RINGS; i++)
		if (readers[i])
			ringbuf_reader_take_wakeups(readers[i]);
	for (;;) {
		any = false;
		for (int i = 0; i < EVENT_RINGS; i++) {
			has[i] = readers[i] ? ringbuf_reader_next_seq(readers[i], &seq[i]) : 0;
			if (has[i] < 0)
				return has[i];
			any |= has[i] > 0;
		}
		/* a buffer that showed nothing is looked at again once another's head was seen */
		for (int i = 0; any && i < EVENT_RINGS; i++) {
			if (readers[i] && !has[i])
				has[i] = ringbuf_reader_next_seq(readers[i], &seq[i]);
			if (has[i] < 0)
				return has[i];
		}
		pick = -1;
		for (int i = 0; i < EVENT_RINGS; i++)
			if (has[i] > 0 && (pick < 0 || seq[i] < seq[pick]))
				pick = i;
		if (pick < 0)
			return 0;
		err = ringbuf_reader_hand_next(readers[pick]);
		if (err < 0)
			return err;
	}
}

uint64_t record_rings_oldest_unread_ns(struct record_rings *rr)
{
	uint64_t oldest = 0, t;

	for (int i = 0; i < EVENT_RINGS; i++)
		if (rr->readers[i] && ringbuf_reader_next_time(rr->readers[i], &t) > 0 && t &&
		    (!oldest || t < oldest))
			oldest = t;
	return oldest;
}

int record_rings_drain(struct record_rings *rr)
{
	return drain_by_seq(rr->readers);
}

/*
 * The draining buffer is done once the programs that wrote it are gone and all of it is read
 * and released: then its pin goes.
 */
static void finish_draining(struct record_rings *rr)
{
	struct ringbuf_reader **draining = &rr->readers[EVENT_RING_DRAINING];
	int err;

	/* gone first: a record they make after the look at what is unreleased would be lost */
	if (!bpf_programs_taken_over_gone(rr->progs) || ringbuf_reader_unreleased(*draining))
		return;
	ringbuf_reader_close(*draining);
	*draining = NULL;
	err = bpf_programs_drained(rr->progs);
	if (err)
		log_warn("cannot unpin the drained ring buffer: %s", strerror(-err));
	else
		log_info("drained the ring buffer of the programs taken over");
}

static void release_up_to(struct ringbuf_reader *r, uint64_t held)
{
	if (r)
		ringbuf_reader_commit(r, held == EVENT_NO_RING_POS ? ringbuf_reader_read_pos(r)
								   : held);
}

/*
 * The draining buffer's records are all older than ours: while one of them is held, none of
 * ours is released (a ctrwatch after us reads the draining buffer first, then ours).
 */
void record_rings_release(struct record_rings *rr, const uint64_t held[EVENT_RINGS])
{
	if (rr->readers[EVENT_RING_DRAINING]) {
		release_up_to(rr->readers[EVENT_RING_DRAINING], held[EVENT_RING_DRAINING]);
		if (held[EVENT_RING_DRAINING] != EVENT_NO_RING_POS)
			return;
		finish_draining(rr);
	}
	release_up_to(rr->readers[EVENT_RING_LIFECYCLE], held[EVENT_RING_LIFECYCLE]);
	release_up_to(rr->readers[EVENT_RING_EXEC], held[EVENT_RING_EXEC]);
}

uint64_t record_rings_kept(const struct record_rings *rr, enum event_ring ring)
{
	return rr->readers[ring] ? ringbuf_reader_unreleased(rr->readers[ring]) : 0;
}

void record_rings_close(struct record_rings *rr)
{
	if (!rr)
		return;
	for (int ring = 0; ring < EVENT_RINGS; ring++)
		ringbuf_reader_close(rr->readers[ring]);
	free(rr);
}
