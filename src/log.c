// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static bool verbose;

void log_set_verbose(bool on)
{
	verbose = on;
}

bool log_verbose(void)
{
	return verbose;
}

static void log_line(const char *level, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (level)
		fprintf(stderr, "ctrwatch: %s: %s\n", level, line);
	else
		fprintf(stderr, "ctrwatch: %s\n", line);
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
