/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_DECLARED_H
#define CTRWATCH_DECLARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What an engine declared a container may do: its OCI spec (containerd, a CRI runtime) or its
 * inspect (Docker, Podman). The engine's word, as the user's request reached it; the kernel's
 * word is the process's posture (lifecycle/posture.h), and the two are compared per line.
 * Every string is the user's (a mount's source, a profile's name): owned, printed escaped.
 */

/* Bind mounts kept per container, and the bytes of each path kept (the rest cut). */
#define DECLARED_MOUNTS_MAX 32
#define DECLARED_PATH_MAX   1024

enum declared_tri {
	DECLARED_UNKNOWN = 0, /* the engine did not say */
	DECLARED_NO,
	DECLARED_YES,
};

struct declared_mount {
	char *source; /* the host's path */
	char *destination;
	bool read_only;
	bool sensitive; /* declared_path_sensitive(source) */
};

struct container_declared {
	bool known; /* an engine's declaration was read: the rest means something */
	enum declared_tri privileged;
	bool caps_known;
	uint64_t caps;		       /* bit n: capability n, in any of the process's sets */
	uint64_t caps_added;	       /* of caps, those beyond the engine's default set */
	uint8_t ns_known;	       /* bit 1 << RECORD_NS_*: the kinds the declaration says */
	uint8_t host_ns;	       /* of those, the ones declared the host's */
	struct declared_mount *mounts; /* binds from the host, the sensitive ones first */
	size_t n_mounts;
	bool mounts_truncated; /* past DECLARED_MOUNTS_MAX some were left out (never a sensitive
				  one for a harmless one) */
	char *seccomp;	       /* "unconfined" or "confined"; NULL: not said */
	char *apparmor;	       /* a profile's name, or "unconfined"; NULL: not said */
	enum declared_tri read_only_rootfs;
	char *
	    user; /* the run-as user as the engine says it: "1000:1000", "nobody"; NULL: not said */
	enum declared_tri user_namespace;
};

/* Whose default capability set "added" is counted from. */
enum declared_engine {
	DECLARED_ENGINE_OCI,	/* containerd's, and Docker's: its OCI spec defaults */
	DECLARED_ENGINE_PODMAN, /* containers.conf's default, narrower */
};

void declared_free(struct container_declared *d);
/* About what d holds in memory, for the metadata cache's byte bound. */
size_t declared_size(const struct container_declared *d);
/*
 * Whether a bind mount from the host's path gives a container a hold on the host
 * (docs/events.md, "Sensitive mounts"): the host's root or a directory above a listed one
 * (`/`, `/var`, `/run`), a listed directory itself (`/etc`, `/var/lib/kubelet`, an engine's
 * state), anything under `/proc`, `/sys`, `/dev`, `/root`, `/home`, `/boot` or the kernel's
 * modules, or an engine's socket. Judged on the path as written, made canonical lexically
 * (`//`, `.`, `..`, a trailing `/`, `/var/run` for `/run`): a symlink on the host is not
 * followed.
 */
bool declared_path_sensitive(const char *source);
/*
 * Adds a bind mount (source and destination copied, cut at DECLARED_PATH_MAX bytes). Past
 * DECLARED_MOUNTS_MAX a sensitive one takes the place of the last harmless one kept; else it is
 * left out. mounts_truncated then. 0 or -ENOMEM.
 */
int declared_add_mount(struct container_declared *d, const char *source, const char *destination,
		       bool read_only);

#endif
