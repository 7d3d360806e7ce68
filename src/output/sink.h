/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_SINK_H
#define CTRWATCH_SINK_H

#include <stddef.h>

/* Where event lines go: stdout, or a file opened for append. Each line is one write(2). */
struct sink;

/* path NULL or "-" means stdout. Returns NULL with errno set. */
struct sink *sink_open(const char *path);
/* Returns 0, -EPIPE when the reader is gone, or another -errno. */
int sink_write(struct sink *s, const char *line, size_t len);
/* Opens the file anew (after logrotate moved it away). Returns 0 or -errno; on failure the old
 * file stays in use. A no-op for stdout. */
int sink_reopen(struct sink *s);
/* The --output path, or "stdout". */
const char *sink_name(const struct sink *s);
void sink_close(struct sink *s);

#endif
