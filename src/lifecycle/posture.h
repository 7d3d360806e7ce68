/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_POSTURE_H
#define CTRWATCH_POSTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctrwatch_records.h"

/*
 * What a process could do as it ran its program, in words: the kernel's record_posture
 * (capabilities, namespaces, seccomp) named as docs/events.md names them, and whether it was
 * privileged. Pure functions but one setting, the highest capability the running kernel knows,
 * read once at startup (posture_read_cap_last).
 */

/* The kernel's highest capability (/proc/sys/kernel/cap_last_cap); 0 or -errno, the default
 * (CAP_LAST_CAP of the headers ctrwatch was built with) kept. */
int posture_read_cap_last(const char *path);
void posture_set_cap_last(unsigned int cap_last);
unsigned int posture_cap_last(void);

/* Whether the record carries a posture (RECORD_F_POSTURE): older layouts' and --exec's do not. */
bool posture_known(const struct record_process *p);
/*
 * Privileged by the kernel's word: every capability the host's PID 1 may grant (its bounding
 * set, which bounds every task's) is effective, in the host's user namespace (a rootless
 * container's root holds them all, in a namespace of its own). Without the host's PID 1 found:
 * every capability the kernel knows.
 */
bool posture_privileged(const struct record_posture *p);
/* "CAP_SYS_ADMIN"; "CAP_<n>" for one newer than ctrwatch, in buf (16 bytes at least). */
const char *posture_cap_name(unsigned int cap, char *buf, size_t size);
/* "pid", "net", "ipc", "uts", "mnt", "cgroup", "user", "time" */
const char *posture_ns_name(enum record_ns ns);
/* "disabled", "strict", "filter"; NULL for a mode ctrwatch does not know */
const char *posture_seccomp_name(uint32_t mode);
/* Whether ns is the host's; false when the host's PID 1 was not found (POSTURE_HOST_FOUND). */
bool posture_host_ns(const struct record_posture *p, enum record_ns ns);

#endif
