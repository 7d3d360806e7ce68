/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_LOG_H
#define CTRWATCH_LOG_H

#include <stdbool.h>

/* Diagnostics go to stderr, one line each, prefixed "ctrwatch: "; stdout carries only events. */
void log_set_verbose(bool verbose);
/* --log-format json: one JSON object per diagnostic line ({"time","level","msg"}). */
void log_set_json(bool json);
bool log_verbose(void);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
