/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_LIFECYCLE_H
#define CTRWATCH_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/cgroup_scan.h"
#include "kernel/tracked_map.h"
#include "lifecycle/event.h"

/*
 * Turns kernel records into container events: classifies new cgroups, forgets the ones that are
 * not containers (in the kernel too), and lets through, per container, one create (or existing),
 * one start, one exit and one remove, in that order. It owns the container table, every
 * container's phase, confirmation and init, and is the only writer of the kernel's tracking map.
 */
struct lifecycle;

#define ALIASES_PER_CONTAINER 64

/* Returns NULL with errno set. */
struct lifecycle *lifecycle_new(const struct tracked_map *map);
/* Drops the table's references; containers still held by events live on until released. */
void lifecycle_free(struct lifecycle *lc);

/*
 * Handles one ring buffer record. Returns 1 with *ev filled when it makes an event (the caller
 * owns ev->container's reference: pass the event on or event_release() it), 0 when it makes none,
 * -EINVAL for a malformed record (counted).
 */
int lifecycle_handle_record(struct lifecycle *lc, const void *data, size_t size, struct event *ev);
/* A container found by the startup scan; now_ns is CLOCK_BOOTTIME. Returns as above. */
int lifecycle_add_existing(struct lifecycle *lc, const struct existing_container *ec,
			   uint64_t now_ns, struct event *ev);

/*
 * Carrying on from the ctrwatch before us, on the programs it pinned (src/adopt.c): a container
 * it followed, taken back silently (its create and start were printed then) from what the
 * kernel map holds of it. Its records still unread (start_unread, exit_unread: read again by
 * the drain that follows) set where it is: they will be printed.
 */
struct adopted_state {
	struct tracked_cgroup kernel; /* the container's entry, or the started one of its cgroups */
	bool start_unread;
	bool exit_unread;
};
int lifecycle_adopt(struct lifecycle *lc, const struct existing_container *ec,
		    const struct adopted_state *st);
/* One whose cgroup went while nobody read: only its unread records (exit, rmdir) are left. */
int lifecycle_adopt_gone(struct lifecycle *lc, uint64_t cgroup_id, const char *path,
			 const struct adopted_state *st);
/* A sub-cgroup, gone too, of a container adopted so: its exit may be among the records. */
void lifecycle_adopt_alias(struct lifecycle *lc, uint64_t cgroup_id, uint64_t container_id);
/* Whether the lifecycle follows this cgroup, as a container or inside one. */
bool lifecycle_knows(struct lifecycle *lc, uint64_t cgroup_id);

/* Facts other stages learn. Both ignore a container the lifecycle no longer has. */
/* containerd knows this container (its spec names the cgroup); init_pid: its init, or 0. */
void lifecycle_confirm(struct lifecycle *lc, uint64_t cgroup_id, uint32_t init_pid);
/* A cgroup whose name said no id (CGROUP_FORM_UNNAMED) is container id, as its engine says. */
void lifecycle_identify(struct lifecycle *lc, uint64_t cgroup_id, const char *id);
/* The filters dropped it: forget it here and in the kernel; nothing more of it is emitted. */
void lifecycle_drop(struct lifecycle *lc, uint64_t cgroup_id);
/*
 * An unconfirmed /<ns>/<id> lookalike containerd does not know (or that no lookup could be
 * afforded for): forgotten here and in the kernel, so that a flood of them cannot fill either.
 * If it is a container after all, its start readmits it. Returns 0, or -EBUSY when the kernel
 * saw its start meanwhile: it stays, and its start record will confirm it.
 */
int lifecycle_forget(struct lifecycle *lc, uint64_t cgroup_id);

unsigned int lifecycle_count(const struct lifecycle *lc);
uint64_t lifecycle_malformed(const struct lifecycle *lc);
/* Containers the kernel readmitted at their start. */
uint64_t lifecycle_readmitted(const struct lifecycle *lc);
/*
 * Sub-cgroups of containers not followed: a container's own past ALIASES_PER_CONTAINER (a
 * container with a writable cgroupfs must not fill the kernel map, which every new container
 * needs room in).
 */
uint64_t lifecycle_aliases_refused(const struct lifecycle *lc);

#endif
