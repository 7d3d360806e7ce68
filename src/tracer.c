// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Loading the kernel programs and reading what they send, in the manner of libbpf-bootstrap. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ctrwatch.skel.h"
#include "log.h"
#include "tracer.h"

struct tracer {
	struct ctrwatch_bpf *skel;
	struct ring_buffer *ringbuf;
	tracer_record_fn on_record;
	void *ctx;
	int ncpus;
};

static int on_ringbuf_record(void *ctx, void *data, size_t size)
{
	struct tracer *tracer = ctx;

	return tracer->on_record(tracer->ctx, data, size);
}

int tracer_open(struct tracer **out, const struct tracer_config *cfg)
{
	struct tracer *tracer;
	int err;

	tracer = calloc(1, sizeof(*tracer));
	if (!tracer)
		return -ENOMEM;
	tracer->on_record = cfg->on_record;
	tracer->ctx = cfg->ctx;
	tracer->ncpus = libbpf_num_possible_cpus();
	if (tracer->ncpus < 0) {
		err = tracer->ncpus;
		goto out_free;
	}

	tracer->skel = ctrwatch_bpf__open();
	if (!tracer->skel) {
		err = -errno;
		goto out_free;
	}
	tracer->skel->rodata->watched_hierarchy_id = cfg->hierarchy_id;
	tracer->skel->rodata->watch_cgroup_v1 = cfg->cgroup_v1;
	tracer->skel->rodata->trace_exec = cfg->trace_exec;
	/* Wake the reader for exec records once an eighth of the buffer is queued. */
	tracer->skel->rodata->exec_wakeup_bytes = cfg->ringbuf_size / 8;
	/* The last quarter is kept for lifecycle records (see exec_submit_flags). */
	tracer->skel->rodata->exec_drop_bytes = cfg->ringbuf_size / 4 * 3;
	err = bpf_map__set_max_entries(tracer->skel->maps.events, cfg->ringbuf_size);
	if (err)
		goto out_destroy;

	err = ctrwatch_bpf__load(tracer->skel);
	if (err)
		goto out_destroy;
	err = ctrwatch_bpf__attach(tracer->skel);
	if (err)
		goto out_destroy;

	tracer->ringbuf = ring_buffer__new(bpf_map__fd(tracer->skel->maps.events),
					   on_ringbuf_record, tracer, NULL);
	if (!tracer->ringbuf) {
		err = -errno;
		goto out_destroy;
	}
	*out = tracer;
	return 0;

out_destroy:
	ctrwatch_bpf__destroy(tracer->skel);
out_free:
	free(tracer);
	return err;
}

int tracer_epoll_fd(const struct tracer *tracer)
{
	return ring_buffer__epoll_fd(tracer->ringbuf);
}

int tracer_drain(struct tracer *tracer)
{
	int n = ring_buffer__consume(tracer->ringbuf);

	return n < 0 ? n : 0;
}

int tracer_track(struct tracer *tracer, uint64_t cgroup_id, const struct tracked_cgroup *value)
{
	int fd = bpf_map__fd(tracer->skel->maps.tracked_cgroups);

	return bpf_map_update_elem(fd, &cgroup_id, value, BPF_NOEXIST) ? -errno : 0;
}

int tracer_set_init(struct tracer *tracer, uint64_t cgroup_id, uint32_t pid)
{
	int fd = bpf_map__fd(tracer->skel->maps.tracked_cgroups);
	struct tracked_cgroup value;

	if (bpf_map_lookup_elem(fd, &cgroup_id, &value))
		return -errno;
	if (value.state != TRACKED_PENDING)
		return -EEXIST;
	value.state = TRACKED_STARTED;
	value.init_tgid = pid;
	return bpf_map_update_elem(fd, &cgroup_id, &value, BPF_EXIST) ? -errno : 0;
}

int tracer_untrack(struct tracer *tracer, uint64_t cgroup_id)
{
	int fd = bpf_map__fd(tracer->skel->maps.tracked_cgroups);

	if (bpf_map_delete_elem(fd, &cgroup_id) && errno != ENOENT)
		return -errno;
	return 0;
}

int tracer_read_lost(struct tracer *tracer, uint64_t lost[RECORD_TYPE_MAX])
{
	int fd = bpf_map__fd(tracer->skel->maps.lost_records);
	uint64_t *percpu = calloc(tracer->ncpus, sizeof(*percpu));
	int err = 0;

	if (!percpu)
		return -ENOMEM;
	for (uint32_t type = 0; type < RECORD_TYPE_MAX; type++) {
		lost[type] = 0;
		if (bpf_map_lookup_elem(fd, &type, percpu)) {
			err = -errno;
			break;
		}
		for (int cpu = 0; cpu < tracer->ncpus; cpu++)
			lost[type] += percpu[cpu];
	}
	free(percpu);
	return err;
}

void tracer_close(struct tracer *tracer)
{
	if (!tracer)
		return;
	ring_buffer__free(tracer->ringbuf);
	ctrwatch_bpf__destroy(tracer->skel);
	free(tracer);
}
