/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_CLI_H
#define CTRWATCH_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kernel/cgroup_hierarchy.h"
#include "kernel/creator_quota.h"
#include "filter/filter.h"
#include "output/event_format.h"

/*
 * Two ring buffers. The lifecycle one carries ~1.5 KiB per container lifetime: 1 MiB holds ~680
 * lifetimes with the reader stopped (a restart bridges that much churn). With --exec it gets
 * 2 MiB, what the single ring buffer before it kept for lifecycle records alone (its last
 * quarter), so that an outage bridges as much as before. The exec one exists with --exec only (a
 * page, unmapped, without it): its bursts of exec records get 8 MiB. The reader maps the data
 * pages twice, so a size counts twice in RSS.
 */
#define LIFECYCLE_RINGBUF_SIZE_DEFAULT	    (1u << 20)
#define LIFECYCLE_RINGBUF_SIZE_EXEC_DEFAULT (2u << 20)
#define EXEC_RINGBUF_SIZE_DEFAULT	    (8u << 20)
#define ENRICH_TIMEOUT_MS_DEFAULT	    500
#define CACHE_SIZE_DEFAULT		    4096
#define HEARTBEAT_S_DEFAULT		    60
/* the metadata cache's bytes: under the DaemonSet's 128 MiB, whatever labels containers carry */
#define CACHE_BYTES_DEFAULT (32u << 20)
#define MAX_CGROUPS_DEFAULT 16384
#define PIN_PATH_DEFAULT    "/sys/fs/bpf/ctrwatch"

enum run_mode {
	MODE_TRACE = 0,
	MODE_CLEANUP, /* --cleanup */
	MODE_STATUS,  /* --status */
};

struct options {
	bool verbose;
	bool log_json;
	bool trace_exec;
	const char *output_path;	   /* NULL: stdout */
	enum event_format format;	   /* --format */
	bool format_given;		   /* else cli_settle_format() picks */
	const char *metrics_address;	   /* --metrics-address; NULL: no HTTP server */
	uint64_t lifecycle_ringbuf_size;   /* --lifecycle-ringbuf-size */
	uint64_t exec_ringbuf_size;	   /* --ringbuf-size; 0 without --exec */
	unsigned int max_cgroups;	   /* entries of the kernel's tracking map */
	struct creator_quota_config quota; /* --container-cgroup-quota, --user-..., --creator-... */
	const char *containerd_socket;
	const char *docker_socket;	/* NULL: Docker's containers are asked of containerd only */
	const char *podman_socket;	/* NULL: Podman's are not looked up */
	const char *crio_socket;	/* NULL: CRI-O's (a CRI runtime's) are not looked up */
	const char *user_podman_socket; /* a template (%u: uid); NULL: rootless not looked up */
	unsigned int enrich_timeout_ms;
	unsigned int cache_size;
	uint64_t cache_bytes; /* --cache-bytes */
	bool pause_filter;
	enum cgroup_hierarchy_choice hierarchy;
	struct filter_set filters;	 /* --include, --exclude, --namespace */
	const char *pin_path;		 /* --pin, --pin-path; NULL: nothing outlives the process */
	unsigned int wait_for_reader_ms; /* 0: refuse at once when another ctrwatch reads */
	unsigned int heartbeat_s;	 /* --heartbeat; 0: none */
	enum run_mode mode;
};

enum cli_action {
	CLI_RUN = 0,
	CLI_EXIT_OK = 1,    /* --help or --version was printed */
	CLI_EXIT_USAGE = 2, /* bad usage was reported */
};

/* Fills opts; free with cli_free() whatever it returns. */
enum cli_action cli_parse(int argc, char **argv, struct options *opts);
void cli_free(struct options *opts);
/* "0" (none), "90", "90s", "5m", "1h": seconds, 0 to 86400. Returns 0 or -EINVAL. */
int cli_parse_interval_s(const char *s, unsigned int *seconds);
/* "500", "500ms", "2s": milliseconds, 1 to 60000. Returns 0 or -EINVAL. */
int cli_parse_duration_ms(const char *s, unsigned int *ms);
void cli_usage(FILE *f);
/* "8M", "65536", "1G": a power of two, at least one page, at most 1 GiB. Returns 0 or -EINVAL. */
int cli_parse_size(const char *s, uint64_t *size);
/*
 * A ring buffer's size on a kernel of this page size: the kernel wants a power of two that is
 * a multiple of the page, and arm64 kernels may have 16 KiB or 64 KiB pages, larger than the
 * smallest size the options take (4K). The size, or the page size if that is larger.
 */
uint64_t cli_ring_size_for_page(uint64_t size, uint64_t page_size);
/*
 * One call to containerd or an engine may take as long as events wait for a lookup
 * (--enrich-timeout), at least 750 ms and at most 5 s: an operator who lets events wait 10 s
 * for a slow node's engine (emulated, loaded, socket-activated) lets its calls take longer.
 * The cap also bounds the wait for the worker at exit.
 */
#define RPC_TIMEOUT_MIN_MS 750
#define RPC_TIMEOUT_MAX_MS 5000
int cli_rpc_timeout_ms(unsigned int enrich_timeout_ms);

/*
 * The format when --format was not given: text for a person (stdout a terminal, no --output),
 * else ndjson for whatever reads the lines.
 */
void cli_settle_format(struct options *opts, bool stdout_is_terminal);

#endif
