/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_LOG_H
#define CTRWATCH_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* Diagnostics go to stderr, one line each, prefixed "ctrwatch: "; stdout carries only events. */
void log_set_verbose(bool verbose);
/* --log-format json: one JSON object per diagnostic line ({"time","level","msg"}). */
void log_set_json(bool json);
bool log_verbose(void);
/*
 * in with every control byte (below 0x20, and 0x7f) written as \xNN, into out (size bytes,
 * NUL-terminated, cut short rather than split an escape): what a text log line carries of a
 * peer's words (containerd's grpc-message, a path) can neither end the line nor steer a
 * terminal.
 */
void log_escape(const char *in, char *out, size_t size);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
