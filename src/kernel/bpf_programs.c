// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Loading the kernel programs, and userspace's side of their maps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "ctrwatch.skel.h"
#include "kernel/bpf_programs.h"

struct bpf_programs {
	struct ctrwatch_bpf *skel;
	int ncpus;
};

/* Quiet unless -v: a load failure is reported by the caller, in one line that points at -v. */
static int on_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n;

	(void)level;
	if (!log_verbose())
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	log_debug("libbpf: %s", line);
	return 0;
}

void bpf_programs_log_to_logger(void)
{
	libbpf_set_print(on_libbpf_print);
}

static void configure(struct ctrwatch_bpf *skel, const struct bpf_programs_config *cfg)
{
	skel->rodata->watched_hierarchy_id = cfg->hierarchy_id;
	skel->rodata->watch_cgroup_v1 = cfg->cgroup_v1;
	skel->rodata->trace_exec = cfg->trace_exec;
	/* Wake the reader for exec records once an eighth of the buffer is queued. */
	skel->rodata->exec_wakeup_bytes = cfg->ringbuf_size / 8;
	/* The last quarter is kept for start, exit and remove records (see bulk_room). */
	skel->rodata->bulk_drop_bytes = cfg->ringbuf_size / 4 * 3;
}

int bpf_programs_open(struct bpf_programs **out, const struct bpf_programs_config *cfg)
{
	struct bpf_programs *progs;
	int err;

	progs = calloc(1, sizeof(*progs));
	if (!progs)
		return -ENOMEM;
	progs->ncpus = libbpf_num_possible_cpus();
	if (progs->ncpus < 0) {
		err = progs->ncpus;
		goto out_free;
	}
	progs->skel = ctrwatch_bpf__open();
	if (!progs->skel) {
		err = -errno;
		goto out_free;
	}
	configure(progs->skel, cfg);
	err = bpf_map__set_max_entries(progs->skel->maps.events, cfg->ringbuf_size);
	if (!err)
		err = bpf_map__set_max_entries(progs->skel->maps.tracked_cgroups, cfg->max_cgroups);
	if (err)
		goto out_destroy;
	err = ctrwatch_bpf__load(progs->skel);
	if (err)
		goto out_destroy;
	err = ctrwatch_bpf__attach(progs->skel);
	if (err)
		goto out_destroy;
	*out = progs;
	return 0;

out_destroy:
	ctrwatch_bpf__destroy(progs->skel);
out_free:
	free(progs);
	return err;
}

int bpf_programs_ringbuf_fd(const struct bpf_programs *progs)
{
	return bpf_map__fd(progs->skel->maps.events);
}

static int tracked_fd(void *ctx)
{
	return bpf_map__fd(((struct bpf_programs *)ctx)->skel->maps.tracked_cgroups);
}

static int tracked_insert(void *ctx, uint64_t cgroup_id, const struct tracked_cgroup *value)
{
	return bpf_map_update_elem(tracked_fd(ctx), &cgroup_id, value, BPF_NOEXIST) ? -errno : 0;
}

static int tracked_remove(void *ctx, uint64_t cgroup_id)
{
	if (bpf_map_delete_elem(tracked_fd(ctx), &cgroup_id) && errno != ENOENT)
		return -errno;
	return 0;
}

/*
 * Atomic against the kernel's start rule: the entry leaves the map whole, then goes back if it
 * says started. A start after the delete finds the cgroup untracked and readmits it.
 */
static int tracked_forget(void *ctx, uint64_t cgroup_id)
{
	struct tracked_cgroup value;
	int fd = tracked_fd(ctx);

	if (bpf_map_lookup_and_delete_elem(fd, &cgroup_id, &value))
		return errno == ENOENT ? 0 : -errno;
	if (value.state == TRACKED_PENDING)
		return 0;
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

static const struct tracked_map_ops tracked_ops = {
    .insert = tracked_insert,
    .remove = tracked_remove,
    .forget = tracked_forget,
    .set_init = tracked_set_init,
};

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

void bpf_programs_close(struct bpf_programs *progs)
{
	if (!progs)
		return;
	ctrwatch_bpf__destroy(progs->skel);
	free(progs);
}
