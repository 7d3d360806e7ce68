// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <time.h>

#include "common/clock.h"

static int64_t boot_to_realtime_offset;

static uint64_t read_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t clock_boottime_ns(void)
{
	return read_ns(CLOCK_BOOTTIME);
}

/* The offset from the tightest of a few back-to-back readings. */
void clock_init(void)
{
	uint64_t best_gap = UINT64_MAX;

	for (int i = 0; i < 5; i++) {
		uint64_t b0 = read_ns(CLOCK_BOOTTIME);
		uint64_t rt = read_ns(CLOCK_REALTIME);
		uint64_t b1 = read_ns(CLOCK_BOOTTIME);

		if (b1 - b0 < best_gap) {
			best_gap = b1 - b0;
			boot_to_realtime_offset = (int64_t)rt - (int64_t)(b0 + (b1 - b0) / 2);
		}
	}
}

uint64_t clock_boot_to_realtime_ns(uint64_t boot_ns)
{
	return (uint64_t)((int64_t)boot_ns + boot_to_realtime_offset);
}

void clock_format_rfc3339(uint64_t realtime_ns, char out[RFC3339_NANO_LEN])
{
	time_t sec = realtime_ns / 1000000000ull;
	struct tm tm;

	gmtime_r(&sec, &tm);
	/* 19 bytes of date and time, then ".nnnnnnnnnZ" */
	strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + 19, RFC3339_NANO_LEN - 19, ".%09uZ",
		 (unsigned int)(realtime_ns % 1000000000ull));
}

int clock_ms_until(uint64_t deadline_ns, uint64_t now_ns, int cap_ms)
{
	uint64_t ms;

	if (!deadline_ns)
		return cap_ms;
	if (deadline_ns <= now_ns)
		return 0;
	ms = (deadline_ns - now_ns) / 1000000 + 1; /* rounded up: never wake just before it */
	return ms < (uint64_t)cap_ms ? (int)ms : cap_ms;
}
