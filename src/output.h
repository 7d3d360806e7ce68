/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_OUTPUT_H
#define CTRWATCH_OUTPUT_H

#include <stddef.h>

/* Where event lines go: stdout, or a file opened for append. Each line is one write(2). */
struct output {
	int fd;
	int owns_fd;
};

/* path NULL or "-" means stdout. Returns 0 or -errno. */
int output_open(struct output *out, const char *path);
/* Returns 0, -EPIPE when the reader is gone, or another -errno. */
int output_write(struct output *out, const char *line, size_t len);
void output_close(struct output *out);

#endif
