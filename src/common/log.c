// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "common/clock.h"
#include "output/json_writer.h"
#include "common/log.h"

static bool verbose;
static bool json;

void log_set_json(bool on)
{
	json = on;
}

/* Diagnostics can carry attacker-controlled text (container ids, paths): encode, never paste. */
static void log_json(const char *level, const char *msg)
{
	struct json_writer w;
	struct timespec ts;
	char time[RFC3339_NANO_LEN];

	clock_gettime(CLOCK_REALTIME, &ts);
	clock_format_rfc3339((uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec, time);
	json_writer_init(&w);
	json_object_begin(&w);
	json_key(&w, "time");
	json_string(&w, time);
	json_key(&w, "level");
	json_string(&w, level ? level : "info");
	json_key(&w, "msg");
	json_string(&w, msg);
	json_object_end(&w);
	json_newline(&w);
	if (!json_writer_failed(&w))
		fputs(w.buf, stderr);
	json_writer_free(&w);
}

void log_set_verbose(bool on)
{
	verbose = on;
}

bool log_verbose(void)
{
	return verbose;
}

void log_escape(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in && o + 1 < size; in++) {
		unsigned char c = *in;

		if (c >= 0x20 && c != 0x7f) {
			out[o++] = c;
		} else if (o + 4 < size) {
			snprintf(out + o, 5, "\\x%02x", c);
			o += 4;
		} else {
			break;
		}
	}
	out[o] = '\0';
}

static void log_line(const char *level, const char *fmt, va_list ap)
{
	char line[1024], escaped[4 * sizeof(line)];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (json) {
		log_json(level, line);
		return;
	}
	log_escape(line, escaped, sizeof(escaped));
	if (level)
		fprintf(stderr, "ctrwatch: %s: %s\n", level, escaped);
	else
		fprintf(stderr, "ctrwatch: %s\n", escaped);
}

#define DEFINE_LOG(name, level, enabled)                                                           \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		va_list ap;                                                                        \
		if (!(enabled))                                                                    \
			return;                                                                    \
		va_start(ap, fmt);                                                                 \
		log_line(level, fmt, ap);                                                          \
		va_end(ap);                                                                        \
	}

DEFINE_LOG(log_error, "error", true)
DEFINE_LOG(log_warn, "warning", true)
DEFINE_LOG(log_info, NULL, true)
DEFINE_LOG(log_debug, "debug", verbose)
