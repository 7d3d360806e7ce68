/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_SOURCE_HEALTH_H
#define CTRWATCH_SOURCE_HEALTH_H

#include <stdbool.h>

/*
 * How a source of answers (source.h) answered last, for the one log line each time it stops
 * or starts answering, and for the heartbeat. A
 * socket that does not exist is an engine not installed (most Kubernetes nodes have no Docker
 * and no Podman), not one that is down: a debug line, and a line when it appears; one that is
 * there and does not answer is a warning, and its recovery is said.
 */
enum source_state {
	SOURCE_UP,     /* the last call reached it (and at first: until a call says otherwise) */
	SOURCE_ABSENT, /* no socket at its path */
	SOURCE_DOWN,   /* a socket that does not answer */
};

struct source_health {
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

/* Logs when a source stops or starts answering; one line per change (source_health.c). */
void source_health_note(struct source_health *h, bool reachable, const char *error);
/*
 * A container of an engine whose socket does not exist: installed after all, or its socket not
 * given to ctrwatch (a pod without the mount). Said once.
 */
void source_health_note_absent(struct source_health *h, const char *id);

#endif
