/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CLOCK_H
#define CTRWATCH_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define RFC3339_NANO_LEN 31 /* "2026-11-22T19:33:47.123456789Z" + NUL */

/* Records carry CLOCK_BOOTTIME; events say wall-clock time. Call once at startup. */
void clock_init(void);
uint64_t clock_boot_to_realtime_ns(uint64_t boot_ns);
uint64_t clock_boottime_ns(void);
/* CLOCK_MONOTONIC: what deadlines and backoffs are measured in. */
uint64_t clock_monotonic_ns(void);
int64_t clock_monotonic_ms(void);
/* RFC 3339 UTC with nanoseconds. */
void clock_format_rfc3339(uint64_t realtime_ns, char out[RFC3339_NANO_LEN]);

/*
 * "2026-12-02T08:51:45.690473397Z" or with a "+01:00" offset (RFC 3339, as Go writes
 * time.Time): nanoseconds since the epoch. Returns 0, or -EINVAL for anything else or a time
 * before 1970.
 */
int clock_parse_rfc3339(const char *s, uint64_t *realtime_ns);

/* Milliseconds to wait for deadline_ns (0: none) from now_ns, at most cap_ms. */
int clock_ms_until(uint64_t deadline_ns, uint64_t now_ns, int cap_ms);

#endif
