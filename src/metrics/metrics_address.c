// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --metrics-address parsing (numeric addresses only, so that nothing resolves at startup), and
 * the address a client's connections are counted by.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "metrics/metrics_server.h"

int metrics_address_parse(const char *s, struct sockaddr_storage *addr, socklen_t *len)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				 .ai_socktype = SOCK_STREAM};
	char host[64];
	const char *port, *colon = s ? strrchr(s, ':') : NULL;
	struct addrinfo *res;
	size_t host_len;
	unsigned long p;
	char *end;

	if (!colon || !colon[1])
		return -EINVAL;
	port = colon + 1;
	p = strtoul(port, &end, 10);
	if (*end || p == 0 || p > 65535 || *port == '+' || *port == '-' || *port == ' ')
		return -EINVAL;
	host_len = colon - s;
	if (host_len >= 2 && s[0] == '[' && s[host_len - 1] == ']') {
		s++;
		host_len -= 2;
		hints.ai_family = AF_INET6;
	} else if (memchr(s, ':', host_len)) {
		return -EINVAL; /* an IPv6 address goes in brackets */
	}
	if (host_len >= sizeof(host))
		return -EINVAL;
	if (host_len == 0) { /* every address: IPv6's, which the server opens to IPv4 too */
		struct sockaddr_in6 any = {
		    .sin6_family = AF_INET6, .sin6_port = htons(p), .sin6_addr = IN6ADDR_ANY_INIT};

		memset(addr, 0, sizeof(*addr));
		memcpy(addr, &any, sizeof(any));
		*len = sizeof(any);
		return 0;
	}
	memcpy(host, s, host_len);
	host[host_len] = '\0';
	if (getaddrinfo(host, port, &hints, &res))
		return -EINVAL;
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* The bytes that name addr's share: 4 and an IPv4 address, or 6 and an IPv6 /64. */
static void peer_key(const struct sockaddr_storage *addr, uint8_t key[9])
{
	memset(key, 0, 9);
	if (addr->ss_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)addr)->sin_addr, 4);
	} else if (addr->ss_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)addr)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a6)) { /* an IPv4 client of the dual-stack socket */
			key[0] = 4;
			memcpy(key + 1, &a6->s6_addr[12], 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, a6->s6_addr, 8);
		}
	}
}

bool metrics_same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	uint8_t ka[9], kb[9];

	peer_key(a, ka);
	peer_key(b, kb);
	return ka[0] && !memcmp(ka, kb, sizeof(ka));
}
