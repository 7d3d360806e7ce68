// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Userspace's side of the programs' maps: the tracked map's operations (tracked_map.h), the
 * loss counters, the readmission gate and the quotas by creator.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/clock.h"
#include "common/log.h"
#include "kernel/bpf_programs.h"
#include "kernel/programs_internal.h"
#include "kernel/creator_quota.h"
#include "kernel/readmit_gate.h"

/* Adds n to a loss counter (its first CPU's slot), as if the kernel had counted them. */
static int add_lost(struct bpf_programs *progs, uint32_t slot, uint64_t n)
{
	int fd = bpf_map__fd(progs->skel->maps.lost_records), err = 0;
	uint64_t *percpu = calloc(progs->ncpus, sizeof(*percpu));

	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &slot, percpu) == 0) {
		percpu[0] += n;
		err = bpf_map_update_elem(fd, &slot, percpu, BPF_EXIST) ? -errno : 0;
	} else {
		err = -errno;
	}
	free(percpu);
	return err;
}

/*
 * The pinned exec ring buffer we replaced (another size): the records nobody released in it are
 * lost, and counted so. Exec records are the kind that may be lost, counted; lifecycle ones are
 * never in it.
 */
void program_maps_count_replaced_exec_ring(struct bpf_programs *progs)
{
	uint64_t bytes, unread;

	if (progs->old_exec_fd < 0)
		return;
	if (!ringbuf_count_unread(progs->old_exec_fd, RECORDS_LAYOUT_VERSION, &bytes, &unread) &&
	    unread) {
		log_warn("the pinned exec ring buffer (another size) held %llu records nobody "
			 "printed: counted as lost process_exec",
			 (unsigned long long)unread);
		add_lost(progs, RECORD_PROCESS_EXEC, unread);
	}
	close(progs->old_exec_fd);
	progs->old_exec_fd = -1;
}

int program_maps_write_quota(struct bpf_programs *progs, const struct bpf_programs_config *cfg)
{
	struct creator_quota_config quota = cfg->quota;
	int err;

	quota.max_cgroups = cfg->max_cgroups;
	err = creator_quota_write_limits(bpf_map__fd(progs->skel->maps.creator_quota), &quota);
	if (err)
		log_error("cannot write the quotas by creator: %s", strerror(-err));
	return err;
}

static int tracked_fd(void *ctx)
{
	return bpf_map__fd(((struct bpf_programs *)ctx)->skel->maps.tracked_cgroups);
}

/* A cgroup the map has no room for: if it is a container, only its start can bring it back. */
static int tracked_insert(void *ctx, uint64_t cgroup_id, const struct tracked_cgroup *value)
{
	struct bpf_programs *progs = ctx;
	int err = 0;

	if (bpf_map_update_elem(tracked_fd(ctx), &cgroup_id, value, BPF_NOEXIST)) {
		err = -errno;
		if (err != -EEXIST)
			readmit_gate_hold(&progs->gate, clock_boottime_ns());
	}
	return err;
}

/*
 * A cgroup userspace stopped tracking: its creator's charge back (refund_cgroup, atomic with
 * the kernel's refund at its rmdir). A failure leaves it charged until its rmdir.
 */
static void refund(struct bpf_programs *progs, uint64_t cgroup_id)
{
	struct refund_args args = {.cgroup_id = cgroup_id};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args, .ctx_size_in = sizeof(args));

	if (bpf_prog_test_run_opts(bpf_program__fd(progs->skel->progs.refund_cgroup), &opts))
		log_debug("cgroup %llu stays charged to its creator until its rmdir: %s",
			  (unsigned long long)cgroup_id, strerror(errno));
}

static int tracked_remove(void *ctx, uint64_t cgroup_id)
{
	if (bpf_map_delete_elem(tracked_fd(ctx), &cgroup_id))
		return errno == ENOENT ? 0 : -errno;
	refund(ctx, cgroup_id);
	return 0;
}

/*
 * Atomic against the kernel's start rule: the entry leaves the map whole, then goes back if it
 * says started. A start after the delete finds the cgroup untracked and readmits it: the gate
 * is open before the entry goes, or that start could find it closed.
 */
static int tracked_forget(void *ctx, uint64_t cgroup_id)
{
	struct bpf_programs *progs = ctx;
	struct tracked_cgroup value;
	int fd = tracked_fd(ctx), err;

	err = readmit_gate_hold(&progs->gate, clock_boottime_ns());
	if (err)
		return err; /* kept: a closed gate would miss its start */

	if (bpf_map_lookup_and_delete_elem(fd, &cgroup_id, &value))
		return errno == ENOENT ? 0 : -errno;
	if (value.state == TRACKED_PENDING) {
		refund(progs, cgroup_id);
		return 0;
	}
	/* -EEXIST: the kernel readmitted it in between; either way it is tracked */
	if (bpf_map_update_elem(fd, &cgroup_id, &value, BPF_NOEXIST) && errno != EEXIST)
		return -errno;
	return -EBUSY;
}

static int tracked_set_init(void *ctx, uint64_t cgroup_id, uint32_t pid)
{
	struct tracked_cgroup value;
	int fd = tracked_fd(ctx);

	if (bpf_map_lookup_elem(fd, &cgroup_id, &value))
		return -errno;
	if (value.state != TRACKED_PENDING)
		return -EEXIST;
	value.state = TRACKED_STARTED;
	value.init_tgid = pid;
	return bpf_map_update_elem(fd, &cgroup_id, &value, BPF_EXIST) ? -errno : 0;
}

static int tracked_lookup(void *ctx, uint64_t cgroup_id, struct tracked_cgroup *value)
{
	return bpf_map_lookup_elem(tracked_fd(ctx), &cgroup_id, value) ? -errno : 0;
}

static const struct tracked_map_ops tracked_ops = {
    .insert = tracked_insert,
    .remove = tracked_remove,
    .forget = tracked_forget,
    .set_init = tracked_set_init,
    .lookup = tracked_lookup,
};

long bpf_programs_tracked_count(void *ctx)
{
	int fd = tracked_fd(ctx);
	uint64_t key = 0, next; /* no cgroup has id 0: the first call gives the first key */
	long n = 0;

	while (!bpf_map_get_next_key(fd, &key, &next)) {
		key = next;
		n++;
	}
	return n;
}

struct tracked_map bpf_programs_tracked_map(struct bpf_programs *progs)
{
	return (struct tracked_map){.ops = &tracked_ops, .ctx = progs};
}

static int read_slot(struct bpf_programs *progs, uint32_t slot, uint64_t *percpu, uint64_t *sum)
{
	if (bpf_map_lookup_elem(bpf_map__fd(progs->skel->maps.lost_records), &slot, percpu))
		return -errno;
	*sum = 0;
	for (int cpu = 0; cpu < progs->ncpus; cpu++)
		*sum += percpu[cpu];
	return 0;
}

/*
 * Whether the kernel's exec program looks for readmissions now, by its own test
 * (readmission_state); userspace's reckoning of the same entries where the run fails.
 */
static bool readmission_is_open(struct bpf_programs *progs)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (bpf_prog_test_run_opts(bpf_program__fd(progs->skel->progs.readmission_state), &opts))
		return readmit_gate_is_open(&progs->gate);
	return opts.retval != 0;
}

int bpf_programs_readmission(struct bpf_programs *progs, uint64_t now_ns,
			     struct readmission_counts *out)
{
	struct readmit_gate kernel;
	int err = readmit_gate_update(&progs->gate, now_ns, &kernel);

	if (err)
		return err;
	out->open = readmission_is_open(progs);
	out->sent = kernel.sent;
	out->refused_recent = kernel.refused_recent;
	out->refused_rate = kernel.refused_rate;
	out->refused_room = kernel.refused_room;
	return 0;
}

int bpf_programs_read_quota(struct bpf_programs *progs, struct creator_quota *totals)
{
	return creator_quota_read_totals(bpf_map__fd(progs->skel->maps.creator_quota), totals);
}

int bpf_programs_read_lost(struct bpf_programs *progs, struct loss_counts *lost)
{
	uint64_t *percpu = calloc(progs->ncpus, sizeof(*percpu));
	int err = 0;

	if (!percpu)
		return -ENOMEM;
	for (uint32_t type = 0; type < RECORD_TYPE_MAX && !err; type++)
		err = read_slot(progs, type, percpu, &lost->ringbuf_full[type]);
	if (!err)
		err = read_slot(progs, LOST_UNTRACKED, percpu, &lost->untracked);
	free(percpu);
	return err;
}
