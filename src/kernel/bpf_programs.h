/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_BPF_PROGRAMS_H
#define CTRWATCH_BPF_PROGRAMS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/loss.h"
#include "kernel/creator_quota.h"
#include "kernel/tracked_map.h"

/* bpf/ctrwatch.bpf.c loaded and attached, in the manner of libbpf-bootstrap. */
struct bpf_programs;

struct bpf_programs_config {
	uint32_t hierarchy_id;
	bool cgroup_v1;
	bool trace_exec;
	uint64_t lifecycle_ringbuf_size;
	uint64_t exec_ringbuf_size; /* with trace_exec; without, the exec ring buffer is a page */
	uint32_t max_cgroups;	    /* entries of the tracking map */
	struct creator_quota_config quota; /* its max_cgroups is the one above */
	bool v1_freezer_mounted; /* trace cgroup v1's freezer too (where the kernel allows it) */
	/*
	 * Where the programs, their links and maps are pinned in bpffs, so that they keep
	 * recording after ctrwatch exits; NULL: nothing pinned, all goes with the process.
	 */
	const char *pin_path;
	/* how long to wait for another ctrwatch reading the pin path to exit; 0: refuse */
	unsigned int wait_for_reader_ms;
};

/* Routes libbpf's messages to log.c (debug level: shown with -v). Call before opening. */
void bpf_programs_log_to_logger(void);
/*
 * Opens, configures, loads and attaches the programs; with a pin path, adopts the set pinned
 * there if it is the same (programs, layout and options), else pins a new one. Returns 0 or
 * -errno, having said why in one line (-EBUSY: another ctrwatch holds the pin path
 * (past wait_for_reader_ms); -EINTR: a signal came while waiting; -ESTALE:
 * a different set is pinned there; -ENOTDIR: the pin path is not in a bpf filesystem).
 */
int bpf_programs_open(struct bpf_programs **out, const struct bpf_programs_config *cfg);
/* Whether the programs were found pinned and running: their records may wait unread. */
bool bpf_programs_adopted(const struct bpf_programs *progs);
/* A seq from the kernel's counter, for an event no record carries. Returns 0 or -errno. */
int bpf_programs_take_seq(struct bpf_programs *progs, uint64_t *seq);
/*
 * --cleanup: detaches and removes the set pinned at pin_path. Returns 0 (also when nothing was
 * pinned) or -errno (-EBUSY: a ctrwatch is using it).
 */
int bpf_programs_cleanup(const char *pin_path);
/* --status: what is pinned at pin_path and whether a ctrwatch reads it, on f. Returns 0/-errno. */
int bpf_programs_status(const char *pin_path, FILE *f);
/*
 * The ring buffer of the older programs taken over (another record layout, *layout), to drain
 * before the records ring buffer; -ENOENT when there is none.
 */
int bpf_programs_draining_ringbuf_fd(const struct bpf_programs *progs, uint32_t *layout);
/* The draining ring buffer is empty and its programs gone: unpinned. Returns 0 or -errno. */
int bpf_programs_drained(struct bpf_programs *progs);
/*
 * Whether the programs we took over from have stopped running: their links detach a moment
 * after their pins are replaced, and until then they write the buffer being drained.
 */
bool bpf_programs_taken_over_gone(struct bpf_programs *progs);
/* The lifecycle records' ring buffer, for ringbuf_reader_open(). */
int bpf_programs_ringbuf_fd(const struct bpf_programs *progs);
/* The exec records' ring buffer, or -ENOENT without --exec (no program writes it). */
int bpf_programs_exec_ringbuf_fd(const struct bpf_programs *progs);
/*
 * Entries in the tracking map, for /metrics: ctx is the struct bpf_programs. Read-only
 * syscalls, so any thread may call it while the programs are open.
 */
long bpf_programs_tracked_count(void *ctx);
/* The tracking map's writes, for the lifecycle (its only caller). */
struct tracked_map bpf_programs_tracked_map(struct bpf_programs *progs);
/* Fills the kernel's counters of lost: ringbuf_full and untracked, summed over CPUs. */
/* Readmission (kernel/readmit_gate.h): whether its gate is open, and what the kernel did. */
struct readmission_counts {
	bool open;
	uint64_t sent;		 /* readmissions sent, containers or not */
	uint64_t refused_recent; /* the cgroup was readmitted moments before */
	uint64_t refused_rate;	 /* past the kernel's rate */
	uint64_t refused_room;	 /* the lifecycle ring buffer had no room to spare */
};

/* Ages the gate's reasons out (call every second or so) and reads the kernel's counts. */
int bpf_programs_readmission(struct bpf_programs *progs, uint64_t now_ns,
			     struct readmission_counts *out);
int bpf_programs_read_lost(struct bpf_programs *progs, struct loss_counts *lost);
/* The quotas by creator: the kernel's totals (kernel/creator_quota.h). Returns 0 or -errno. */
int bpf_programs_read_quota(struct bpf_programs *progs, struct creator_quota *totals);
void bpf_programs_close(struct bpf_programs *progs);

#endif
