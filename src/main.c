// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ctrwatch: wiring. Kernel records (kernel/) → lifecycle (lifecycle/) → pipeline: enrichment
 * (enrich/), policy (filter/), encoding and sink (output/). See docs/architecture.md.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "adopt.h"
#include "cli.h"
#include "common/clock.h"
#include "common/log.h"
#include "enrich/enricher.h"
#include "kernel/bpf_programs.h"
#include "kernel/cgroup_scan.h"
#include "kernel/record_rings.h"
#include "lifecycle/lifecycle.h"
#include "metrics/metrics.h"
#include "metrics/metrics_server.h"
#include "output/event_text.h"
#include "output/sink.h"
#include "pipeline.h"
#include "startup_checks.h"

#define POLL_INTERVAL_MS 100 /* also the longest a process_exec record waits */

#define LOSS_CHECK_INTERVAL_NS 1000000000ull
/* /healthz says 503 once the ring buffer has not been drained for this long */
#define HEALTH_STALE_NS 5000000000ull

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_hangup(int sig)
{
	(void)sig;
	reopen_requested = 1;
}

static void install_signal_handlers(void)
{
	struct sigaction sa = {.sa_handler = on_stop_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hangup; /* logrotate: reopen --output */
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a gone reader shows as EPIPE from write() */
	signal(SIGXFSZ, SIG_IGN); /* a file size limit shows as EFBIG: the sink waits it out */
}

/* The stages, in data-path order. Each is opaque: main.c only calls their functions. */
struct ctrwatch {
	struct cgroup_hierarchy hierarchy;
	struct sink *sink;
	struct bpf_programs *programs;
	struct lifecycle *lifecycle;
	struct enricher *enricher; /* NULL: containerd is not used */
	struct pipeline *pipeline;
	struct record_rings *rings;
	struct metrics_server *metrics; /* NULL without --metrics-address */
	int epoll_fd;
	bool pinned; /* --pin: the ring buffers outlive us, and so do the records we keep */
	uint64_t heartbeat_ns; /* --heartbeat; 0: none */
	uint64_t started_ns;   /* CLOCK_BOOTTIME at start, for the heartbeat's uptime */
	char kernel_release[65];
};

static int on_record(void *ctx, const void *data, size_t size, enum event_ring ring, uint64_t pos)
{
	struct ctrwatch *cw = ctx;
	struct event ev;

	if (lifecycle_handle_record(cw->lifecycle, data, size, &ev) == 1) {
		ev.ring = ring;
		ev.ring_pos = pos;
		pipeline_submit(cw->pipeline, &ev, clock_boottime_ns());
	}
	return pipeline_write_error(cw->pipeline) ? -EPIPE : 0;
}

static void on_existing(const struct existing_container *ec, void *ctx)
{
	struct ctrwatch *cw = ctx;
	uint64_t now = clock_boottime_ns();
	struct event ev;

	if (lifecycle_add_existing(cw->lifecycle, ec, now, &ev) == 1) {
		/* numbered from the kernel's counter too; a failure leaves it unnumbered */
		if (bpf_programs_take_seq(cw->programs, &ev.seq))
			ev.seq = 0;
		pipeline_submit(cw->pipeline, &ev, now);
	}
}

/* Bytes of records the ring buffers keep: unread, or read and held until their line is out. */
static uint64_t ring_bytes_kept(const struct ctrwatch *cw)
{
	uint64_t bytes = 0;

	for (int ring = 0; ring < EVENT_RINGS; ring++)
		bytes += record_rings_kept(cw->rings, ring);
	return bytes;
}

/*
 * Who was there before us: a scan of the hierarchy, or, on programs found pinned, what the
 * previous ctrwatch knew, rebuilt from the kernel's map and the unread records.
 */
static int find_running(struct ctrwatch *cw)
{
	struct adopt_config cfg = {
	    .reader = record_rings_reader(cw->rings, EVENT_RING_LIFECYCLE),
	    .draining = record_rings_reader(cw->rings, EVENT_RING_DRAINING),
	    .mount_point = cw->hierarchy.mount_point,
	    .lifecycle = cw->lifecycle,
	    .map = bpf_programs_tracked_map(cw->programs),
	    .on_existing = on_existing,
	    .ctx = cw,
	};
	unsigned int adopted;
	int err;

	if (!bpf_programs_adopted(cw->programs))
		return cgroup_scan(cw->hierarchy.mount_point, on_existing, cw);
	err = adopt_previous(&cfg, &adopted);
	log_info("carrying on from the pinned programs: %u containers followed again, %llu bytes "
		 "of records to read",
		 adopted, (unsigned long long)ring_bytes_kept(cw));
	return err;
}

/* What was lost, and what was shed to stay ahead of a flood, as ctrwatch_lost/_pressure lines. */
static void report_counters(struct ctrwatch *cw)
{
	struct loss_counts totals = {0};
	struct pressure_counts others = {
	    .readmitted = lifecycle_readmitted(cw->lifecycle),
	    .aliases_refused = lifecycle_aliases_refused(cw->lifecycle),
	};
	struct readmission_counts readmission;
	struct creator_quota quota;
	uint64_t now = clock_boottime_ns();

	/* also where the gate's reasons age out: once a second is often enough for a minute */
	if (!bpf_programs_readmission(cw->programs, now, &readmission)) {
		others.readmissions = readmission.sent;
		others.readmissions_refused = readmission.refused_recent +
					      readmission.refused_rate + readmission.refused_room;
		metrics_set_readmission(readmission.open, readmission.sent,
					readmission.refused_recent, readmission.refused_rate,
					readmission.refused_room);
	}
	if (!bpf_programs_read_quota(cw->programs, &quota)) {
		others.creator_quota_refused =
		    quota.refused_quota + quota.refused_share + quota.refused_accounts;
		others.creator_rate_refused = quota.refused_rate;
		metrics_set_quota(&quota);
	}
	pipeline_report_pressure(cw->pipeline, now, &others);
	if (bpf_programs_read_lost(cw->programs, &totals))
		return;
	totals.malformed = lifecycle_malformed(cw->lifecycle);
	totals.unwritten = sink_unwritten(cw->sink);
	pipeline_report_loss(cw->pipeline, now, &totals);
}

static void open_enricher(struct ctrwatch *cw, const struct options *opts)
{
	struct enricher_config cfg = {
	    .socket_path = opts->containerd_socket,
	    .docker_socket = opts->docker_socket,
	    .podman_socket = opts->podman_socket,
	    .crio_socket = opts->crio_socket,
	    .user_podman_socket = opts->user_podman_socket,
	    .rpc_timeout_ms = cli_rpc_timeout_ms(opts->enrich_timeout_ms),
	    .cgroup_mount = cw->hierarchy.mount_point,
	    .cgroup_hierarchy_id = cw->hierarchy.hierarchy_id,
	};

	cw->enricher = enricher_start(&cfg);
	if (!cw->enricher)
		log_warn("cannot start the containerd client: %s; events are not enriched",
			 strerror(errno));
}

static int open_pipeline(struct ctrwatch *cw, const struct options *opts)
{
	struct pipeline_config cfg = {
	    .sink = cw->sink,
	    .lifecycle = cw->lifecycle,
	    .lookup = cw->enricher ? &enricher_lookup_ops : NULL,
	    .lookup_ctx = cw->enricher,
	    .policy = {.filters = &opts->filters, .drop_sandboxes = opts->pause_filter},
	    .enrich_timeout_ns = (uint64_t)opts->enrich_timeout_ms * 1000000ull,
	    .cache_size = opts->cache_size,
	    .cache_bytes = opts->cache_bytes,
	    .encoder = event_encoder_get(opts->format),
	};

	cw->pipeline = pipeline_new(&cfg);
	return cw->pipeline ? 0 : -errno;
}

static int open_kernel(struct ctrwatch *cw, const struct options *opts)
{
	struct bpf_programs_config cfg = {
	    .hierarchy_id = cw->hierarchy.hierarchy_id,
	    .cgroup_v1 = cw->hierarchy.v1,
	    .v1_freezer_mounted = cw->hierarchy.v1_freezer,
	    .trace_exec = opts->trace_exec,
	    .lifecycle_ringbuf_size = opts->lifecycle_ringbuf_size,
	    .exec_ringbuf_size = opts->exec_ringbuf_size,
	    .max_cgroups = opts->max_cgroups,
	    .quota = opts->quota,
	    .pin_path = opts->pin_path,
	    .wait_for_reader_ms = opts->wait_for_reader_ms,
	};

	return bpf_programs_open(&cw->programs, &cfg); /* says why not */
}

static int watch_fds(struct ctrwatch *cw)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int err;

	cw->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (cw->epoll_fd < 0)
		return -errno;
	err = record_rings_watch(cw->rings, cw->epoll_fd);
	if (err)
		return err;
	if (cw->enricher && epoll_ctl(cw->epoll_fd, EPOLL_CTL_ADD, enricher_fd(cw->enricher), &ev))
		return -errno;
	return 0;
}

/* Every stage, in data-path order. Returns 0 or -errno, having said why. */
static int open_stages(struct ctrwatch *cw, const struct options *opts)
{
	struct tracked_map map;
	int err;

	err = open_kernel(cw, opts);
	if (err)
		return err;
	map = bpf_programs_tracked_map(cw->programs);
	cw->lifecycle = lifecycle_new(&map);
	if (!cw->lifecycle)
		goto out_errno;
	open_enricher(cw, opts);
	if (open_pipeline(cw, opts))
		goto out_errno;
	err = record_rings_open(&cw->rings, cw->programs, on_record, cw);
	if (err)
		return err; /* said why */
	err = watch_fds(cw);
	if (err) {
		log_error("epoll: %s", strerror(-err));
		return err;
	}
	return 0;

out_errno:
	err = -errno;
	log_error("cannot start: %s", strerror(-err));
	return err;
}

static void close_stages(struct ctrwatch *cw)
{
	metrics_server_stop(cw->metrics); /* first: it reads the stages' state */
	record_rings_close(cw->rings);
	bpf_programs_close(cw->programs);
	enricher_stop(cw->enricher);
	pipeline_free(cw->pipeline);
	lifecycle_free(cw->lifecycle);
	if (cw->epoll_fd >= 0)
		close(cw->epoll_fd);
	sink_close(cw->sink);
}

/*
 * A record's room goes back to the kernel once the lines it made are out of our hands: each
 * ring buffer's consumer position stops at the oldest record whose event is held, and none
 * moves while the sink keeps lines back. What is not released is read again by the next
 * ctrwatch on the same pinned ring buffers.
 */
static void release_written(struct ctrwatch *cw)
{
	uint64_t held[EVENT_RINGS];

	if (!cw->pinned) {
		/* nobody reads these buffers after us: keeping records would only cost room */
		for (int ring = 0; ring < EVENT_RINGS; ring++)
			held[ring] = EVENT_NO_RING_POS;
	} else if (sink_backlog(cw->sink)) {
		return;
	} else {
		pipeline_oldest_records(cw->pipeline, held);
	}
	record_rings_release(cw->rings, held);
}

/* Records of the programs taken over first, then ours. */
static int drain_rings(struct ctrwatch *cw)
{
	int err = record_rings_drain(cw->rings);

	if (!err)
		metrics_drained(clock_boottime_ns());
	return err;
}

/* The gauges the loop knows, for /metrics. */
static void publish_gauges(struct ctrwatch *cw)
{
	metrics_set_containers(lifecycle_count(cw->lifecycle));
	metrics_set_ringbuf_queued(record_rings_kept(cw->rings, EVENT_RING_LIFECYCLE) +
				       record_rings_kept(cw->rings, EVENT_RING_DRAINING),
				   record_rings_kept(cw->rings, EVENT_RING_EXEC));
	metrics_set_output_stalled(sink_stalled_ns(cw->sink));
}

/* ctrwatch_heartbeat: the facts the stages hold; the pipeline adds its own and writes it. */
static void heartbeat(struct ctrwatch *cw, uint64_t now)
{
	static const enum enricher_source sources[HEARTBEAT_ENGINES] = {
	    [HEARTBEAT_CONTAINERD] = ENRICHER_CONTAINERD,
	    [HEARTBEAT_DOCKER] = ENRICHER_DOCKER,
	    [HEARTBEAT_PODMAN] = ENRICHER_PODMAN,
	    [HEARTBEAT_CRIO] = ENRICHER_CRIO};
	uint64_t oldest = record_rings_oldest_unread_ns(cw->rings);
	struct heartbeat hb = {
	    .version = CTRWATCH_VERSION,
	    .kernel_release = cw->kernel_release,
	    .interval_s = cw->heartbeat_ns / 1000000000ull,
	    .uptime_s = (now - cw->started_ns) / 1000000000ull,
	    .containers = lifecycle_count(cw->lifecycle),
	    .reader_lag_ms = oldest && oldest < now ? (now - oldest) / 1000000 : 0,
	    .pinned = cw->pinned,
	};

	for (int i = 0; i < HEARTBEAT_ENGINES; i++)
		hb.engines[i] =
		    cw->enricher ? enricher_source_state(cw->enricher, sources[i]) : "off";
	pipeline_write_heartbeat(cw->pipeline, now, &hb);
}

static int loop(struct ctrwatch *cw)
{
	uint64_t next_loss_check = 0, now = clock_boottime_ns();
	uint64_t next_heartbeat = now + cw->heartbeat_ns;
	struct epoll_event events[EVENT_RINGS + 1];
	int timeout, err;

	while (!stop_requested && !pipeline_write_error(cw->pipeline)) {
		timeout =
		    clock_ms_until(pipeline_next_deadline(cw->pipeline), now, POLL_INTERVAL_MS);
		if (epoll_wait(cw->epoll_fd, events, EVENT_RINGS + 1, timeout) < 0 &&
		    errno != EINTR)
			return -errno;
		err = sink_flush(cw->sink, false);
		if (err == -EPIPE)
			return 0; /* the reader is gone: a clean exit, as for a direct write */
		if (err) {
			log_error("writing events: %s", strerror(-err));
			return err;
		}
		/*
		 * process_exec records do not wake us: drain on every tick too. While the output
		 * keeps lines back (a full disk), the ring buffer keeps the records instead.
		 */
		if (sink_backlog(cw->sink) < SINK_BACKLOG_HIGH)
			err = drain_rings(cw);
		if (err && err != -EPIPE) {
			log_error("reading the ring buffer: %s", strerror(-err));
			return err;
		}
		now = clock_boottime_ns();
		pipeline_take_results(cw->pipeline, now);
		pipeline_tick(cw->pipeline, now, false);
		release_written(cw);
		publish_gauges(cw);
		if (reopen_requested) {
			reopen_requested = 0;
			err = sink_reopen(cw->sink);
			if (err)
				log_warn("cannot reopen %s: %s; still writing to the old file",
					 sink_name(cw->sink), sink_open_error(err));
		}
		if (now >= next_loss_check) {
			report_counters(cw);
			next_loss_check = now + LOSS_CHECK_INTERVAL_NS;
		}
		/* written even while the reader cannot drain: that is what it is there to say */
		if (cw->heartbeat_ns && now >= next_heartbeat) {
			heartbeat(cw, now);
			next_heartbeat = now + cw->heartbeat_ns;
		}
	}
	return 0;
}

/* Stopping: what the kernel queued, then what waits for containerd, goes out. */
static void finish(struct ctrwatch *cw)
{
	drain_rings(cw);
	pipeline_take_results(cw->pipeline, clock_boottime_ns());
	pipeline_tick(cw->pipeline, clock_boottime_ns(), true);
	report_counters(cw);
	sink_flush(cw->sink, true); /* what the disk cannot take now is said at close */
	release_written(cw);
}

/* What /metrics says of this ctrwatch, whether or not it is served. */
static void init_metrics(const struct ctrwatch *cw, const struct options *opts)
{
	static struct utsname uts;
	struct metrics_static facts = {
	    .version = CTRWATCH_VERSION,
	    .kernel = uname(&uts) ? "unknown" : uts.release,
	    .hierarchy = cw->hierarchy.v1 ? "cgroup v1 cpuset" : "cgroup2",
	    .format = event_format_name(opts->format),
	    .lifecycle_ringbuf_size = opts->lifecycle_ringbuf_size,
	    .exec_ringbuf_size = opts->exec_ringbuf_size,
	    .max_cgroups = opts->max_cgroups,
	    .pinned = opts->pin_path != NULL,
	};

	metrics_init(&facts);
}

/*
 * With --metrics-address, before the pin path is ours: a pod that waits for the one it
 * replaces (--wait-for-reader, a rolling update with surge) is ready meanwhile, or the
 * rollout would wait for it as it waits for the rollout.
 */
static int serve_metrics(struct ctrwatch *cw, const struct options *opts)
{
	if (!opts->metrics_address)
		return 0;
	cw->metrics = metrics_server_start(opts->metrics_address, HEALTH_STALE_NS);
	if (!cw->metrics) {
		int err = -errno; /* before log_error, which may change errno */

		log_error("cannot serve metrics on %s: %s", opts->metrics_address, strerror(-err));
		return err;
	}
	return 0;
}

static int run(struct ctrwatch *cw, const struct options *opts)
{
	struct utsname u;
	int err;

	cw->pinned = opts->pin_path != NULL;
	cw->heartbeat_ns = opts->heartbeat_s * 1000000000ull;
	cw->started_ns = clock_boottime_ns();
	snprintf(cw->kernel_release, sizeof(cw->kernel_release), "%s",
		 uname(&u) == 0 ? u.release : "unknown");
	init_metrics(cw, opts);
	err = serve_metrics(cw, opts);
	if (err)
		return err;
	metrics_set_standby(opts->pin_path && opts->wait_for_reader_ms);
	err = open_stages(cw, opts);
	metrics_set_standby(false);
	if (err == -EINTR && stop_requested)
		return 0; /* stopped while waiting for the ctrwatch before us: nothing to do */
	if (err)
		return err;
	metrics_set_kernel_map_counter(bpf_programs_tracked_count, cw->programs);
	metrics_set_attached(true);
	/* Attached first, then scanned: a container born in between is seen at least once. */
	err = find_running(cw);
	if (err)
		log_warn("cannot scan %s for running containers: %s", cw->hierarchy.mount_point,
			 strerror(-err));
	log_info("ready: watching %s hierarchy at %s, %u containers running",
		 cw->hierarchy.v1 ? "cgroup v1 cpuset" : "cgroup2", cw->hierarchy.mount_point,
		 lifecycle_count(cw->lifecycle));
	err = loop(cw);
	if (!err && !pipeline_write_error(cw->pipeline))
		finish(cw);
	err = err ? err : pipeline_write_error(cw->pipeline);
	if (err && err != -EPIPE && pipeline_write_error(cw->pipeline) == err)
		log_error("writing events: %s", strerror(-err));
	return err == -EPIPE ? 0 : err;
}

/*
 * --format text's looks: colour on a terminal unless NO_COLOR says otherwise (no-color.org: set
 * and not empty); cut to the terminal's width. A file given to --output gets neither.
 */
static void configure_text(const struct options *opts)
{
	const char *no_colour = getenv("NO_COLOR");
	bool terminal = !opts->output_path && isatty(STDOUT_FILENO);
	struct winsize ws = {0};

	if (opts->format != EVENT_FORMAT_TEXT)
		return;
	if (terminal && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws))
		ws.ws_col = 0;
	event_text_configure(terminal && !(no_colour && *no_colour), terminal ? ws.ws_col : 0);
}

int main(int argc, char **argv)
{
	struct ctrwatch cw = {.epoll_fd = -1};
	struct options opts;
	int err;

	switch (cli_parse(argc, argv, &opts)) {
	case CLI_EXIT_OK: cli_free(&opts); return 0;
	case CLI_EXIT_USAGE: cli_free(&opts); return 2;
	case CLI_RUN: break;
	}
	log_set_verbose(opts.verbose);
	log_set_json(opts.log_json);
	bpf_programs_log_to_logger();
	startup_fit_rings_to_page(&opts);
	cli_settle_format(&opts, isatty(STDOUT_FILENO));
	configure_text(&opts);
	if (opts.mode == MODE_CLEANUP) {
		err = bpf_programs_cleanup(opts.pin_path);
		goto out;
	}
	if (opts.mode == MODE_STATUS) {
		err = bpf_programs_status(opts.pin_path, stdout);
		goto out;
	}
	err = startup_check_environment(&opts, &cw.hierarchy);
	if (err)
		goto out;
	cw.sink = sink_open(opts.output_path);
	if (!cw.sink) {
		err = -errno;
		log_error("cannot open %s: %s", opts.output_path, sink_open_error(err));
		goto out;
	}
	clock_init();
	install_signal_handlers();
	err = run(&cw, &opts);
out:
	close_stages(&cw);
	cli_free(&opts);
	return err ? 1 : 0;
}
