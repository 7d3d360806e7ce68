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
/*
 * Every capability the host may grant: the host's PID 1's bounding set, read once at startup
 * from its status (posture_read_grantable: 0 or -errno), which bounds every task's (a host may
 * withhold some from everyone: this VM's root lacks CAP_SYS_RESOURCE, and a privileged
 * container then gets all but it). Unread: every capability the kernel knows.
 */
int posture_read_grantable(const char *status_path);
void posture_set_grantable(uint64_t caps);
uint64_t posture_grantable(void);

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
/* The capability a name says ("CAP_SYS_ADMIN", "SYS_ADMIN", "sys_admin", as engines take them),
 * or -ENOENT. */
int posture_cap_from_name(const char *name);
/* "pid", "net", "ipc", "uts", "mnt", "cgroup", "user", "time" */
const char *posture_ns_name(enum record_ns ns);
/* "disabled", "strict", "filter"; NULL for a mode ctrwatch does not know */
const char *posture_seccomp_name(uint32_t mode);
/* Whether ns is the host's; false when the host's PID 1 was not found (POSTURE_HOST_FOUND). */
bool posture_host_ns(const struct record_posture *p, enum record_ns ns);
/*
 * What the process holds beyond what its engine declared: effective capabilities the declaration
 * grants in none of its sets (when it names them: caps_known), and namespaces that are the
 * host's though declared not (of the kinds it names: ns_known, bits 1 << RECORD_NS_*). Into
 * *caps and *host_ns; true when either is not empty.
 */
bool posture_undeclared(const struct record_posture *p, bool caps_known, uint64_t declared_caps,
			uint8_t ns_known, uint8_t declared_host_ns, uint64_t *caps,
			uint8_t *host_ns);

#endif
