/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_STARTUP_CHECKS_H
#define CTRWATCH_STARTUP_CHECKS_H

#include "cli.h"
#include "kernel/cgroup_hierarchy.h"

/*
 * BTF, privileges, kernel features (each refusal one line of its own, and -errno), the
 * posture's settings (a warning each when unreadable), then the hierarchy opts asks for, in h.
 */
int startup_check_environment(const struct options *opts, struct cgroup_hierarchy *h);
/* Ring buffers no smaller than this kernel's page (16 or 64 KiB on some arm64 kernels). */
void startup_fit_rings_to_page(struct options *opts);

#endif
