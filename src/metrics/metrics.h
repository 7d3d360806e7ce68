/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_METRICS_H
#define CTRWATCH_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/loss.h"
#include "enrich/enrichment.h"
#include "lifecycle/event.h"

/*
 * ctrwatch's own numbers, for --metrics-address (Prometheus text exposition). The counters are
 * this file's: stages report facts through these functions (atomic, any thread, cheap: a
 * relaxed add), the HTTP thread renders them. Nothing here allocates after metrics_init().
 */

enum metrics_drop_reason {
	METRICS_DROP_SANDBOX,  /* a Kubernetes pause sandbox */
	METRICS_DROP_FILTER,   /* --include/--exclude/--namespace */
	METRICS_DROP_IMPOSTOR, /* an impostor's lifecycle: one cgroup_impostor line instead */
	METRICS_DROP_REASONS,
};

/* containerd calls, by method */
enum metrics_containerd_call {
	METRICS_CALL_VERSION,
	METRICS_CALL_NAMESPACES_LIST,
	METRICS_CALL_CONTAINERS_GET,
	METRICS_CALL_IMAGES_GET,
	METRICS_CALL_TASKS_GET,
	METRICS_CALL_TASKS_LIST_PIDS,
	METRICS_CALL_CONTAINERS_LIST,
	METRICS_CALLS,
};

/* Facts known once, at start: the build info and what is watched. */
struct metrics_static {
	const char *version;
	const char *kernel;
	const char *hierarchy; /* "cgroup2" or "cgroup v1 cpuset" */
	const char *format;
	uint64_t lifecycle_ringbuf_size;
	uint64_t exec_ringbuf_size; /* 0: no exec ring buffer (no --exec) */
	uint32_t max_cgroups;
	bool pinned;
};

void metrics_init(const struct metrics_static *s);

/* pipeline: a line written, its event kind and enrichment */
void metrics_event_written(enum event_kind kind, enum enrichment_state state);
/* pipeline: an event the policy dropped */
void metrics_event_dropped(enum metrics_drop_reason reason);
/* pipeline: a ctrwatch_heartbeat line went out (or waits for the output), at this wall clock */
void metrics_heartbeat_written(uint64_t unix_s);
/* sink: a write that failed (retried later, or fatal) */
void metrics_output_error(void);
/* metrics server: a connection closed at once (too many, or too many from its address) */
void metrics_http_refused(void);
/* metrics server: a connection still sending its request, closed to make room for a new one */
void metrics_http_evicted(void);
/* metrics server: a connection closed at its deadline, its request or answer unfinished */
void metrics_http_timed_out(void);
/* containerd client: a call's outcome. ok includes "not found", an answer all the same. */
void metrics_containerd_call(enum metrics_containerd_call call, bool ok);

/* The container engines asked through their HTTP APIs (enrich/engine_client.c). */
enum metrics_engine {
	METRICS_ENGINE_DOCKER,
	METRICS_ENGINE_PODMAN,
	METRICS_ENGINES,
};

/* One request to an engine's API: ok when it answered (a 404 is an answer). */
void metrics_engine_request(enum metrics_engine engine, bool ok);
/* main loop: the kernel's and userspace's loss totals (since the programs were loaded) */
void metrics_set_lost(const struct loss_counts *totals);
/* main loop: readmission's gate and the kernel's counts (kernel/readmit_gate.h) */
void metrics_set_readmission(bool open, uint64_t sent, uint64_t refused_recent,
			     uint64_t refused_rate, uint64_t refused_room);
/* main loop: the quotas by creator, the kernel's totals (kernel/creator_quota.h) */
void metrics_set_quota(const struct creator_quota *totals);
/* main loop: gauges it knows each iteration */
void metrics_set_containers(unsigned int tracked);
void metrics_set_ringbuf_queued(uint64_t lifecycle_bytes, uint64_t exec_bytes);
/* how long lines have waited for the output (sink_stalled_ns); 0 while it takes them */
void metrics_set_output_stalled(uint64_t stalled_ns);
/*
 * main: waiting for the ctrwatch that reads the pin path to exit (--wait-for-reader): the
 * pinned programs record and that one reads, so /healthz says healthy, standing by.
 */
void metrics_set_standby(bool standby);
/* main: the programs are attached (and stay so until it says otherwise) */
void metrics_set_attached(bool attached);
/* main loop: the ring buffer was just drained (CLOCK_BOOTTIME ns) */
void metrics_drained(uint64_t boot_ns);

/* Counted at scrape time, on the HTTP thread: entries in the kernel's tracking map. */
typedef long (*metrics_count_fn)(void *ctx);
void metrics_set_kernel_map_counter(metrics_count_fn fn, void *ctx);

/*
 * The exposition text (version 0.0.4) into buf; returns its length, or the size needed when it
 * does not fit (then buf holds a cut text). now_ns for the drain age.
 */
size_t metrics_render(char *buf, size_t size, uint64_t now_ns);

/*
 * /healthz: healthy while the programs are attached and the last drain is at most stale_ns
 * old. *why says which.
 */
bool metrics_healthy(uint64_t now_ns, uint64_t stale_ns, const char **why);

#endif
