/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_METRICS_SERVER_H
#define CTRWATCH_METRICS_SERVER_H

#include <stdint.h>
#include <sys/socket.h>

/*
 * --metrics-address: /metrics (Prometheus text) and /healthz over HTTP, served on a thread
 * of its own, so that a scrape never waits for the ring buffer's reader, nor the reader for a
 * scrape; event-driven, with a deadline per connection and a share per address, so that no
 * client can keep /healthz from answering (metrics_server.c).
 */
struct metrics_server;

/* "ADDR:PORT", "[ADDR6]:PORT" or ":PORT" (every address), numeric only. Returns 0 or -EINVAL. */
int metrics_address_parse(const char *s, struct sockaddr_storage *addr, socklen_t *len);
/*
 * Listens on address; /healthz answers 503 once the last drain is older than stale_ns.
 * Returns NULL with errno set (EADDRINUSE, EACCES, ...).
 */
struct metrics_server *metrics_server_start(const char *address, uint64_t stale_ns);
void metrics_server_stop(struct metrics_server *s);

#endif
