/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_SINK_H
#define CTRWATCH_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Where event lines go: stdout, or a file opened for append. A line is written whole or not at
 * all: when the disk says no (ENOSPC, EDQUOT, EIO, EFBIG, EAGAIN), the bytes of a line that did
 * go out are taken back (a file is truncated to the line's start; elsewhere its remainder goes
 * out first), and the lines wait, in order, in a bounded backlog that sink_flush() retries with
 * backoff. Other errors (EPIPE: the reader is gone) end the sink.
 */
struct sink;

/* Lines kept while the disk is full; past SINK_BACKLOG_HIGH the caller should stop reading. */
#define SINK_BACKLOG_MAX  (16u << 20)
#define SINK_BACKLOG_HIGH (8u << 20)

/*
 * path NULL or "-" means stdout. Returns NULL with errno set: ELOOP when path is a symbolic link,
 * EPERM when it is a file another user owns or others may write (both refused).
 */
/*
 * sink_open()'s and sink_reopen()'s refusals of a file not ours alone, as -errno values past
 * every errno, so that an open(2) failure's own errno is never taken for one of them.
 */
#define SINK_E_OTHER_OWNER  4096 /* another user owns it */
#define SINK_E_OTHERS_WRITE 4097 /* others may write it */
struct sink *sink_open(const char *path);
/* What sink_open()'s or sink_reopen()'s -errno means, for the one-line error. */
const char *sink_open_error(int err);
/*
 * Writes one line, or keeps it for later. Returns 0 (written or kept; a line the full backlog
 * cannot keep either is counted in sink_unwritten()), -EPIPE when the reader is gone, or another
 * -errno that ends the sink.
 */
int sink_write(struct sink *s, const char *line, size_t len);
/* Retries the backlog once its backoff has passed (now: at once). Returns 0 or an error that
 * ends the sink. */
int sink_flush(struct sink *s, bool now);
/* How long lines have waited for the output (the outage so far), in ns; 0 when none wait. */
uint64_t sink_stalled_ns(const struct sink *s);
/* Bytes waiting in the backlog. */
size_t sink_backlog(const struct sink *s);
/* Lines neither the disk nor the backlog could take, since the start. */
uint64_t sink_unwritten(const struct sink *s);
/* Opens the file anew (after logrotate moved it away). Returns 0 or -errno; on failure the old
 * file stays in use. A no-op for stdout. */
int sink_reopen(struct sink *s);
/* The --output path, or "stdout". */
const char *sink_name(const struct sink *s);
void sink_close(struct sink *s);

#endif
