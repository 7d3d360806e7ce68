/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_BPF_PROGRAMS_H
#define CTRWATCH_BPF_PROGRAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/loss.h"
#include "kernel/tracked_map.h"

/* bpf/ctrwatch.bpf.c loaded and attached, in the manner of libbpf-bootstrap. */
struct bpf_programs;

struct bpf_programs_config {
	uint32_t hierarchy_id;
	bool cgroup_v1;
	bool trace_exec;
	uint64_t ringbuf_size;
	uint32_t max_cgroups; /* entries of the tracking map */
};

/* Routes libbpf's messages to log.c (debug level: shown with -v). Call before opening. */
void bpf_programs_log_to_logger(void);
/* Opens, configures, loads and attaches the programs. Returns 0 or -errno. */
int bpf_programs_open(struct bpf_programs **out, const struct bpf_programs_config *cfg);
/* The records ring buffer, for ringbuf_reader_open(). */
int bpf_programs_ringbuf_fd(const struct bpf_programs *progs);
/* The tracking map's writes, for the lifecycle (its only caller). */
struct tracked_map bpf_programs_tracked_map(struct bpf_programs *progs);
/* Fills the kernel's counters of lost: ringbuf_full and untracked, summed over CPUs. */
int bpf_programs_read_lost(struct bpf_programs *progs, struct loss_counts *lost);
void bpf_programs_close(struct bpf_programs *progs);

#endif
