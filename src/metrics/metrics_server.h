/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_METRICS_SERVER_H
#define CTRWATCH_METRICS_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * --metrics-address: /metrics (Prometheus text) and /healthz over HTTP, served on a thread
 * of its own, so that a scrape never waits for the ring buffer's reader, nor the reader for a
 * scrape; event-driven, with a deadline per connection and a share per address, so that no
 * client can keep /healthz from answering (metrics_server.c).
 */
struct metrics_server;

/*
 * "ADDR:PORT", "[ADDR6]:PORT" or ":PORT" (every address: IPv6's unspecified address, which the
 * server listens on for IPv4 too), numeric only. Returns 0 or -EINVAL.
 */
int metrics_address_parse(const char *s, struct sockaddr_storage *addr, socklen_t *len);
/*
 * Whether two clients' connections count against one share: the same IPv4 address (an IPv4
 * client of the dual-stack socket included), or the same IPv6 /64, the least a host or a pod
 * is given (an IPv6 client can pick any address in its /64).
 */
bool metrics_same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
/*
 * Listens on address; /healthz answers 503 once the last drain is older than stale_ns.
 * Returns NULL with errno set (EADDRINUSE, EACCES, ...).
 */
struct metrics_server *metrics_server_start(const char *address, uint64_t stale_ns);
void metrics_server_stop(struct metrics_server *s);

#endif
