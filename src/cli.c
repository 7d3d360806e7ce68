// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef CTRWATCH_VERSION
#define CTRWATCH_VERSION "0.0.0-dev"
#endif

#include "enrich/containerd_client.h"
#include "enrich/cri_client.h"
#include "enrich/engine_client.h"
#include "enrich/user_socket.h"
#include "metrics/metrics_server.h"

enum {
	OPT_EXEC = 0x100,
	OPT_RINGBUF_SIZE,
	OPT_LIFECYCLE_RINGBUF_SIZE,
	OPT_CONTAINERD_SOCKET,
	OPT_DOCKER_SOCKET,
	OPT_PODMAN_SOCKET,
	OPT_CRIO_SOCKET,
	OPT_ROOTLESS_PODMAN_SOCKET,
	OPT_ENRICH_TIMEOUT,
	OPT_CACHE_SIZE,
	OPT_CACHE_BYTES,
	OPT_NO_PAUSE_FILTER,
	OPT_INCLUDE,
	OPT_EXCLUDE,
	OPT_NAMESPACE,
	OPT_LOG_FORMAT,
	OPT_CGROUP_HIERARCHY,
	OPT_MAX_CGROUPS,
	OPT_CONTAINER_CGROUP_QUOTA,
	OPT_USER_CGROUP_QUOTA,
	OPT_CREATOR_CGROUP_RATE,
	OPT_PIN,
	OPT_PIN_PATH,
	OPT_CLEANUP,
	OPT_STATUS,
	OPT_WAIT_FOR_READER,
	OPT_HEARTBEAT,
	OPT_FORMAT,
	OPT_METRICS_ADDRESS,
};

static const struct option long_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"verbose", no_argument, NULL, 'v'},
    {"exec", no_argument, NULL, OPT_EXEC},
    {"output", required_argument, NULL, 'o'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"metrics-address", required_argument, NULL, OPT_METRICS_ADDRESS},
    {"ringbuf-size", required_argument, NULL, OPT_RINGBUF_SIZE},
    {"lifecycle-ringbuf-size", required_argument, NULL, OPT_LIFECYCLE_RINGBUF_SIZE},
    {"containerd-socket", required_argument, NULL, OPT_CONTAINERD_SOCKET},
    {"docker-socket", required_argument, NULL, OPT_DOCKER_SOCKET},
    {"podman-socket", required_argument, NULL, OPT_PODMAN_SOCKET},
    {"crio-socket", required_argument, NULL, OPT_CRIO_SOCKET},
    {"rootless-podman-socket", required_argument, NULL, OPT_ROOTLESS_PODMAN_SOCKET},
    {"enrich-timeout", required_argument, NULL, OPT_ENRICH_TIMEOUT},
    {"cache-size", required_argument, NULL, OPT_CACHE_SIZE},
    {"cache-bytes", required_argument, NULL, OPT_CACHE_BYTES},
    {"no-pause-filter", no_argument, NULL, OPT_NO_PAUSE_FILTER},
    {"include", required_argument, NULL, OPT_INCLUDE},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"namespace", required_argument, NULL, OPT_NAMESPACE},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"cgroup-hierarchy", required_argument, NULL, OPT_CGROUP_HIERARCHY},
    {"max-cgroups", required_argument, NULL, OPT_MAX_CGROUPS},
    {"container-cgroup-quota", required_argument, NULL, OPT_CONTAINER_CGROUP_QUOTA},
    {"user-cgroup-quota", required_argument, NULL, OPT_USER_CGROUP_QUOTA},
    {"creator-cgroup-rate", required_argument, NULL, OPT_CREATOR_CGROUP_RATE},
    {"pin", no_argument, NULL, OPT_PIN},
    {"pin-path", required_argument, NULL, OPT_PIN_PATH},
    {"cleanup", no_argument, NULL, OPT_CLEANUP},
    {"status", no_argument, NULL, OPT_STATUS},
    {"wait-for-reader", required_argument, NULL, OPT_WAIT_FOR_READER},
    {"heartbeat", required_argument, NULL, OPT_HEARTBEAT},
    {},
};

void cli_usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: ctrwatch [OPTIONS]\n"
	    "Trace container lifecycle (create, start, exec, exit, remove) with eBPF and print\n"
	    "one JSON object per line.\n"
	    "\n"
	    "Options:\n"
	    "  -o, --output FILE       append events to FILE instead of stdout (default: stdout)\n"
	    "      --format FORMAT     ndjson (ctrwatch's schema), ecs (Elastic Common Schema\n"
	    "                          9.x), ocsf (OCSF 1.8.0), or text: a line a person reads\n"
	    "                          (default: text on a terminal, else ndjson; NO_COLOR\n"
	    "                          set: no colour)\n"
	    "      --exec              also report every program run inside containers (default: off)\n"
	    "      --ringbuf-size SIZE the exec records' ring buffer (with --exec), power of\n"
	    "                          two, e.g. 16M (default: 8M)\n"
	    "      --lifecycle-ringbuf-size SIZE  the ring buffer of creates, starts, exits and\n"
	    "                          removes: ~680 container lifetimes per MiB while nobody\n"
	    "                          reads (default: 1M, 2M with --exec)\n"
	    "      --cgroup-hierarchy auto|cgroup2|cpuset  the one hierarchy watched: cgroup2\n"
	    "                          if mounted, else the v1 cpuset one (default: auto)\n"
	    "      --max-cgroups N     cgroups the kernel tracks at once: containers and the\n"
	    "                          new cgroups not yet classified (default: 16384)\n"
	    "      --container-cgroup-quota N  cgroups made from inside one container (a kind\n"
	    "                          node's pods, Docker-in-Docker's containers) the kernel\n"
	    "                          tracks at once (default: 1024)\n"
	    "      --user-cgroup-quota N  the same for each user but root (default: 256)\n"
	    "      --creator-cgroup-rate N  new cgroups a second each such container or user\n"
	    "                          may have reported, 4 seconds' worth at once (default: 100);\n"
	    "                          what the quotas refuse is counted in ctrwatch_pressure\n"
	    "\n"
	    "Across restarts (no blind window):\n"
	    "      --pin               pin the programs and their ring buffer in bpffs: they keep\n"
	    "                          recording after ctrwatch exits, and the next ctrwatch\n"
	    "                          reads what they recorded meanwhile (default: off; the\n"
	    "                          systemd unit and the DaemonSet turn it on)\n"
	    "      --pin-path DIR      where to pin; implies --pin (default: " PIN_PATH_DEFAULT
	    ")\n"
	    "      --wait-for-reader DURATION  when another ctrwatch reads the pin path, wait\n"
	    "                          up to DURATION (at most 60s) for it to exit instead of\n"
	    "                          refusing: rolling updates with surge (default: 0s)\n"
	    "      --status            say what is pinned and whether a ctrwatch reads it, exit\n"
	    "      --cleanup           detach and remove what is pinned, exit\n"
	    "\n"
	    "Enrichment (containerd API; Docker's and Podman's HTTP APIs for their containers):\n"
	    "      --containerd-socket PATH  (default: " CONTAINERD_SOCKET_DEFAULT ")\n"
	    "      --docker-socket PATH  Docker's API; empty: ask containerd only\n"
	    "                          (default: " DOCKER_SOCKET_DEFAULT ")\n"
	    "      --podman-socket PATH  Podman's API service; empty: not asked\n"
	    "                          (default: " PODMAN_SOCKET_DEFAULT ")\n"
	    "      --rootless-podman-socket TEMPLATE  a user's own Podman, for containers in\n"
	    "                          that user's subtree; %%u is the uid; empty: not asked\n"
	    "                          (default: %s)\n"
	    "      --crio-socket PATH  CRI-O's (a CRI runtime's) API; empty: not asked\n"
	    "                          (default: " CRIO_SOCKET_DEFAULT ")\n"
	    "                          an absent socket is no error: those containers'\n"
	    "                          events say \"partial\" and why\n"
	    "      --enrich-timeout DURATION how long events wait for a lookup, e.g. 500ms, 2s;\n"
	    "                          later they go out \"partial\" (default: 500ms)\n"
	    "      --cache-size N      containers whose metadata is cached (default: 4096)\n"
	    "      --cache-bytes SIZE  and its memory at most, e.g. 64M (default: 32M)\n"
	    "\n"
	    "Filters (a filtered container produces no event at all):\n"
	    "      --no-pause-filter   report Kubernetes sandbox (pause) containers too\n"
	    "                          (default: they are dropped)\n"
	    "      --include FIELD:REGEX  keep matching containers, whatever --exclude says\n"
	    "      --exclude FIELD:REGEX  drop matching containers; FIELD is image, name,\n"
	    "                          kube_namespace, namespace or label:KEY; POSIX ERE;\n"
	    "                          both repeatable (default: none)\n"
	    "      --namespace NS      only containers of containerd namespace NS;\n"
	    "                          repeatable (default: all)\n"
	    "\n"
	    "Operations:\n"
	    "      --metrics-address ADDR:PORT  serve /metrics (Prometheus) and /healthz there,\n"
	    "                          e.g. 127.0.0.1:9469, [::1]:9469, :9469 (default: off)\n"
	    "      --heartbeat DURATION  a ctrwatch_heartbeat line this often, e.g. 30s, 5m;\n"
	    "                          0 turns it off (default: 60s)\n"
	    "\n"
	    "Other:\n"
	    "  -v, --verbose           debug output, including libbpf's, on stderr\n"
	    "      --log-format FORMAT diagnostics on stderr as text or json (default: text)\n"
	    "  -V, --version           print the version and exit\n"
	    "  -h, --help              print this help and exit\n"
	    "\n"
	    "Needs root, or CAP_BPF and CAP_PERFMON, and a kernel >= 5.14 with BTF.\n",
	    USER_PODMAN_SOCKET_DEFAULT);
}

/* The decimal number s begins with, and where its unit begins: 0, or -EINVAL for none. */
static int leading_number(const char *s, unsigned long long *v, char **end)
{
	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, end, 10);
	return errno || *end == s ? -EINVAL : 0;
}

int cli_rpc_timeout_ms(unsigned int enrich_timeout_ms)
{
	if (enrich_timeout_ms < RPC_TIMEOUT_MIN_MS)
		return RPC_TIMEOUT_MIN_MS;
	return enrich_timeout_ms > RPC_TIMEOUT_MAX_MS ? RPC_TIMEOUT_MAX_MS : (int)enrich_timeout_ms;
}

uint64_t cli_ring_size_for_page(uint64_t size, uint64_t page_size)
{
	return size < page_size ? page_size : size;
}

int cli_parse_size(const char *s, uint64_t *size)
{
	unsigned long long v;
	char *end;

	if (leading_number(s, &v, &end))
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (*end || v < 4096 || v > (1ull << 30) || (v & (v - 1)))
		return -EINVAL;
	*size = v;
	return 0;
}

int cli_parse_interval_s(const char *s, unsigned int *seconds)
{
	unsigned long long v;
	char *end;

	if (leading_number(s, &v, &end) || v > 86400)
		return -EINVAL;
	if (!strcmp(end, "m"))
		v *= 60;
	else if (!strcmp(end, "h"))
		v *= 3600;
	else if (*end && strcmp(end, "s"))
		return -EINVAL;
	if (v > 86400)
		return -EINVAL;
	*seconds = v;
	return 0;
}

int cli_parse_duration_ms(const char *s, unsigned int *ms)
{
	unsigned long long v;
	char *end;

	if (leading_number(s, &v, &end))
		return -EINVAL;
	if (strcmp(end, "s") == 0)
		v *= 1000;
	else if (*end && strcmp(end, "ms") != 0)
		return -EINVAL;
	if (v < 1 || v > 60000)
		return -EINVAL;
	*ms = v;
	return 0;
}

static int parse_count(const char *s, unsigned int *count)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > 1000000)
		return -EINVAL;
	*count = v;
	return 0;
}

static int add_filter(struct options *opts, const char *spec, bool include)
{
	char err[512];

	if (!filter_set_add(&opts->filters, spec, include, err, sizeof(err)))
		return 0;
	fprintf(stderr, "ctrwatch: %s\n", err);
	return -EINVAL;
}

static enum cli_action usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "ctrwatch: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	cli_usage(stderr);
	return CLI_EXIT_USAGE;
}

enum cli_action cli_parse(int argc, char **argv, struct options *opts)
{
	int c;

	memset(opts, 0, sizeof(*opts));
	opts->containerd_socket = CONTAINERD_SOCKET_DEFAULT;
	opts->docker_socket = DOCKER_SOCKET_DEFAULT;
	opts->podman_socket = PODMAN_SOCKET_DEFAULT;
	opts->crio_socket = CRIO_SOCKET_DEFAULT;
	opts->user_podman_socket = USER_PODMAN_SOCKET_DEFAULT;
	opts->enrich_timeout_ms = ENRICH_TIMEOUT_MS_DEFAULT;
	opts->cache_size = CACHE_SIZE_DEFAULT;
	opts->cache_bytes = CACHE_BYTES_DEFAULT;
	opts->heartbeat_s = HEARTBEAT_S_DEFAULT;
	opts->max_cgroups = MAX_CGROUPS_DEFAULT;
	opts->quota = (struct creator_quota_config){.container_max = CONTAINER_CGROUP_QUOTA_DEFAULT,
						    .user_max = USER_CGROUP_QUOTA_DEFAULT,
						    .rate = CREATOR_CGROUP_RATE_DEFAULT};
	opts->pause_filter = true;
	filter_set_init(&opts->filters);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":hVvo:", long_options, NULL)) != -1) {
		switch (c) {
		case 'h': cli_usage(stdout); return CLI_EXIT_OK;
		case 'V': printf("ctrwatch %s\n", CTRWATCH_VERSION); return CLI_EXIT_OK;
		case 'v': opts->verbose = true; break;
		case OPT_EXEC: opts->trace_exec = true; break;
		case 'o':
			if (!*optarg)
				return usage_error("--output needs a file name%s", "");
			opts->output_path = optarg;
			break;
		case OPT_METRICS_ADDRESS: {
			struct sockaddr_storage addr;
			socklen_t len;

			if (metrics_address_parse(optarg, &addr, &len))
				return usage_error(
				    "bad --metrics-address '%s': want ADDR:PORT with a "
				    "numeric address, e.g. 127.0.0.1:9469 or :9469",
				    optarg);
			opts->metrics_address = optarg;
			break;
		}
		case OPT_FORMAT:
			if (event_format_parse(optarg, &opts->format))
				return usage_error(
				    "bad --format '%s': want ndjson, ecs, ocsf or text", optarg);
			opts->format_given = true;
			break;
		case OPT_RINGBUF_SIZE:
			if (cli_parse_size(optarg, &opts->exec_ringbuf_size))
				return usage_error("bad --ringbuf-size '%s': want a power of two "
						   "between 4K and 1G, e.g. 16M",
						   optarg);
			break;
		case OPT_LIFECYCLE_RINGBUF_SIZE:
			if (cli_parse_size(optarg, &opts->lifecycle_ringbuf_size))
				return usage_error(
				    "bad --lifecycle-ringbuf-size '%s': want a power "
				    "of two between 4K and 1G, e.g. 2M",
				    optarg);
			break;
		case OPT_CONTAINERD_SOCKET:
			if (!*optarg)
				return usage_error("--containerd-socket needs a path%s", "");
			opts->containerd_socket = optarg;
			break;
		case OPT_DOCKER_SOCKET: opts->docker_socket = *optarg ? optarg : NULL; break;
		case OPT_PODMAN_SOCKET: opts->podman_socket = *optarg ? optarg : NULL; break;
		case OPT_CRIO_SOCKET: opts->crio_socket = *optarg ? optarg : NULL; break;
		case OPT_ROOTLESS_PODMAN_SOCKET: {
			char path[108];

			if (*optarg && user_socket_path(optarg, UINT32_MAX, path, sizeof(path)))
				return usage_error(
				    "bad --rootless-podman-socket '%s': want a socket "
				    "path with one %%u for the uid, e.g. "
				    "/run/user/%%u/podman/podman.sock",
				    optarg);
			opts->user_podman_socket = *optarg ? optarg : NULL;
			break;
		}
		case OPT_ENRICH_TIMEOUT:
			if (cli_parse_duration_ms(optarg, &opts->enrich_timeout_ms))
				return usage_error("bad --enrich-timeout '%s': want 1ms to 60s, "
						   "e.g. 500ms or 2s",
						   optarg);
			break;
		case OPT_CACHE_SIZE:
			if (parse_count(optarg, &opts->cache_size))
				return usage_error("bad --cache-size '%s': want 1 to 1000000",
						   optarg);
			break;
		case OPT_CACHE_BYTES:
			if (cli_parse_size(optarg, &opts->cache_bytes))
				return usage_error("bad --cache-bytes '%s': want a power of two "
						   "between 4K and 1G, e.g. 64M",
						   optarg);
			break;
		case OPT_MAX_CGROUPS:
			if (parse_count(optarg, &opts->max_cgroups))
				return usage_error("bad --max-cgroups '%s': want 1 to 1000000",
						   optarg);
			break;
		case OPT_CONTAINER_CGROUP_QUOTA:
			if (parse_count(optarg, &opts->quota.container_max))
				return usage_error("bad --container-cgroup-quota '%s': want 1 to "
						   "1000000",
						   optarg);
			break;
		case OPT_USER_CGROUP_QUOTA:
			if (parse_count(optarg, &opts->quota.user_max))
				return usage_error(
				    "bad --user-cgroup-quota '%s': want 1 to 1000000", optarg);
			break;
		case OPT_CREATOR_CGROUP_RATE:
			if (parse_count(optarg, &opts->quota.rate))
				return usage_error(
				    "bad --creator-cgroup-rate '%s': want 1 to 1000000", optarg);
			break;
		case OPT_PIN:
			if (!opts->pin_path)
				opts->pin_path = PIN_PATH_DEFAULT;
			break;
		case OPT_PIN_PATH:
			if (!*optarg)
				return usage_error("--pin-path needs a directory%s", "");
			opts->pin_path = optarg;
			break;
		case OPT_WAIT_FOR_READER:
			if (strcmp(optarg, "0") && strcmp(optarg, "0s") &&
			    cli_parse_duration_ms(optarg, &opts->wait_for_reader_ms))
				return usage_error("bad --wait-for-reader '%s': want 0s to 60s, "
						   "e.g. 30s",
						   optarg);
			break;
		case OPT_HEARTBEAT:
			if (cli_parse_interval_s(optarg, &opts->heartbeat_s))
				return usage_error(
				    "bad --heartbeat '%s': want 0 (off) or 1s to 24h, "
				    "e.g. 60s or 5m",
				    optarg);
			break;
		case OPT_CLEANUP:
		case OPT_STATUS:
			if (opts->mode != MODE_TRACE)
				return usage_error("--cleanup and --status go alone%s", "");
			opts->mode = c == OPT_CLEANUP ? MODE_CLEANUP : MODE_STATUS;
			break;
		case OPT_NO_PAUSE_FILTER: opts->pause_filter = false; break;
		case OPT_INCLUDE:
		case OPT_EXCLUDE:
			if (add_filter(opts, optarg, c == OPT_INCLUDE))
				return CLI_EXIT_USAGE;
			break;
		case OPT_NAMESPACE:
			if (!*optarg || filter_set_add_namespace(&opts->filters, optarg))
				return usage_error("bad --namespace '%s'", optarg);
			break;
		case OPT_CGROUP_HIERARCHY:
			if (!strcmp(optarg, "auto"))
				opts->hierarchy = CGROUP_HIERARCHY_AUTO;
			else if (!strcmp(optarg, "cgroup2"))
				opts->hierarchy = CGROUP_HIERARCHY_CGROUP2;
			else if (!strcmp(optarg, "cpuset"))
				opts->hierarchy = CGROUP_HIERARCHY_CPUSET;
			else
				return usage_error(
				    "bad --cgroup-hierarchy '%s': want auto, cgroup2 "
				    "or cpuset",
				    optarg);
			break;
		case OPT_LOG_FORMAT:
			if (strcmp(optarg, "json") && strcmp(optarg, "text"))
				return usage_error("bad --log-format '%s': want text or json",
						   optarg);
			opts->log_json = strcmp(optarg, "json") == 0;
			break;
		case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
		default: return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (opts->exec_ringbuf_size && !opts->trace_exec)
		return usage_error("--ringbuf-size sizes the exec records' ring buffer, which only "
				   "--exec makes (the lifecycle one: --lifecycle-ringbuf-size)%s",
				   "");
	if (opts->trace_exec && !opts->exec_ringbuf_size)
		opts->exec_ringbuf_size = EXEC_RINGBUF_SIZE_DEFAULT;
	if (!opts->lifecycle_ringbuf_size)
		opts->lifecycle_ringbuf_size = opts->trace_exec
						   ? LIFECYCLE_RINGBUF_SIZE_EXEC_DEFAULT
						   : LIFECYCLE_RINGBUF_SIZE_DEFAULT;
	if (opts->mode != MODE_TRACE && !opts->pin_path)
		opts->pin_path = PIN_PATH_DEFAULT;
	if (opts->wait_for_reader_ms && !opts->pin_path)
		return usage_error("--wait-for-reader goes with --pin or --pin-path%s", "");
	return CLI_RUN;
}

void cli_settle_format(struct options *opts, bool stdout_is_terminal)
{
	if (!opts->format_given)
		opts->format = stdout_is_terminal && !opts->output_path ? EVENT_FORMAT_TEXT
									: EVENT_FORMAT_NDJSON;
}

void cli_free(struct options *opts)
{
	filter_set_free(&opts->filters);
}
