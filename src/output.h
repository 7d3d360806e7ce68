/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_OUTPUT_H
#define CTRWATCH_OUTPUT_H

#include <stddef.h>

/* Where event lines go: stdout, or a file opened for append. Each line is one write(2). */
struct output {
	int fd;
	int owns_fd;
	char *path; /* the --output file, for output_reopen(); NULL for stdout */
};

/* path NULL or "-" means stdout. Returns 0 or -errno. */
int output_open(struct output *out, const char *path);
/* Returns 0, -EPIPE when the reader is gone, or another -errno. */
int output_write(struct output *out, const char *line, size_t len);
/* Opens the file anew (after logrotate moved it away). Returns 0 or -errno; on failure the old
 * file stays in use. A no-op for stdout. */
int output_reopen(struct output *out);
void output_close(struct output *out);

#endif
