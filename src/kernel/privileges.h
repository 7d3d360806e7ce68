/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_PRIVILEGES_H
#define CTRWATCH_PRIVILEGES_H

#include <stddef.h>

/*
 * Checks that the process may load and attach tracing programs: CAP_SYS_ADMIN, or CAP_BPF and
 * CAP_PERFMON. Returns 0, or -errno with what is missing (or why it cannot tell) in missing.
 */
int privileges_check(char *missing, size_t size);

/* Checks for kernel BTF. Returns 0 or -ENOENT. */
int privileges_check_btf(const char **path);

#endif
