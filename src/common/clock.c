// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
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

uint64_t clock_monotonic_ns(void)
{
	return read_ns(CLOCK_MONOTONIC);
}

int64_t clock_monotonic_ms(void)
{
	return (int64_t)(read_ns(CLOCK_MONOTONIC) / 1000000);
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

/* n digits at s as a number, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The fraction after the seconds, in nanoseconds (digits past the ninth are dropped). */
static const char *parse_fraction(const char *s, uint64_t *ns)
{
	uint64_t scale = 100000000ull;

	*ns = 0;
	if (*s != '.')
		return s;
	if (!isdigit((unsigned char)*++s))
		return NULL;
	for (; isdigit((unsigned char)*s); s++, scale /= 10)
		*ns += (uint64_t)(*s - '0') * scale;
	return s;
}

int clock_parse_rfc3339(const char *s, uint64_t *realtime_ns)
{
	struct tm tm = {0};
	int offset_s = 0;
	uint64_t frac;
	time_t sec;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return -EINVAL;
	tm.tm_year = digits(s, 4) - 1900;
	tm.tm_mon = digits(s + 5, 2) - 1;
	tm.tm_mday = digits(s + 8, 2);
	tm.tm_hour = digits(s + 11, 2);
	tm.tm_min = digits(s + 14, 2);
	tm.tm_sec = digits(s + 17, 2);
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
	    tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
		return -EINVAL;
	s = parse_fraction(s + 19, &frac);
	if (!s)
		return -EINVAL;
	if ((*s == 'Z' || *s == 'z') && s[1] == '\0') {
		offset_s = 0;
	} else if ((*s == '+' || *s == '-') && strlen(s) == 6 && s[3] == ':') {
		int h = digits(s + 1, 2), m = digits(s + 4, 2);

		if (h < 0 || h > 23 || m < 0 || m > 59)
			return -EINVAL;
		offset_s = (h * 3600 + m * 60) * (*s == '-' ? -1 : 1);
	} else {
		return -EINVAL;
	}
	sec = timegm(&tm) - offset_s;
	if (sec < 0)
		return -EINVAL;
	*realtime_ns = (uint64_t)sec * 1000000000ull + frac;
	return 0;
}
