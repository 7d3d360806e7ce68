/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_KERNEL_FEATURES_H
#define CTRWATCH_KERNEL_FEATURES_H

#include <stddef.h>

/* The oldest Linux with every BPF feature ctrwatch uses (kernel_features.c lists them). */
#define KERNEL_FEATURES_OLDEST "5.14"

/*
 * Probes the BPF features ctrwatch needs beyond BTF, oldest first. Returns 0 when the kernel has
 * them all, else -EOPNOTSUPP with missing naming the first it lacks and the Linux release that
 * brought it ("... (Linux 5.14)"). Needs CAP_BPF (the probes load programs and make maps).
 */
int kernel_features_check(char *missing, size_t size);

#endif
