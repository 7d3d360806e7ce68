// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A process's posture in words (posture.h). The capability names come from the kernel's own
 * header, each spelt as its constant: a name cannot drift from its number.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <linux/capability.h>

#include "lifecycle/posture.h"

#define CAP(name) [name] = #name

static const char *const cap_names[CAP_LAST_CAP + 1] = {
    CAP(CAP_CHOWN),
    CAP(CAP_DAC_OVERRIDE),
    CAP(CAP_DAC_READ_SEARCH),
    CAP(CAP_FOWNER),
    CAP(CAP_FSETID),
    CAP(CAP_KILL),
    CAP(CAP_SETGID),
    CAP(CAP_SETUID),
    CAP(CAP_SETPCAP),
    CAP(CAP_LINUX_IMMUTABLE),
    CAP(CAP_NET_BIND_SERVICE),
    CAP(CAP_NET_BROADCAST),
    CAP(CAP_NET_ADMIN),
    CAP(CAP_NET_RAW),
    CAP(CAP_IPC_LOCK),
    CAP(CAP_IPC_OWNER),
    CAP(CAP_SYS_MODULE),
    CAP(CAP_SYS_RAWIO),
    CAP(CAP_SYS_CHROOT),
    CAP(CAP_SYS_PTRACE),
    CAP(CAP_SYS_PACCT),
    CAP(CAP_SYS_ADMIN),
    CAP(CAP_SYS_BOOT),
    CAP(CAP_SYS_NICE),
    CAP(CAP_SYS_RESOURCE),
    CAP(CAP_SYS_TIME),
    CAP(CAP_SYS_TTY_CONFIG),
    CAP(CAP_MKNOD),
    CAP(CAP_LEASE),
    CAP(CAP_AUDIT_WRITE),
    CAP(CAP_AUDIT_CONTROL),
    CAP(CAP_SETFCAP),
    CAP(CAP_MAC_OVERRIDE),
    CAP(CAP_MAC_ADMIN),
    CAP(CAP_SYSLOG),
    CAP(CAP_WAKE_ALARM),
    CAP(CAP_BLOCK_SUSPEND),
    CAP(CAP_AUDIT_READ),
    CAP(CAP_PERFMON),
    CAP(CAP_BPF),
    CAP(CAP_CHECKPOINT_RESTORE),
};

static const char *const ns_names[RECORD_NS_KINDS] = {
    [RECORD_NS_PID] = "pid",   [RECORD_NS_NET] = "net",	  [RECORD_NS_IPC] = "ipc",
    [RECORD_NS_UTS] = "uts",   [RECORD_NS_MNT] = "mnt",	  [RECORD_NS_CGROUP] = "cgroup",
    [RECORD_NS_USER] = "user", [RECORD_NS_TIME] = "time",
};

/* Only main sets them, before any event is made; read by every encoder and decoder after. */
static unsigned int cap_last = CAP_LAST_CAP;
static uint64_t grantable; /* 0: not read, every capability cap_last says */

int posture_read_cap_last(const char *path)
{
	unsigned int n;
	FILE *f = fopen(path, "re");
	int rc = 0;

	if (!f)
		return -errno;
	if (fscanf(f, "%u", &n) != 1 || n > 63)
		rc = -EINVAL;
	else
		cap_last = n;
	fclose(f);
	return rc;
}

/* Capabilities 0..cap_last: every one the running kernel knows. */
static uint64_t known_caps(void)
{
	return cap_last >= 63 ? UINT64_MAX : (1ull << (cap_last + 1)) - 1;
}

void posture_set_cap_last(unsigned int last)
{
	cap_last = last > 63 ? 63 : last;
}

unsigned int posture_cap_last(void)
{
	return cap_last;
}

int posture_read_grantable(const char *status_path)
{
	char line[256];
	unsigned long long bnd;
	FILE *f = fopen(status_path, "re");
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (rc == -ENOENT && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapBnd: %llx", &bnd) == 1) {
			grantable = bnd;
			rc = 0;
		}
	fclose(f);
	return rc;
}

void posture_set_grantable(uint64_t caps)
{
	grantable = caps;
}

uint64_t posture_grantable(void)
{
	return grantable ? grantable : known_caps();
}

bool posture_known(const struct record_process *p)
{
	return p && (p->hdr.flags & RECORD_F_POSTURE);
}

bool posture_privileged(const struct record_posture *p)
{
	uint64_t all = known_caps();

	/* the host's PID 1 found: all it holds (a host may withhold some from everyone) */
	if (p->flags & POSTURE_HOST_FOUND)
		return (p->flags & POSTURE_HOST_CAPS) && posture_host_ns(p, RECORD_NS_USER);
	return (p->cap_effective & all) == all;
}

const char *posture_cap_name(unsigned int cap, char *buf, size_t size)
{
	if (cap <= CAP_LAST_CAP && cap_names[cap])
		return cap_names[cap];
	snprintf(buf, size, "CAP_%u", cap);
	return buf;
}

int posture_cap_from_name(const char *name)
{
	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	for (unsigned int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (cap_names[cap] && !strcasecmp(cap_names[cap] + 4, name))
			return (int)cap;
	return -ENOENT;
}

const char *posture_ns_name(enum record_ns ns)
{
	return (unsigned int)ns < RECORD_NS_KINDS ? ns_names[ns] : "?";
}

const char *posture_seccomp_name(uint32_t mode)
{
	static const char *const names[] = {"disabled", "strict", "filter"};

	return mode < sizeof(names) / sizeof(names[0]) ? names[mode] : NULL;
}

bool posture_host_ns(const struct record_posture *p, enum record_ns ns)
{
	return (p->flags & POSTURE_HOST_FOUND) && (unsigned int)ns < RECORD_NS_KINDS &&
	       (p->host_ns & (1u << ns));
}

bool posture_undeclared(const struct record_posture *p, bool caps_known, uint64_t declared_caps,
			uint8_t ns_known, uint8_t declared_host_ns, uint64_t *caps,
			uint8_t *host_ns)
{
	uint8_t observed_host = (p->flags & POSTURE_HOST_FOUND) ? (uint8_t)p->host_ns : 0;

	*caps = caps_known ? p->cap_effective & ~declared_caps : 0;
	*host_ns = observed_host & ns_known & (uint8_t)~declared_host_ns;
	return *caps || *host_ns;
}
