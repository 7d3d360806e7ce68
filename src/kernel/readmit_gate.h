/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_READMIT_GATE_H
#define CTRWATCH_READMIT_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "ctrwatch_records.h"

/*
 * Userspace's side of readmission's gate (struct readmit_gate, the readmit_gate map): it holds the
 * gate open while it has a reason of its own (it let a lookalike go: if that was a container
 * after all, its start must be seen) and closes the kernel's reasons (mkdirs it missed) once they
 * have been quiet for a window. The owner of the map's READMIT_GATE_USER entry.
 */
struct readmit_gate_keeper {
	int fd;			    /* the readmit_gate map; -1: none (tests of the logic) */
	uint64_t window_ns;	    /* how long a reason holds the gate open */
	uint64_t held_until_ns;	    /* userspace's reasons: open until then */
	uint64_t missed_seen;	    /* the kernel's missed count, as last read */
	uint64_t missed_changed_ns; /* when it last changed */
	struct readmit_gate user;   /* the entry as last written */
};

/* How long a reason holds the gate open unless CTRWATCH_TEST_READMIT_WINDOW_MS says otherwise. */
#define READMIT_WINDOW_NS (60ull * 1000000000ull)

/*
 * What userspace's entry should say at now_ns, given the kernel's entry: pure. A kernel count
 * that moved since the keeper last looked restarts its window.
 */
struct readmit_gate readmit_gate_wanted(struct readmit_gate_keeper *g,
					const struct readmit_gate *kernel, uint64_t now_ns);

/*
 * Starts keeping the gate of map fd. Reasons the previous ctrwatch left (pinned programs) hold
 * it open one more window. Returns 0 or -errno.
 */
int readmit_gate_open(struct readmit_gate_keeper *g, int fd, uint64_t now_ns);
/* A reason of userspace's: the gate is open when this returns 0 (-errno if it cannot be). */
int readmit_gate_hold(struct readmit_gate_keeper *g, uint64_t now_ns);
/* Ages the reasons out; the kernel's entry in *kernel (counters included). Returns 0 or -errno. */
int readmit_gate_update(struct readmit_gate_keeper *g, uint64_t now_ns,
			struct readmit_gate *kernel);
/* Whether the gate is open, as userspace last wrote it and the kernel last counted. */
bool readmit_gate_is_open(const struct readmit_gate_keeper *g);

#endif
