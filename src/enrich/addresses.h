/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_ADDRESSES_H
#define CTRWATCH_ADDRESSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Where a container can be reached, as its engine says: a pod's IPs (the CRI's PodSandboxStatus),
 * a Docker or Podman container's on each of its networks. Kept as addresses, not as the
 * engine's text: only what parses as an IPv4 or IPv6 address is kept, and it is printed in its
 * canonical form, so a reply cannot put anything else in an address's place.
 */
#define ADDRESSES_MAX	 8  /* a pod's primary and additional IPs, a container's networks */
#define ADDRESS_TEXT_MAX 46 /* INET6_ADDRSTRLEN */

struct container_address {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16];
};

struct container_addresses {
	uint8_t n;
	bool truncated; /* past ADDRESSES_MAX some were left out */
	struct container_address addr[ADDRESSES_MAX];
};

/*
 * Adds the address text says (IPv4 dotted or IPv6, no zone, no prefix length). 0; -EINVAL: not
 * an address, or the unspecified one (an engine's "" or "0.0.0.0" for none); -EEXIST: already
 * kept; -ENOSPC: ADDRESSES_MAX reached (truncated set).
 */
int addresses_add(struct container_addresses *a, const char *text);
/* a's address i in canonical text, into buf (ADDRESS_TEXT_MAX bytes). */
void addresses_format(const struct container_address *addr, char *buf);

#endif
