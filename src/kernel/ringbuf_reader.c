// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Our own consumer of the BPF ring buffer, over its mmap (kernel ABI: kernel/bpf/ringbuf.c and
 * include/uapi/linux/bpf.h). libbpf's ring_buffer advances the consumer position as each
 * callback returns; ctrwatch holds events for enrichment, and a pinned ring buffer outlives the
 * process, so the position must only pass records whose lines are out: reading (read_pos) and
 * releasing (the consumer position the kernel sees, ringbuf_reader_commit) are apart here.
 *
 * Layout: page 0, read-write, holds the consumer position; from page 1, read-only, the producer
 * position, then the data pages mapped twice in a row, so a record that wraps reads as one.
 * Each record is an 8-byte header (length with BUSY and DISCARD bits, page offset) and its data,
 * rounded up to 8 bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "ctrwatch_records.h"
#include "kernel/records_upgrade.h"
#include "kernel/ringbuf_reader.h"

struct ringbuf_reader {
	int epoll_fd;
	size_t page_size;
	uint64_t size; /* data bytes: a power of two */
	uint64_t *consumer_pos;
	const uint64_t *producer_pos;
	const uint8_t *data;
	uint64_t read_pos; /* the next record to hand out */
	ringbuf_record_fn fn;
	void *ctx;
	uint32_t layout; /* of the records in this buffer */
	uint8_t upgraded[RECORDS_UPGRADE_MAX] __attribute__((aligned(8))); /* one, in today's */
};

static uint64_t load_acquire(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static uint32_t load_acquire32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static int map_size(int map_fd, uint64_t *size)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF)
		return -EINVAL;
	*size = info.max_entries;
	return 0;
}

struct ringbuf_reader *ringbuf_reader_open(int map_fd, ringbuf_record_fn fn, void *ctx)
{
	/*
	 * Edge-triggered: the buffer polls readable while any record is unreleased, and held
	 * records are unreleased for a while; each kernel wakeup is seen once instead.
	 */
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET};
	struct ringbuf_reader *r = calloc(1, sizeof(*r));
	void *p;
	int err;

	if (!r)
		return NULL;
	r->fn = fn;
	r->ctx = ctx;
	r->layout = RECORDS_LAYOUT_VERSION;
	r->epoll_fd = -1;
	r->page_size = sysconf(_SC_PAGESIZE);
	err = map_size(map_fd, &r->size);
	if (err)
		goto fail;
	p = mmap(NULL, r->page_size, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED)
		goto fail_errno;
	r->consumer_pos = p;
	p = mmap(NULL, r->page_size + 2 * r->size, PROT_READ, MAP_SHARED, map_fd, r->page_size);
	if (p == MAP_FAILED)
		goto fail_errno;
	r->producer_pos = p;
	r->data = (const uint8_t *)p + r->page_size;
	r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epoll_fd < 0 || epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, map_fd, &ev))
		goto fail_errno;
	/* A pinned buffer may hold records nobody released: they are read again. */
	r->read_pos = load_acquire(r->consumer_pos);
	return r;
fail_errno:
	err = -errno;
fail:
	ringbuf_reader_close(r);
	errno = -err;
	return NULL;
}

int ringbuf_reader_epoll_fd(const struct ringbuf_reader *r)
{
	return r->epoll_fd;
}

void ringbuf_reader_set_layout(struct ringbuf_reader *r, uint32_t layout)
{
	r->layout = layout;
}

/* A record as fn takes it: in today's layout; one that cannot be read goes with size 0. */
static int hand_out(struct ringbuf_reader *r, const void *record, uint32_t size, uint64_t pos,
		    ringbuf_record_fn fn, void *ctx)
{
	int n;

	if (r->layout == RECORDS_LAYOUT_VERSION)
		return fn(ctx, record, size, pos);
	n = records_upgrade(r->layout, record, size, r->upgraded, sizeof(r->upgraded));
	return n < 0 ? fn(ctx, record, 0, pos) : fn(ctx, r->upgraded, n, pos);
}

/* Bytes a record of data_len takes in the buffer: its header, its data, rounded up to 8. */
static uint64_t record_span(uint32_t data_len)
{
	return ((uint64_t)data_len + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
}

/*
 * The complete record at *pos, moving *pos past discarded ones: 1 and *hdr set; 0 when there is
 * none yet (empty, or the next one is still being written); -EBADMSG when *pos is not at a
 * header (the buffer is not what we think).
 */
static int head(struct ringbuf_reader *r, uint64_t *pos, const uint32_t **hdr)
{
	uint64_t producer = load_acquire(r->producer_pos);

	while (*pos < producer) {
		const uint32_t *h = (const uint32_t *)(r->data + (*pos & (r->size - 1)));
		uint32_t len = load_acquire32(h);
		uint32_t data_len = len & ~BPF_RINGBUF_DISCARD_BIT;

		if (len & BPF_RINGBUF_BUSY_BIT)
			return 0;
		if (data_len > r->size)
			return -EBADMSG;
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			*hdr = h;
			return 1;
		}
		*pos += record_span(data_len);
	}
	return 0;
}

/*
 * Hands each complete record from *pos on to fn, up to the producer position or the first record
 * still being written, moving *pos past each. Returns 0, or fn's error.
 */
static int walk(struct ringbuf_reader *r, uint64_t *pos, ringbuf_record_fn fn, void *ctx)
{
	const uint32_t *hdr;
	uint64_t start;
	int n, err;

	while ((n = head(r, pos, &hdr)) > 0) {
		start = *pos;
		*pos += record_span(hdr[0]);
		err = hand_out(r, hdr + 2, hdr[0], start, fn, ctx);
		if (err)
			return err;
	}
	return n;
}

/* The next record's header in today's layout: NULL when there is none yet, or it is too short. */
static int next_header(struct ringbuf_reader *r, const struct record_header **rec)
{
	const uint32_t *hdr;
	const void *data;
	int n = head(r, &r->read_pos, &hdr);
	long size;

	*rec = NULL;
	if (n <= 0)
		return n;
	data = hdr + 2;
	size = hdr[0];
	if (r->layout != RECORDS_LAYOUT_VERSION) { /* an older layout's header: read as today's */
		size = records_upgrade(r->layout, data, size, r->upgraded, sizeof(r->upgraded));
		data = r->upgraded;
	}
	if (size >= (long)sizeof(**rec))
		*rec = data;
	return 1;
}

int ringbuf_reader_next_seq(struct ringbuf_reader *r, uint64_t *seq)
{
	const struct record_header *rec;
	int n = next_header(r, &rec);

	*seq = rec ? rec->seq : 0;
	return n;
}

int ringbuf_reader_next_time(struct ringbuf_reader *r, uint64_t *boot_ns)
{
	const struct record_header *rec;
	int n = next_header(r, &rec);

	*boot_ns = rec ? rec->timestamp_ns : 0;
	return n;
}

int ringbuf_reader_hand_next(struct ringbuf_reader *r)
{
	const uint32_t *hdr;
	uint64_t pos;
	int n = head(r, &r->read_pos, &hdr);

	if (n <= 0)
		return n;
	pos = r->read_pos;
	r->read_pos += record_span(hdr[0]);
	n = hand_out(r, hdr + 2, hdr[0], pos, r->fn, r->ctx);
	return n ? n : 1;
}

void ringbuf_reader_take_wakeups(struct ringbuf_reader *r)
{
	struct epoll_event ev;

	while (epoll_wait(r->epoll_fd, &ev, 1, 0) > 0)
		;
}

int ringbuf_reader_drain(struct ringbuf_reader *r)
{
	/* Takes the wakeup first: one that comes during the walk makes the next drain. */
	ringbuf_reader_take_wakeups(r);
	return walk(r, &r->read_pos, r->fn, r->ctx);
}

int ringbuf_reader_peek(struct ringbuf_reader *r, ringbuf_record_fn fn, void *ctx)
{
	uint64_t pos = r->read_pos;

	return walk(r, &pos, fn, ctx);
}

uint64_t ringbuf_reader_read_pos(const struct ringbuf_reader *r)
{
	return r->read_pos;
}

void ringbuf_reader_commit(struct ringbuf_reader *r, uint64_t pos)
{
	if (pos > r->read_pos)
		pos = r->read_pos; /* never past what was read */
	if (pos > load_acquire(r->consumer_pos))
		__atomic_store_n(r->consumer_pos, pos, __ATOMIC_RELEASE);
}

uint64_t ringbuf_reader_unreleased(const struct ringbuf_reader *r)
{
	return load_acquire(r->producer_pos) - load_acquire(r->consumer_pos);
}

void ringbuf_reader_close(struct ringbuf_reader *r)
{
	if (!r)
		return;
	if (r->epoll_fd >= 0)
		close(r->epoll_fd);
	if (r->producer_pos)
		munmap((void *)r->producer_pos, r->page_size + 2 * r->size);
	if (r->consumer_pos)
		munmap(r->consumer_pos, r->page_size);
	free(r);
}
