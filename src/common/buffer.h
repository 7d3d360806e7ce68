/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_BUFFER_H
#define CTRWATCH_BUFFER_H

#include <stddef.h>

/*
 * Makes *buf (of *cap bytes) hold at least want bytes, its capacity doubled from first (or from
 * what it has): a buffer filled piece by piece costs no quadratic copying. Returns 0, or -ENOMEM
 * with *buf and *cap unchanged.
 */
int buffer_reserve(char **buf, size_t *cap, size_t want, size_t first);

#endif
