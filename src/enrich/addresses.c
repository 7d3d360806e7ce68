// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A container's addresses: parsed, deduplicated, bounded (addresses.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "enrich/addresses.h"

static bool unspecified(const struct container_address *addr)
{
	static const uint8_t zero[16];

	return memcmp(addr->bytes, zero, addr->family == AF_INET ? 4 : 16) == 0;
}

static bool kept(const struct container_addresses *a, const struct container_address *addr)
{
	for (uint8_t i = 0; i < a->n; i++)
		if (!memcmp(&a->addr[i], addr, sizeof(*addr)))
			return true;
	return false;
}

int addresses_add(struct container_addresses *a, const char *text)
{
	struct container_address addr = {0};

	if (!text)
		return -EINVAL;
	if (inet_pton(AF_INET, text, addr.bytes) == 1)
		addr.family = AF_INET;
	else if (inet_pton(AF_INET6, text, addr.bytes) == 1)
		addr.family = AF_INET6;
	else
		return -EINVAL;
	if (unspecified(&addr))
		return -EINVAL;
	if (kept(a, &addr))
		return -EEXIST;
	if (a->n == ADDRESSES_MAX) {
		a->truncated = true;
		return -ENOSPC;
	}
	a->addr[a->n++] = addr;
	return 0;
}

void addresses_format(const struct container_address *addr, char *buf)
{
	if (!inet_ntop(addr->family, addr->bytes, buf, ADDRESS_TEXT_MAX))
		buf[0] = '\0'; /* not reached: the family is one addresses_add set */
}
