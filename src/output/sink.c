// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buffer.h"
#include "common/clock.h"
#include "common/log.h"
#include "metrics/metrics.h"
#include "output/sink.h"

#define BACKOFF_FIRST_NS 100000000ull  /* 100 ms */
#define BACKOFF_MAX_NS	 5000000000ull /* 5 s */

struct sink {
	int fd;
	char *path;   /* the --output file, for sink_reopen(); NULL for stdout */
	bool regular; /* a file: a line cut short is truncated away */
	/*
	 * The backlog: lines waiting for the disk, in order, in buf[head, len). Each ends with a
	 * newline; the first may be the remainder of a line cut short on a pipe.
	 */
	char *buf;
	size_t head, len, cap;
	uint64_t waiting_lines;	   /* kept since the outage began */
	uint64_t stalled_since_ns; /* CLOCK_MONOTONIC when the outage began; 0: none */
	uint64_t retry_at_ns, backoff_ns;
	uint64_t unwritten;
};

/* The disk (or a non-blocking reader) may have room later: keep the lines and retry. */
static bool retryable(int err)
{
	return err == -ENOSPC || err == -EDQUOT || err == -EIO || err == -EFBIG || err == -EAGAIN;
}

/*
 * The --output file, never through a symbolic link and never one that another user owns or
 * others may write: ctrwatch runs as root, so a link or a file someone else planted would have
 * it append to (or truncate, taking a cut line back) a file of their choice, or let them write
 * lines of their own among ours. A new file is 0640. Returns the fd, or -1 with errno set:
 * ELOOP for a link, SINK_E_OTHER_OWNER, SINK_E_OTHERS_WRITE for a file not ours alone.
 * Devices and pipes are not checked (/dev/null, a FIFO a log shipper reads).
 */
static int open_append(const char *path)
{
	int fd =
	    open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);
	struct stat st;
	int errno_fd;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st))
		errno_fd = errno;
	else if (!S_ISREG(st.st_mode))
		return fd;
	else if (st.st_uid != geteuid())
		errno_fd = SINK_E_OTHER_OWNER;
	else if (st.st_mode & S_IWOTH)
		errno_fd = SINK_E_OTHERS_WRITE;
	else
		return fd;
	close(fd);
	errno = errno_fd;
	return -1;
}

const char *sink_open_error(int err)
{
	switch (err) {
	case -ELOOP: return "a symbolic link (ctrwatch follows none: give the file itself)";
	case -SINK_E_OTHER_OWNER: return "another user owns it";
	case -SINK_E_OTHERS_WRITE: return "others may write it";
	default: return strerror(-err);
	}
}

static bool is_regular(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

struct sink *sink_open(const char *path)
{
	struct sink *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return NULL;
	s->fd = STDOUT_FILENO;
	if (path && strcmp(path, "-") != 0) {
		s->path = strdup(path);
		if (!s->path) {
			err = ENOMEM;
			goto out_free;
		}
		s->fd = open_append(path);
		if (s->fd < 0) {
			err = errno;
			goto out_free_path;
		}
	}
	s->regular = is_regular(s->fd);
	return s;

out_free_path:
	free(s->path);
out_free:
	free(s);
	errno = err;
	return NULL;
}

int sink_reopen(struct sink *s)
{
	int fd;

	if (!s->path)
		return 0;
	fd = open_append(s->path);
	if (fd < 0)
		return -errno;
	close(s->fd);
	s->fd = fd;
	s->regular = is_regular(fd);
	return 0;
}

const char *sink_name(const struct sink *s)
{
	return s->path ? s->path : "stdout";
}

/* Writes all of p, one write(2) unless the kernel takes less; *done: the bytes that went out. */
static int write_all(int fd, const char *p, size_t len, size_t *done)
{
	*done = 0;
	while (*done < len) {
		ssize_t n = write(fd, p + *done, len - *done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		*done += n;
	}
	return 0;
}

/*
 * A line cut short: a file is truncated back to the line's start (O_APPEND: the line's bytes
 * are the file's last), so it never holds half a line. Returns the bytes still out there: 0, or
 * done where truncating is not possible (then the remainder must go out first).
 */
static size_t take_back(struct sink *s, size_t done)
{
	off_t end;

	if (!done || !s->regular)
		return done;
	end = lseek(s->fd, 0, SEEK_END);
	if (end < (off_t)done || ftruncate(s->fd, end - done))
		return done;
	return 0;
}

static bool make_room(struct sink *s, size_t len)
{
	size_t want = s->len - s->head + len;

	if (s->head) { /* the written part goes first */
		memmove(s->buf, s->buf + s->head, s->len - s->head);
		s->len -= s->head;
		s->head = 0;
	}
	return buffer_reserve(&s->buf, &s->cap, want, 65536) == 0;
}

/* Queues bytes at the backlog's end. must: the remainder of a cut line, kept whatever the bound. */
static void keep(struct sink *s, const char *p, size_t len, bool must)
{
	if ((!must && s->len - s->head + len > SINK_BACKLOG_MAX) || !make_room(s, len)) {
		s->unwritten++;
		return;
	}
	memcpy(s->buf + s->len, p, len);
	s->len += len;
	s->waiting_lines++;
}

static void back_off(struct sink *s)
{
	s->backoff_ns = s->backoff_ns ? s->backoff_ns * 2 : BACKOFF_FIRST_NS;
	if (s->backoff_ns > BACKOFF_MAX_NS)
		s->backoff_ns = BACKOFF_MAX_NS;
	s->retry_at_ns = clock_monotonic_ns() + s->backoff_ns;
}

int sink_write(struct sink *s, const char *line, size_t len)
{
	size_t done;
	int err;

	if (s->len > s->head) { /* lines are waiting: this one goes after them */
		keep(s, line, len, false);
		return 0;
	}
	err = write_all(s->fd, line, len, &done);
	if (!err)
		return 0;
	metrics_output_error();
	if (!retryable(err))
		return err;
	log_warn("cannot write to %s: %s; keeping events (up to %u MiB) and retrying", sink_name(s),
		 strerror(-err), SINK_BACKLOG_MAX >> 20);
	s->waiting_lines = 0;
	s->stalled_since_ns = clock_monotonic_ns();
	done = take_back(s, done);
	keep(s, line + done, len - done, done > 0);
	back_off(s);
	return 0;
}

int sink_flush(struct sink *s, bool now)
{
	size_t done, n;
	char *nl;
	int err;

	if (s->len == s->head || (!now && clock_monotonic_ns() < s->retry_at_ns))
		return 0;
	while (s->head < s->len) {
		nl = memchr(s->buf + s->head, '\n', s->len - s->head);
		n = nl ? (size_t)(nl - (s->buf + s->head)) + 1 : s->len - s->head;
		err = write_all(s->fd, s->buf + s->head, n, &done);
		if (err) {
			metrics_output_error();
			if (!retryable(err))
				return err;
			s->head += take_back(s, done);
			back_off(s);
			return 0;
		}
		s->head += n;
	}
	log_info("writing to %s again: the %llu events that waited are written", sink_name(s),
		 (unsigned long long)s->waiting_lines);
	s->head = s->len = 0;
	s->backoff_ns = 0;
	s->stalled_since_ns = 0;
	return 0;
}

uint64_t sink_stalled_ns(const struct sink *s)
{
	return s->stalled_since_ns ? clock_monotonic_ns() - s->stalled_since_ns : 0;
}

size_t sink_backlog(const struct sink *s)
{
	return s->len - s->head;
}

uint64_t sink_unwritten(const struct sink *s)
{
	return s->unwritten;
}

void sink_close(struct sink *s)
{
	if (!s)
		return;
	if (s->len > s->head)
		log_error("%zu bytes of events were never written to %s", s->len - s->head,
			  sink_name(s));
	if (s->path)
		close(s->fd);
	free(s->buf);
	free(s->path);
	free(s);
}
