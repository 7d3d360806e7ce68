// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"

int output_open(struct output *out, const char *path)
{
	out->fd = STDOUT_FILENO;
	out->owns_fd = 0;
	out->path = NULL;
	if (!path || strcmp(path, "-") == 0)
		return 0;
	out->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (out->fd < 0)
		return -errno;
	out->owns_fd = 1;
	out->path = strdup(path);
	return out->path ? 0 : -ENOMEM;
}

int output_reopen(struct output *out)
{
	int fd;

	if (!out->path)
		return 0;
	fd = open(out->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	close(out->fd);
	out->fd = fd;
	return 0;
}

/* O_APPEND and a single write per line keep lines whole even beside another appender. */
int output_write(struct output *out, const char *line, size_t len)
{
	while (len > 0) {
		ssize_t n = write(out->fd, line, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		line += n;
		len -= n;
	}
	return 0;
}

void output_close(struct output *out)
{
	if (out->owns_fd && out->fd >= 0)
		close(out->fd);
	free(out->path);
	out->path = NULL;
	out->fd = -1;
	out->owns_fd = 0;
}
