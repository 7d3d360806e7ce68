// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --status: what the pinned set is, and what its ring buffers still hold, read without taking
 * the set.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "kernel/bpf_programs.h"
#include "kernel/programs_internal.h"
#include "kernel/pin_dir.h"
#include "kernel/ringbuf_reader.h"

static int count_record(void *ctx, const void *record, size_t size, uint64_t pos)
{
	(void)record;
	(void)size;
	(void)pos;
	++*(uint64_t *)ctx;
	return 0;
}

/* Of a ring buffer (records of layout): bytes the kernel keeps for the next reader, and records. */
int ringbuf_count_unread(int fd, uint32_t layout, uint64_t *bytes, uint64_t *records)
{
	struct ringbuf_reader *r = ringbuf_reader_open(fd, count_record, records);
	int err;

	if (!r)
		return -errno;
	ringbuf_reader_set_layout(r, layout);
	*bytes = ringbuf_reader_unreleased(r);
	*records = 0;
	err = ringbuf_reader_peek(r, count_record, records);
	ringbuf_reader_close(r);
	return err;
}

/* Of the ring buffer pinned at path: bytes the kernel keeps for the next reader, and records. */
static int unread_in(const char *path, uint32_t layout, uint64_t *bytes, uint64_t *records)
{
	int fd = bpf_obj_get(path), err;

	if (fd < 0)
		return -errno;
	err = ringbuf_count_unread(fd, layout, bytes, records);
	close(fd);
	return err;
}

/* "<what>: <time>" of a pin's birth (bpffs sets it as the pin is made); nothing if unknown. */
static void print_pin_time(FILE *f, const char *pin_path, const char *name, const char *what)
{
	char path[PATH_MAX], when[64];
	struct stat st;
	struct tm tm;

	if (pinned_set_path(path, sizeof(path), pin_path, name) || stat(path, &st) ||
	    !gmtime_r(&st.st_mtime, &tm) || !strftime(when, sizeof(when), "%FT%TZ", &tm))
		return;
	fprintf(f, "%s: %s\n", what, when);
}

static void print_unread(FILE *f, const char *pin_path, uint32_t events_layout)
{
	uint64_t bytes, records;
	char path[PATH_MAX];
	uint32_t layout;

	if (!pinned_set_path(path, sizeof(path), pin_path, "events") &&
	    !unread_in(path, events_layout, &bytes, &records))
		fprintf(f,
			"unread: %llu bytes of records in the lifecycle ring buffer (%llu "
			"records)\n",
			(unsigned long long)bytes, (unsigned long long)records);
	if (!pinned_set_path(path, sizeof(path), pin_path, "exec_events") &&
	    !unread_in(path, events_layout, &bytes, &records) && bytes)
		fprintf(f, "unread: %llu bytes of records in the exec ring buffer (%llu records)\n",
			(unsigned long long)bytes, (unsigned long long)records);
	if (pinned_set_find_draining(pin_path, &layout) ||
	    pinned_set_draining_path(path, sizeof(path), pin_path, layout))
		return;
	if (!unread_in(path, layout, &bytes, &records))
		fprintf(
		    f,
		    "draining: %llu bytes (%llu records) of record layout %u, from the programs "
		    "taken over\n",
		    (unsigned long long)bytes, (unsigned long long)records, layout);
	else
		fprintf(f, "draining: a ring buffer of record layout %u\n", layout);
}

int bpf_programs_status(const char *pin_path, FILE *f)
{
	struct pinned_set_info info;
	int err = pinned_set_read_info(pin_path, &info), fd;

	if (err == -ENOENT) {
		fprintf(f, "pinned: nothing at %s\n", pin_path);
		return 0;
	}
	if (err) {
		fprintf(f, "pinned: cannot read %s: %s\n", pin_path, strerror(-err));
		return err;
	}
	fprintf(f,
		"pinned: %s: programs %016llx%s, record layout %u, lifecycle ring buffer %llu "
		"bytes, %u cgroups, %s%s\n",
		pin_path, (unsigned long long)info.object_hash,
		info.object_hash == programs_object_hash() ? " (this build)" : " (another build)",
		info.layout, (unsigned long long)info.ringbuf_size, info.max_cgroups,
		info.cgroup_v1 ? "cgroup v1 cpuset" : "cgroup2", info.trace_exec ? ", --exec" : "");
	print_pin_time(f, pin_path, "record_seq", "recording since");
	print_pin_time(f, pin_path, "info", "these programs since");
	fd = pin_dir_lock(pin_path, false);
	if (fd == -EBUSY)
		fprintf(f, "reader: a ctrwatch is reading them\n");
	else
		fprintf(f, "reader: none: the programs keep recording, and the records wait\n");
	if (fd >= 0)
		close(fd);
	print_unread(f, pin_path, info.layout);
	return 0;
}
