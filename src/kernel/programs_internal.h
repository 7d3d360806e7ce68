/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_PROGRAMS_INTERNAL_H
#define CTRWATCH_PROGRAMS_INTERNAL_H
/*
 * What the files behind bpf_programs.h share, and nothing else includes: the loaded programs'
 * state (struct bpf_programs, owned by bpf_programs.c, which makes and frees it), the pinned
 * set's names and info, and the calls between the five files:
 *   bpf_programs.c   loads and attaches the skeleton, opens and closes it all;
 *   pinned_set.c     the set under the pin path: its lock's reading, info, seal, shape checks,
 *                    pinning and unpinning, --cleanup;
 *   takeover.c       adopting a pinned set, or taking it over, and draining the older buffer;
 *   program_maps.c   the tracked map's operations, the loss counters, the readmission gate and
 *                    the quotas by creator, as userspace reads and writes them;
 *   pinned_status.c  --status.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <bpf/libbpf.h>

#include "ctrwatch.skel.h"
#include "kernel/bpf_programs.h"
#include "kernel/readmit_gate.h"

enum {
	PIN_MAPS = 9,
	PIN_LINKS = 7,
	PIN_MAP_LOST = 2,
	PIN_MAP_EXEC = 4,
	PIN_MAP_GATE = 5,
	PIN_MAP_QUOTA_FIRST = 6, /* the quotas by creator: charges, accounts, limits and totals */
	PIN_MAP_QUOTA_LAST = 8,
};

struct bpf_programs {
	struct ctrwatch_bpf *skel;
	int ncpus;
	int pin_dir_fd;	  /* flock(2)ed while we read the pinned set; -1 without pinning */
	bool adopted;	  /* the pinned maps are used: records and state carry on */
	bool taking_over; /* ... with our programs in place of the pinned ones */
	bool new_ring;	  /* ... and our own ring buffer: the pinned one has older records */
	bool fresh_lost;  /* ... and our own loss counters: the pinned ones count other types */
	/*
	 * ... and our own exec ring buffer: none is pinned (a set of an earlier build) or one of
	 * another size; its unread records are counted lost (old_exec_fd, until counted).
	 */
	bool new_exec_ring;
	int old_exec_fd;
	bool new_gate;	/* ... and our own readmission gate: none is pinned (an earlier build) */
	bool new_quota; /* ... and our own quota maps: none are pinned (an earlier build) */
	struct readmit_gate_keeper gate;
	bool trace_exec;
	/*
	 * The ring buffer of older programs (another record layout) that we took over from,
	 * pinned as "events_layout<N>" until we have drained it; -1 when there is none.
	 */
	int draining_fd;
	uint32_t draining_layout;
	/* the programs taken over, until they are gone (their links go a moment after) */
	uint32_t old_progs[PIN_LINKS];
	const char *pin_path;
};

/*
 * What a pinned set was made with, in its "info" map: a ctrwatch adopts the set only if all of
 * it matches its own (same programs: the object's hash; same record layout; same options).
 */
struct pinned_set_info {
	uint32_t magic; /* PINNED_SET_MAGIC */
	uint32_t layout;
	uint64_t object_hash;
	uint64_t ringbuf_size; /* the lifecycle ring buffer's; the exec one's is its map's */
	uint32_t hierarchy_id;
	uint32_t max_cgroups;
	uint32_t cgroup_v1;
	uint32_t trace_exec;
};

#define PINNED_SET_MAGIC 0x43545257u /* "CTRW" */
/* The ring buffer of an older record layout, kept pinned by this name until drained. */
#define DRAINING_PREFIX "events_layout" /* bpffs refuses dots in names */

/* The pinned maps and links, by file name under the pin path; "info" goes last, as a seal. */
extern const char *const pinned_maps[PIN_MAPS];
extern const char *const pinned_links[PIN_LINKS];

/* bpf_programs.c: the skeleton's maps, programs and links by their pinned index; loading without
 * the tracing programs (the pinned links keep theirs) */
struct bpf_map *programs_skel_map(struct ctrwatch_bpf *skel, int i);
struct bpf_program *programs_skel_traced(struct ctrwatch_bpf *skel, int i);
struct bpf_link **programs_skel_link(struct ctrwatch_bpf *skel, int i);
void programs_load_no_tracing(struct ctrwatch_bpf *skel);
/* The BPF object's hash: the skeleton's bytes are embedded in bpf_programs.c alone (about 1 MB;
   a second file reading them would embed them twice). */
uint64_t programs_object_hash(void);

/* pinned_set.c: the set under the pin path, its info, its seal and its shape */
int pinned_set_path(char *buf, size_t size, const char *dir, const char *name);
int pinned_set_read_info(const char *pin_path, struct pinned_set_info *info);
int pinned_set_draining_path(char *buf, size_t size, const char *dir, uint32_t layout);
int pinned_set_find_draining(const char *pin_path, uint32_t *layout);
void pinned_set_unpin_all(const char *pin_path);
const char *pinned_set_shape_mismatch(const struct pinned_set_info *have,
				      const struct pinned_set_info *want);
bool pinned_set_same_programs(const struct bpf_programs *progs, const struct pinned_set_info *have,
			      const struct pinned_set_info *want);
bool pinned_set_links_pinned(struct ctrwatch_bpf *skel, const char *pin_path);
int pinned_set_reuse_maps(struct bpf_programs *progs, const char *pin_path);
int pinned_set_pin_new(struct bpf_programs *progs, const char *pin_path,
		       const struct pinned_set_info *info);
void pinned_set_log_error(const char *pin_path, int err, const char *mismatch);

/* pinned_status.c: how many records a ring buffer still holds, unread */
int ringbuf_count_unread(int fd, uint32_t layout, uint64_t *bytes, uint64_t *records);

/* takeover.c: adopting a pinned set, or taking it over */
int takeover_open_pinned(struct bpf_programs *progs, const struct bpf_programs_config *cfg,
			 const struct pinned_set_info *want);

/* program_maps.c: what the maps say and are told */
void program_maps_count_replaced_exec_ring(struct bpf_programs *progs);
int program_maps_write_quota(struct bpf_programs *progs, const struct bpf_programs_config *cfg);
#endif
