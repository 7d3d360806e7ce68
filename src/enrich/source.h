/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_SOURCE_H
#define CTRWATCH_SOURCE_H

#include <stdbool.h>

/*
 * Where answers come from, for the one log line each time it stops or starts answering. A
 * socket that does not exist is an engine not installed (most Kubernetes nodes have no Docker
 * and no Podman), not one that is down: a debug line, and a line when it appears; one that is
 * there and does not answer is a warning, and its recovery is said.
 */
enum source_state {
	SOURCE_UP,     /* the last call reached it (and at first: until a call says otherwise) */
	SOURCE_ABSENT, /* no socket at its path */
	SOURCE_DOWN,   /* a socket that does not answer */
};

struct source {
	const char *name; /* "containerd", "docker", "podman", "podman (uid 1000)" */
	const char *path; /* its socket */
	enum source_state state;
	bool absent_said; /* a container of this engine was seen while its socket was absent */
	/*
	 * A user's own engine: its changes are debug lines. Whether a user runs their Podman
	 * service is theirs to choose, and the user could otherwise fill the log with its flapping.
	 */
	bool quiet;
};

#endif
