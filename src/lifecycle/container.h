/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CONTAINER_H
#define CTRWATCH_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>

#include "lifecycle/cgroup_path.h"

enum container_phase {
	CONTAINER_CREATED, /* cgroup seen, entrypoint not (yet) known to run */
	CONTAINER_STARTED, /* init_pid is its entrypoint */
	CONTAINER_EXITED,  /* its init is gone; the cgroup may still be there */
};

enum container_freeze {
	CONTAINER_THAWED,	  /* a new container's, and after container_resumed */
	CONTAINER_FROZEN,	  /* after container_paused */
	CONTAINER_FREEZE_UNKNOWN, /* found running: it may have been paused before we started */
};

/*
 * One container, from its cgroup's birth to the last line written about it. Reference-counted
 * in the manner of the kernel's kref: the lifecycle's table holds one reference while the cgroup
 * exists, each event on its way to output holds one, and the last container_put() frees it.
 *
 * Who writes what (docs/architecture.md, "Ownership"):
 * - identity (cgroup_id .. existing): set by the lifecycle when it creates the container, then
 *   never changed; every stage reads it;
 * - phase, confirmed, init_pid: written by lifecycle.c alone; other stages read them and report
 *   what they learn through lifecycle_confirm() and lifecycle_drop().
 * Every other stage keeps its per-container state in its own private structures.
 */
struct container {
	uint64_t cgroup_id;
	char *cgroup_path;
	bool cgroup_path_truncated;
	struct container_ident ident;
	uint64_t created_ns; /* CLOCK_BOOTTIME of the cgroup's mkdir; 0 for an existing one */
	bool existing;	     /* found by the startup scan */
	bool readmitted;     /* the kernel first tracked it at its start: created_ns is that */
	/* the container whose cgroup this one's is nested in (kind, Docker-in-Docker), or "" */
	char parent_id[CONTAINER_ID_MAX + 1];

	enum container_phase phase;
	bool confirmed;	   /* known to be a container, not a /<ns>/<id> lookalike directory */
	uint32_t init_pid; /* 0 until known */
	enum container_freeze freeze; /* what its last paused/resumed event said */
	unsigned int aliases;	      /* its sub-cgroups followed as its own (lifecycle.c) */
	/*
	 * Taken back at startup in the phase the kernel's map gave: a start or exit the kernel
	 * made just before may still have its record in the ring buffer, read after the scan. An
	 * unreleased record was not printed (or was, just before a SIGKILL): it is reported.
	 */
	bool adopted_before_records;
	/* ... and its mkdir record, read after the scan, still to report as its create */
	bool adopted_create_unreported;

	unsigned int refs;
};

/* A new container holding one reference (the caller's). Returns NULL with errno set. */
struct container *container_new(uint64_t cgroup_id, const char *cgroup_path, bool truncated,
				const struct container_ident *ident);
/* Takes one more reference; returns c. */
struct container *container_get(struct container *c);
/* Drops a reference; the last one frees. NULL is a no-op. */
void container_put(struct container *c);
/* Containers not yet freed, in this process: for the ownership tests. */
unsigned long container_live_count(void);

#endif
