/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_USER_SOCKET_H
#define CTRWATCH_USER_SOCKET_H

#include <stddef.h>

/* Where a user's rootless Podman serves its API: in the user's runtime directory. */
#define USER_PODMAN_SOCKET_DEFAULT "/run/user/%u/podman/podman.sock"

/*
 * Expands a socket path template with uid ("%u"; "%%" is a literal '%') into out. 0, -EINVAL
 * (not exactly one "%u", or another conversion), or -ENAMETOOLONG (longer than size - 1).
 */
int user_socket_path(const char *template, unsigned int uid, char *out, size_t size);

#endif
