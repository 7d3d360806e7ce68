// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/sink.h"

struct sink {
	int fd;
	char *path; /* the --output file, for sink_reopen(); NULL for stdout */
};

static int open_append(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

struct sink *sink_open(const char *path)
{
	struct sink *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return NULL;
	s->fd = STDOUT_FILENO;
	if (!path || strcmp(path, "-") == 0)
		return s;
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
	return 0;
}

const char *sink_name(const struct sink *s)
{
	return s->path ? s->path : "stdout";
}

/* O_APPEND and a single write per line keep lines whole even beside another appender. */
int sink_write(struct sink *s, const char *line, size_t len)
{
	while (len > 0) {
		ssize_t n = write(s->fd, line, len);

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

void sink_close(struct sink *s)
{
	if (!s)
		return;
	if (s->path)
		close(s->fd);
	free(s->path);
	free(s);
}
