// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The counters behind /metrics, and their Prometheus text exposition (format 0.0.4): names
 * with the ctrwatch_ prefix, _total for counters, base units (bytes, seconds). Writers are the
 * main thread (pipeline, sink, loop) and the containerd worker; the reader is the HTTP thread:
 * every value is a 64-bit word read and written with relaxed atomics, so a scrape sees each
 * value whole (not all of them at one instant, which Prometheus does not expect either).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "metrics/metrics.h"

#define ENRICHMENT_STATES (ENRICHMENT_MISMATCH + 1)

static struct {
	struct metrics_static s;
	double start_time_s;
	uint64_t written[EVENT_KINDS];
	uint64_t enrichment[ENRICHMENT_STATES];
	uint64_t dropped[METRICS_DROP_REASONS];
	uint64_t output_errors;
	uint64_t http_refused, http_evicted, http_timed_out;
	uint64_t calls[METRICS_CALLS][2]; /* [call][ok] */
	uint64_t containerd_up;
	uint64_t engine_requests[METRICS_ENGINES][2]; /* [engine][ok] */
	uint64_t engine_up[METRICS_ENGINES];
	struct loss_counts lost;
	uint64_t readmission_open;
	uint64_t readmissions, refused_recent, refused_rate, refused_room;
	uint64_t quota_charged, quota_refused[4]; /* the kernel's: quota, share, rate, accounts */
	uint64_t containers;
	uint64_t heartbeat_s; /* wall clock of the last ctrwatch_heartbeat; 0: none yet */
	uint64_t lifecycle_queued;
	uint64_t exec_queued;
	uint64_t output_stalled_ns;
	uint64_t last_drain_ns;
	uint64_t attached;
	uint64_t standby;
	metrics_count_fn count_kernel_map;
	void *count_ctx;
} m;

static void add(uint64_t *v, uint64_t n)
{
	__atomic_fetch_add(v, n, __ATOMIC_RELAXED);
}

static void set(uint64_t *v, uint64_t n)
{
	__atomic_store_n(v, n, __ATOMIC_RELAXED);
}

static uint64_t get(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

void metrics_init(const struct metrics_static *s)
{
	struct timespec now;

	memset(&m, 0, sizeof(m));
	m.s = *s;
	clock_gettime(CLOCK_REALTIME, &now);
	m.start_time_s = now.tv_sec + now.tv_nsec / 1e9;
}

void metrics_event_written(enum event_kind kind, enum enrichment_state state)
{
	if ((unsigned int)kind < EVENT_KINDS)
		add(&m.written[kind], 1);
	if ((unsigned int)state < ENRICHMENT_STATES)
		add(&m.enrichment[state], 1);
}

void metrics_event_dropped(enum metrics_drop_reason reason)
{
	if ((unsigned int)reason < METRICS_DROP_REASONS)
		add(&m.dropped[reason], 1);
}

void metrics_http_refused(void)
{
	add(&m.http_refused, 1);
}

void metrics_http_evicted(void)
{
	add(&m.http_evicted, 1);
}

void metrics_http_timed_out(void)
{
	add(&m.http_timed_out, 1);
}

void metrics_output_error(void)
{
	add(&m.output_errors, 1);
}

void metrics_containerd_call(enum metrics_containerd_call call, bool ok)
{
	if ((unsigned int)call < METRICS_CALLS)
		add(&m.calls[call][ok], 1);
	set(&m.containerd_up, ok);
}

void metrics_engine_request(enum metrics_engine engine, bool ok)
{
	if ((unsigned int)engine >= METRICS_ENGINES)
		return;
	add(&m.engine_requests[engine][ok], 1);
	set(&m.engine_up[engine], ok);
}

void metrics_set_lost(const struct loss_counts *totals)
{
	for (int t = 0; t < RECORD_TYPE_MAX; t++)
		set(&m.lost.ringbuf_full[t], totals->ringbuf_full[t]);
	set(&m.lost.untracked, totals->untracked);
	set(&m.lost.malformed, totals->malformed);
	set(&m.lost.no_memory, totals->no_memory);
	set(&m.lost.unwritten, totals->unwritten);
}

void metrics_heartbeat_written(uint64_t unix_s)
{
	set(&m.heartbeat_s, unix_s);
}

void metrics_set_containers(unsigned int tracked)
{
	set(&m.containers, tracked);
}

void metrics_set_ringbuf_queued(uint64_t lifecycle_bytes, uint64_t exec_bytes)
{
	set(&m.lifecycle_queued, lifecycle_bytes);
	set(&m.exec_queued, exec_bytes);
}

void metrics_set_output_stalled(uint64_t stalled_ns)
{
	set(&m.output_stalled_ns, stalled_ns);
}

void metrics_set_standby(bool standby)
{
	set(&m.standby, standby);
}

void metrics_set_attached(bool attached)
{
	set(&m.attached, attached);
}

void metrics_drained(uint64_t boot_ns)
{
	set(&m.last_drain_ns, boot_ns);
}

void metrics_set_kernel_map_counter(metrics_count_fn fn, void *ctx)
{
	m.count_ctx = ctx;
	m.count_kernel_map = fn;
}

bool metrics_healthy(uint64_t now_ns, uint64_t stale_ns, const char **why)
{
	uint64_t last = get(&m.last_drain_ns);

	if (get(&m.standby)) {
		*why = "standing by: the pinned programs record, the ctrwatch before us reads";
		return true;
	}
	if (!get(&m.attached)) {
		*why = "the programs are not attached";
		return false;
	}
	if (!last) {
		*why = "the ring buffer has not been read yet";
		return false;
	}
	if (now_ns > last && now_ns - last > stale_ns) {
		*why = "the ring buffer reader is stuck";
		return false;
	}
	*why = "ok";
	return true;
}

/* Appends to a text that may not fit: the length is counted all the same. */
struct text {
	char *buf;
	size_t size, len;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->len < t->size ? t->buf + t->len : NULL,
		      t->len < t->size ? t->size - t->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += n;
}

static void family(struct text *t, const char *name, const char *type, const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of one sample, with no label: the name is said once. */
static void single(struct text *t, const char *name, const char *type, const char *help,
		   uint64_t value)
{
	family(t, name, type, help);
	put(t, "%s %" PRIu64 "\n", name, value);
}

/* A label value as the exposition format wants it: \\, \" and \n escaped. */
static void put_label_value(struct text *t, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			put(t, "\\%c", *v);
		else if (*v == '\n')
			put(t, "\\n");
		else
			put(t, "%c", *v);
	}
}

static const char *const event_names[EVENT_KINDS] = {
    [EVENT_CONTAINER_EXISTING] = "container_existing",
    [EVENT_CONTAINER_CREATE] = "container_create",
    [EVENT_CONTAINER_START] = "container_start",
    [EVENT_PROCESS_EXEC] = "process_exec",
    [EVENT_CONTAINER_EXIT] = "container_exit",
    [EVENT_CONTAINER_REMOVE] = "container_remove",
    [EVENT_CONTAINER_EXEC_SESSION] = "container_exec_session",
    [EVENT_CONTAINER_PAUSED] = "container_paused",
    [EVENT_CONTAINER_RESUMED] = "container_resumed",
    [EVENT_CGROUP_IMPOSTOR] = "cgroup_impostor",
};

static const char *const record_names[RECORD_TYPE_MAX] = {
    [RECORD_CGROUP_MKDIR] = "cgroup_mkdir", [RECORD_CONTAINER_START] = "container_start",
    [RECORD_PROCESS_EXEC] = "process_exec", [RECORD_CONTAINER_EXIT] = "container_exit",
    [RECORD_CGROUP_RMDIR] = "cgroup_rmdir", [RECORD_CONTAINER_FREEZE] = "container_freeze",
};

static const char *const call_names[METRICS_CALLS] = {
    [METRICS_CALL_VERSION] = "Version/Version",
    [METRICS_CALL_NAMESPACES_LIST] = "Namespaces/List",
    [METRICS_CALL_CONTAINERS_GET] = "Containers/Get",
    [METRICS_CALL_CONTAINERS_LIST] = "Containers/List",
    [METRICS_CALL_IMAGES_GET] = "Images/Get",
    [METRICS_CALL_TASKS_GET] = "Tasks/Get",
    [METRICS_CALL_TASKS_LIST_PIDS] = "Tasks/ListPids",
};

static void render_events(struct text *t)
{
	static const char *const states[ENRICHMENT_STATES] = {[ENRICHMENT_UNKNOWN] = "none",
							      [ENRICHMENT_NONE] = "none",
							      [ENRICHMENT_PARTIAL] = "partial",
							      [ENRICHMENT_COMPLETE] = "complete",
							      [ENRICHMENT_MISMATCH] = "mismatch"};
	static const char *const reasons[METRICS_DROP_REASONS] = {
	    [METRICS_DROP_SANDBOX] = "sandbox",
	    [METRICS_DROP_FILTER] = "filter",
	    [METRICS_DROP_IMPOSTOR] = "impostor"};

	family(t, "ctrwatch_events_written_total", "counter", "Lines written, by event.");
	for (int k = 0; k < EVENT_KINDS; k++)
		put(t, "ctrwatch_events_written_total{event=\"%s\"} %" PRIu64 "\n", event_names[k],
		    get(&m.written[k]));
	family(t, "ctrwatch_enrichment_total", "counter",
	       "Lines written, by how much containerd told of their container.");
	put(t, "ctrwatch_enrichment_total{outcome=\"complete\"} %" PRIu64 "\n",
	    get(&m.enrichment[ENRICHMENT_COMPLETE]));
	put(t, "ctrwatch_enrichment_total{outcome=\"partial\"} %" PRIu64 "\n",
	    get(&m.enrichment[ENRICHMENT_PARTIAL]));
	put(t, "ctrwatch_enrichment_total{outcome=\"%s\"} %" PRIu64 "\n",
	    states[ENRICHMENT_MISMATCH], get(&m.enrichment[ENRICHMENT_MISMATCH]));
	put(t, "ctrwatch_enrichment_total{outcome=\"%s\"} %" PRIu64 "\n", states[ENRICHMENT_NONE],
	    get(&m.enrichment[ENRICHMENT_NONE]) + get(&m.enrichment[ENRICHMENT_UNKNOWN]));
	family(t, "ctrwatch_events_dropped_total", "counter",
	       "Events not written because the policy dropped their container, by reason.");
	for (int r = 0; r < METRICS_DROP_REASONS; r++)
		put(t, "ctrwatch_events_dropped_total{reason=\"%s\"} %" PRIu64 "\n", reasons[r],
		    get(&m.dropped[r]));
	single(t, "ctrwatch_output_write_errors_total", "counter",
	       "Writes of a line that failed (the line waits and is retried, or ctrwatch ends).",
	       get(&m.output_errors));
	family(t, "ctrwatch_http_connections_closed_total", "counter",
	       "Connections to this port closed unanswered: refused (too many from one address), "
	       "evicted (the oldest still sending its request, for a newcomer), timed out "
	       "(request or answer not done in 2 s).");
	put(t, "ctrwatch_http_connections_closed_total{reason=\"refused\"} %" PRIu64 "\n",
	    get(&m.http_refused));
	put(t, "ctrwatch_http_connections_closed_total{reason=\"evicted\"} %" PRIu64 "\n",
	    get(&m.http_evicted));
	put(t, "ctrwatch_http_connections_closed_total{reason=\"timeout\"} %" PRIu64 "\n",
	    get(&m.http_timed_out));
}

void metrics_set_readmission(bool open, uint64_t sent, uint64_t refused_recent,
			     uint64_t refused_rate, uint64_t refused_room)
{
	set(&m.readmission_open, open);
	set(&m.readmissions, sent);
	set(&m.refused_recent, refused_recent);
	set(&m.refused_rate, refused_rate);
	set(&m.refused_room, refused_room);
}

struct labelled_value {
	const char *label;
	const uint64_t *value;
};

/* One sample per label value of a family whose samples differ by one label. */
static void labelled(struct text *t, const char *family_name, const char *label,
		     const struct labelled_value *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(t, "%s{%s=\"%s\"} %" PRIu64 "\n", family_name, label, v[i].label,
		    get(v[i].value));
}

void metrics_set_quota(const struct creator_quota *totals)
{
	set(&m.quota_charged, totals->charged);
	set(&m.quota_refused[0], totals->refused_quota);
	set(&m.quota_refused[1], totals->refused_share);
	set(&m.quota_refused[2], totals->refused_rate);
	set(&m.quota_refused[3], totals->refused_accounts);
}

static void render_quota(struct text *t)
{
	single(t, "ctrwatch_kernel_creator_cgroups", "gauge",
	       "Cgroups the kernel tracks that containers' tasks or users other than root made "
	       "(the rest, the runtimes', are the open pool's).",
	       get(&m.quota_charged));
	family(t, "ctrwatch_kernel_creator_refused_total", "counter",
	       "New cgroups the kernel did not track for who made them: past the maker's quota, "
	       "past all makers' share of the map, past the maker's rate, or no room for one more "
	       "maker's account.");
	labelled(t, "ctrwatch_kernel_creator_refused_total", "reason",
		 (const struct labelled_value[]){{"quota", &m.quota_refused[0]},
						 {"share", &m.quota_refused[1]},
						 {"rate", &m.quota_refused[2]},
						 {"accounts", &m.quota_refused[3]}},
		 4);
}

static void render_readmission(struct text *t)
{
	single(t, "ctrwatch_kernel_readmission_open", "gauge",
	       "1 while the kernel looks for starts in cgroups it does not track (it missed a "
	       "cgroup, or ctrwatch let a lookalike go, within the last minute).",
	       get(&m.readmission_open));
	family(t, "ctrwatch_kernel_readmissions_total", "counter",
	       "Starts in untracked cgroups: sent to ctrwatch, or refused (the cgroup was sent "
	       "lately, the rate, the ring buffer's room).");
	labelled(t, "ctrwatch_kernel_readmissions_total", "result",
		 (const struct labelled_value[]){{"sent", &m.readmissions},
						 {"recent", &m.refused_recent},
						 {"rate", &m.refused_rate},
						 {"room", &m.refused_room}},
		 4);
}

static void render_loss(struct text *t)
{
	family(t, "ctrwatch_kernel_records_lost_total", "counter",
	       "Records the kernel could not put in the full ring buffer, by record type.");
	for (int r = 0; r < RECORD_TYPE_MAX; r++)
		if (record_names[r])
			put(t, "ctrwatch_kernel_records_lost_total{record=\"%s\"} %" PRIu64 "\n",
			    record_names[r], get(&m.lost.ringbuf_full[r]));
	single(t, "ctrwatch_kernel_cgroups_untracked_total", "counter",
	       "New cgroups the full tracking map could not hold.", get(&m.lost.untracked));
	family(t, "ctrwatch_events_lost_total", "counter",
	       "Events userspace could not write, by cause.");
	put(t, "ctrwatch_events_lost_total{cause=\"malformed\"} %" PRIu64 "\n",
	    get(&m.lost.malformed));
	put(t, "ctrwatch_events_lost_total{cause=\"no_memory\"} %" PRIu64 "\n",
	    get(&m.lost.no_memory));
	put(t, "ctrwatch_events_lost_total{cause=\"unwritten\"} %" PRIu64 "\n",
	    get(&m.lost.unwritten));
}

/* A counter's two series by result: counts[1] answered, counts[0] not (or failed). */
static void put_results(struct text *t, const char *name, const char *label, const char *value,
			const uint64_t counts[2])
{
	put(t, "%s{%s=\"%s\",result=\"ok\"} %" PRIu64 "\n", name, label, value, get(&counts[1]));
	put(t, "%s{%s=\"%s\",result=\"error\"} %" PRIu64 "\n", name, label, value, get(&counts[0]));
}

static void render_containerd(struct text *t)
{
	family(t, "ctrwatch_containerd_calls_total", "counter",
	       "containerd API calls, by method and result (error: no answer, or a failure).");
	for (int c = 0; c < METRICS_CALLS; c++)
		put_results(t, "ctrwatch_containerd_calls_total", "method", call_names[c],
			    m.calls[c]);
	single(t, "ctrwatch_containerd_up", "gauge",
	       "Whether containerd answered the last call (1) or not (0).", get(&m.containerd_up));
}

/*
 * An engine is optional: its series appear once it was asked (a node without Docker shows no
 * ctrwatch_engine_up{engine="docker"} 0 to alert on).
 */
static bool engine_asked(int e)
{
	return get(&m.engine_requests[e][0]) || get(&m.engine_requests[e][1]);
}

static void render_engines(struct text *t)
{
	static const char *const names[METRICS_ENGINES] = {"docker", "podman"};
	bool any = false;

	for (int e = 0; e < METRICS_ENGINES; e++)
		any |= engine_asked(e);
	if (!any)
		return;
	family(t, "ctrwatch_engine_requests_total", "counter",
	       "Requests to Docker's or Podman's API, by engine and result (error: no answer).");
	for (int e = 0; e < METRICS_ENGINES; e++)
		if (engine_asked(e))
			put_results(t, "ctrwatch_engine_requests_total", "engine", names[e],
				    m.engine_requests[e]);
	family(t, "ctrwatch_engine_up", "gauge",
	       "Whether the engine answered the last request (1) or not (0); once asked.");
	for (int e = 0; e < METRICS_ENGINES; e++)
		if (engine_asked(e))
			put(t, "ctrwatch_engine_up{engine=\"%s\"} %" PRIu64 "\n", names[e],
			    get(&m.engine_up[e]));
}

static void render_state(struct text *t, uint64_t now_ns)
{
	uint64_t last = get(&m.last_drain_ns);
	long kernel = m.count_kernel_map ? m.count_kernel_map(m.count_ctx) : -1;

	single(t, "ctrwatch_containers_tracked", "gauge",
	       "Containers ctrwatch follows (userspace), their cgroup existing.",
	       get(&m.containers));
	if (get(&m.heartbeat_s))
		single(t, "ctrwatch_heartbeat_timestamp_seconds", "gauge",
		       "When the last ctrwatch_heartbeat line was written (Unix time).",
		       get(&m.heartbeat_s));
	if (kernel >= 0)
		single(t, "ctrwatch_kernel_tracked_cgroups", "gauge",
		       "Entries in the kernel's tracking map.", (uint64_t)kernel);
	single(t, "ctrwatch_kernel_tracked_cgroups_capacity", "gauge",
	       "Entries the kernel's tracking map can hold (--max-cgroups).", m.s.max_cgroups);
	family(t, "ctrwatch_ringbuf_queued_bytes", "gauge",
	       "Bytes of records a ring buffer holds: not read yet, or kept until written.");
	put(t, "ctrwatch_ringbuf_queued_bytes{ring=\"lifecycle\"} %" PRIu64 "\n",
	    get(&m.lifecycle_queued));
	if (m.s.exec_ringbuf_size)
		put(t, "ctrwatch_ringbuf_queued_bytes{ring=\"exec\"} %" PRIu64 "\n",
		    get(&m.exec_queued));
	family(t, "ctrwatch_ringbuf_size_bytes", "gauge",
	       "A ring buffer's size (--lifecycle-ringbuf-size; exec: --ringbuf-size).");
	put(t, "ctrwatch_ringbuf_size_bytes{ring=\"lifecycle\"} %" PRIu64 "\n",
	    m.s.lifecycle_ringbuf_size);
	if (m.s.exec_ringbuf_size)
		put(t, "ctrwatch_ringbuf_size_bytes{ring=\"exec\"} %" PRIu64 "\n",
		    m.s.exec_ringbuf_size);
	family(t, "ctrwatch_reader_last_drain_age_seconds", "gauge",
	       "Seconds since the ring buffer was last drained (/healthz looks at it).");
	put(t, "ctrwatch_reader_last_drain_age_seconds %.3f\n",
	    last && now_ns > last ? (now_ns - last) / 1e9 : 0.0);
	family(t, "ctrwatch_output_stalled_seconds", "gauge",
	       "Seconds lines have waited for the output (a full disk, a reader that stopped "
	       "reading); 0 while it takes them.");
	put(t, "ctrwatch_output_stalled_seconds %.3f\n", get(&m.output_stalled_ns) / 1e9);
}

static void render_build(struct text *t)
{
	family(t, "ctrwatch_build_info", "gauge",
	       "Always 1; the labels say which ctrwatch runs, on what, watching what.");
	put(t, "ctrwatch_build_info{version=\"");
	put_label_value(t, m.s.version);
	put(t, "\",kernel=\"");
	put_label_value(t, m.s.kernel);
	put(t, "\",hierarchy=\"");
	put_label_value(t, m.s.hierarchy);
	put(t, "\",format=\"");
	put_label_value(t, m.s.format);
	put(t, "\",pinned=\"%s\"} 1\n", m.s.pinned ? "true" : "false");
	family(t, "process_start_time_seconds", "gauge",
	       "Start time of the process since the Unix epoch in seconds.");
	put(t, "process_start_time_seconds %.3f\n", m.start_time_s);
}

size_t metrics_render(char *buf, size_t size, uint64_t now_ns)
{
	struct text t = {.buf = buf, .size = size};

	if (size)
		buf[0] = '\0';
	render_events(&t);
	render_loss(&t);
	render_readmission(&t);
	render_quota(&t);
	render_containerd(&t);
	render_engines(&t);
	render_state(&t, now_ns);
	render_build(&t);
	return t.len;
}
