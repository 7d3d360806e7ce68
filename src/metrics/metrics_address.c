// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* --metrics-address parsing: numeric addresses only, so that nothing resolves at startup. */
#include <errno.h>
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
	memcpy(host, s, host_len);
	host[host_len] = '\0';
	if (getaddrinfo(host_len ? host : NULL, port, &hints, &res))
		return -EINVAL;
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}
