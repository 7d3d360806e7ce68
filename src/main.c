// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ctrwatch: wiring. Kernel records → lifecycle (classification) → pipeline (enrichment, filters,
 * JSON) → output. See docs/architecture.md.
 */
#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "cgroup_hierarchy.h"
#include "cgroup_scan.h"
#include "cli.h"
#include "clock.h"
#include "enricher.h"
#include "lifecycle.h"
#include "log.h"
#include "output.h"
#include "pipeline.h"
#include "privileges.h"
#include "tracer.h"

#define POLL_INTERVAL_MS       100 /* also the longest a process_exec record waits */
#define RPC_TIMEOUT_MS	       750 /* one containerd call; also bounds the wait for the worker at exit */
#define LOST_CHECK_INTERVAL_NS 1000000000ull

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

/* Quiet unless -v: a load failure is reported by us, in one line that points at -v. */
static int on_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (!log_verbose())
		return 0;
	fputs("libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
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
}

struct ctrwatch {
	struct tracer *tracer;
	struct enricher *enricher;
	struct lifecycle lifecycle;
	struct pipeline pipeline;
	struct output out;
	uint64_t lost_reported[RECORD_TYPE_MAX];
	int epoll_fd;
};

static int on_record(void *ctx, const void *data, size_t size)
{
	struct ctrwatch *cw = ctx;

	lifecycle_handle_record(&cw->lifecycle, data, size);
	return cw->pipeline.write_error ? -EPIPE : 0;
}

static int do_track(void *ctx, uint64_t cgroup_id, const struct tracked_cgroup *value)
{
	return tracer_track(((struct ctrwatch *)ctx)->tracer, cgroup_id, value);
}

static int do_untrack(void *ctx, uint64_t cgroup_id)
{
	return tracer_untrack(((struct ctrwatch *)ctx)->tracer, cgroup_id);
}

static int do_set_init(void *ctx, uint64_t cgroup_id, uint32_t pid)
{
	return tracer_set_init(((struct ctrwatch *)ctx)->tracer, cgroup_id, pid);
}

static void do_emit(void *ctx, const struct event *ev)
{
	pipeline_submit(&((struct ctrwatch *)ctx)->pipeline, ev, clock_boottime_ns());
}

static void on_existing(const struct existing_container *ec, void *ctx)
{
	struct ctrwatch *cw = ctx;

	lifecycle_add_existing(&cw->lifecycle, ec, clock_boottime_ns());
}

/* Reports records the kernel dropped since the last report, if any. */
static void report_lost(struct ctrwatch *cw)
{
	uint64_t lost[RECORD_TYPE_MAX], delta[RECORD_TYPE_MAX];
	bool any = false;

	if (tracer_read_lost(cw->tracer, lost))
		return;
	for (int i = 0; i < RECORD_TYPE_MAX; i++) {
		delta[i] = lost[i] - cw->lost_reported[i];
		any |= delta[i] != 0;
	}
	if (!any)
		return;
	memcpy(cw->lost_reported, lost, sizeof(lost));
	log_warn("the kernel dropped records: ring buffer full (see --ringbuf-size)");
	pipeline_submit_lost(&cw->pipeline, clock_boottime_ns(), delta);
}

static int check_environment(void)
{
	char missing[64];
	const char *btf;

	if (privileges_check_btf(&btf)) {
		log_error("kernel BTF not found at %s: needs a kernel >= 5.8 built with "
			  "CONFIG_DEBUG_INFO_BTF=y",
			  btf);
		return -ENOENT;
	}
	if (privileges_check(missing, sizeof(missing))) {
		log_error("not privileged enough: missing %s (or run as root)", missing);
		return -EPERM;
	}
	return 0;
}

static int start_pipeline(struct ctrwatch *cw, const struct options *opts)
{
	struct enricher_config ecfg = {
	    .socket_path = opts->containerd_socket,
	    .rpc_timeout_ms = RPC_TIMEOUT_MS,
	    .filters = &opts->filters,
	};
	struct pipeline_config pcfg = {
	    .out = &cw->out,
	    .table = &cw->lifecycle.table,
	    .filters = &opts->filters,
	    .pause_filter = opts->pause_filter,
	    .enrich_timeout_ns = (uint64_t)opts->enrich_timeout_ms * 1000000ull,
	    .cache_size = opts->cache_size,
	    .untrack = do_untrack,
	    .set_init = do_set_init,
	    .ctx = cw,
	};

	if (access(opts->containerd_socket, F_OK))
		log_warn("no containerd socket at %s: events are not enriched until it appears",
			 opts->containerd_socket);
	cw->enricher = enricher_start(&ecfg);
	if (!cw->enricher)
		log_warn("cannot start the containerd client: %s; events are not enriched",
			 strerror(errno));
	pcfg.enricher = cw->enricher;
	pipeline_init(&cw->pipeline, &pcfg);
	return 0;
}

static int watch_fds(struct ctrwatch *cw)
{
	struct epoll_event ev = {.events = EPOLLIN};

	cw->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (cw->epoll_fd < 0)
		return -errno;
	ev.data.u32 = 0;
	if (epoll_ctl(cw->epoll_fd, EPOLL_CTL_ADD, tracer_epoll_fd(cw->tracer), &ev))
		return -errno;
	ev.data.u32 = 1;
	if (cw->enricher && epoll_ctl(cw->epoll_fd, EPOLL_CTL_ADD, enricher_fd(cw->enricher), &ev))
		return -errno;
	return 0;
}

/* Until the next tick, or the next lookup deadline if sooner. */
static int wait_timeout_ms(struct ctrwatch *cw)
{
	uint64_t deadline = pipeline_next_deadline(&cw->pipeline), now = clock_boottime_ns();

	if (!deadline)
		return POLL_INTERVAL_MS;
	if (deadline <= now)
		return 0;
	return (deadline - now) / 1000000 + 1 < POLL_INTERVAL_MS ? (deadline - now) / 1000000 + 1
								 : POLL_INTERVAL_MS;
}

static int loop(struct ctrwatch *cw)
{
	uint64_t next_lost_check = 0, now;
	struct epoll_event events[2];
	int err;

	while (!stop_requested && !cw->pipeline.write_error) {
		if (epoll_wait(cw->epoll_fd, events, 2, wait_timeout_ms(cw)) < 0 && errno != EINTR)
			return -errno;
		/* process_exec records do not wake us: drain on every tick too */
		err = tracer_drain(cw->tracer);
		if (err && err != -EPIPE) {
			log_error("reading the ring buffer: %s", strerror(-err));
			return err;
		}
		now = clock_boottime_ns();
		pipeline_take_results(&cw->pipeline, now);
		pipeline_tick(&cw->pipeline, now, false);
		if (reopen_requested) {
			reopen_requested = 0;
			err = output_reopen(&cw->out);
			if (err)
				log_warn("cannot reopen %s: %s; still writing to the old file",
					 cw->out.path, strerror(-err));
		}
		if (now >= next_lost_check) {
			report_lost(cw);
			next_lost_check = now + LOST_CHECK_INTERVAL_NS;
		}
	}
	return 0;
}

static int run(struct ctrwatch *cw, const struct options *opts)
{
	struct lifecycle_ops ops = {do_track, do_untrack, do_emit, cw};
	struct cgroup_hierarchy h;
	struct tracer_config cfg;
	int err;

	err = cgroup_hierarchy_find(opts->hierarchy, &h);
	if (err) {
		log_error("no %s hierarchy is mounted", opts->hierarchy == CGROUP_HIERARCHY_CGROUP2
							    ? "cgroup2"
							: opts->hierarchy == CGROUP_HIERARCHY_CPUSET
							    ? "cgroup v1 cpuset"
							    : "cgroup2 or cgroup v1 cpuset");
		return err;
	}
	lifecycle_init(&cw->lifecycle, &ops);
	start_pipeline(cw, opts);
	cfg = (struct tracer_config){
	    .hierarchy_id = h.hierarchy_id,
	    .cgroup_v1 = h.v1,
	    .trace_exec = opts->trace_exec,
	    .ringbuf_size = opts->ringbuf_size,
	    .on_record = on_record,
	    .ctx = cw,
	};
	err = tracer_open(&cw->tracer, &cfg);
	if (err) {
		log_error("cannot load or attach the BPF programs: %s%s", strerror(-err),
			  log_verbose() ? "" : " (run with -v for libbpf's log)");
		return err;
	}
	err = watch_fds(cw);
	if (err) {
		log_error("epoll: %s", strerror(-err));
		return err;
	}
	/* Attached first, then scanned: a container born in between is seen at least once. */
	err = cgroup_scan(h.mount_point, on_existing, cw);
	if (err)
		log_warn("cannot scan %s for running containers: %s", h.mount_point,
			 strerror(-err));
	log_info("ready: watching %s hierarchy at %s, %u containers running",
		 h.v1 ? "cgroup v1 cpuset" : "cgroup2", h.mount_point, cw->lifecycle.table.count);

	err = loop(cw);
	if (!err && !cw->pipeline.write_error) {
		/* Stopping: what the kernel queued, then what waits for containerd, goes out. */
		tracer_drain(cw->tracer);
		pipeline_take_results(&cw->pipeline, clock_boottime_ns());
		pipeline_tick(&cw->pipeline, clock_boottime_ns(), true);
		report_lost(cw);
	}
	return err;
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
	libbpf_set_print(on_libbpf_print);
	if (check_environment()) {
		cli_free(&opts);
		return 1;
	}
	err = output_open(&cw.out, opts.output_path);
	if (err) {
		log_error("cannot open %s: %s", opts.output_path, strerror(-err));
		cli_free(&opts);
		return 1;
	}
	clock_init();
	install_signal_handlers();

	err = run(&cw, &opts);
	if (cw.pipeline.write_error && cw.pipeline.write_error != -EPIPE) {
		log_error("writing events: %s", strerror(-cw.pipeline.write_error));
		err = cw.pipeline.write_error;
	}

	tracer_close(cw.tracer);
	enricher_stop(cw.enricher);
	lifecycle_free(&cw.lifecycle);
	pipeline_free(&cw.pipeline);
	if (cw.epoll_fd >= 0)
		close(cw.epoll_fd);
	output_close(&cw.out);
	cli_free(&opts);
	return err ? 1 : 0;
}
