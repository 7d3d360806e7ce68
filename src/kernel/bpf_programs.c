// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Loading the kernel programs, and userspace's side of their maps. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/clock.h"
#include "common/log.h"
#include "ctrwatch.skel.h"
#include "kernel/bpf_programs.h"
#include "kernel/load_heap.h"
#include "kernel/pin_dir.h"
#include "kernel/creator_quota.h"
#include "kernel/readmit_gate.h"
#include "kernel/records_upgrade.h"
#include "kernel/ringbuf_reader.h"

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
static const char *const pinned_maps[PIN_MAPS] = {
    "events",	    "tracked_cgroups", "lost_records",	   "record_seq",   "exec_events",
    "readmit_gate", "cgroup_charge",   "creator_accounts", "creator_quota"};
static const char *const pinned_links[PIN_LINKS] = {
    "link_cgroup_mkdir",       "link_cgroup_rmdir",  "link_sched_process_exec",
    "link_sched_process_exit", "link_cgroup_freeze", "link_cgroup_unfreeze",
    "link_freezer_apply_state"};

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

/*
 * Whether this kernel lets fentry programs load at all: some sandboxes' LSMs refuse the attach
 * type with EPERM while they allow tracepoints. Asked with a target that is no function (BTF id
 * 1), so that no BTF need be read: a kernel that allows fentry refuses that target with EINVAL
 * in its verifier, one that refuses fentry says EPERM before.
 */
static bool kernel_allows_fentry(void)
{
	struct bpf_insn ret0[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY,
		    .attach_btf_id = 1);
	int fd =
	    bpf_prog_load(BPF_PROG_TYPE_TRACING, "ctrwatch_probe", "Dual BSD/GPL", ret0, 2, &opts);

	if (fd >= 0)
		close(fd);
	return fd >= 0 || errno != EPERM;
}

static void configure(struct ctrwatch_bpf *skel, const struct bpf_programs_config *cfg,
		      bool v1_freezer)
{
	skel->rodata->watched_hierarchy_id = cfg->hierarchy_id;
	skel->rodata->watch_cgroup_v1 = cfg->cgroup_v1;
	skel->rodata->trace_exec = cfg->trace_exec;
	/* Wake the reader for exec records once an eighth of their buffer is queued. */
	skel->rodata->exec_wakeup_bytes = cfg->exec_ringbuf_size / 8;
	/* The last quarter is kept for start, exit and remove records (see bulk_room). */
	skel->rodata->bulk_drop_bytes = cfg->lifecycle_ringbuf_size / 4 * 3;
	/* Readmissions (starts the kernel had missed) may take half of that quarter. */
	skel->rodata->readmit_drop_bytes = cfg->lifecycle_ringbuf_size / 8 * 7;
	bpf_program__set_autoload(skel->progs.freezer_apply_state, v1_freezer);
	/*
	 * The tests' way to a kernel whose function cannot be traced (the retry in
	 * load_programs): another function, one the kernel refuses fentry on.
	 */
	if (v1_freezer && getenv("CTRWATCH_TEST_V1_FREEZER_FUNCTION"))
		bpf_program__set_attach_target(skel->progs.freezer_apply_state, 0,
					       getenv("CTRWATCH_TEST_V1_FREEZER_FUNCTION"));
	/* attached on its own: a kernel that refuses it costs its pauses, not all programs */
	bpf_program__set_autoattach(skel->progs.freezer_apply_state, false);
}

/* A skeleton opened, configured and sized, in progs->skel. */
static int open_skeleton(struct bpf_programs *progs, const struct bpf_programs_config *cfg,
			 bool v1_freezer)
{
	int err;

	progs->skel = ctrwatch_bpf__open();
	if (!progs->skel) {
		err = -errno;
		log_error("cannot open the BPF programs: %s", strerror(-err));
		return err;
	}
	configure(progs->skel, cfg, v1_freezer);
	err = bpf_map__set_max_entries(progs->skel->maps.events, cfg->lifecycle_ringbuf_size);
	/* without --exec no program writes it: the smallest the kernel makes, never mapped */
	if (!err)
		err = bpf_map__set_max_entries(progs->skel->maps.exec_events,
					       cfg->trace_exec ? cfg->exec_ringbuf_size
							       : (uint64_t)sysconf(_SC_PAGESIZE));
	if (!err)
		err = bpf_map__set_max_entries(progs->skel->maps.tracked_cgroups, cfg->max_cgroups);
	/* a charge per tracked cgroup at most */
	if (!err)
		err = bpf_map__set_max_entries(progs->skel->maps.cgroup_charge, cfg->max_cgroups);
	if (err)
		log_error("cannot size the BPF maps: %s", strerror(-err));
	return err;
}

static struct bpf_map *skel_map(struct ctrwatch_bpf *skel, int i)
{
	struct bpf_map *maps[PIN_MAPS] = {
	    skel->maps.events,	      skel->maps.tracked_cgroups,  skel->maps.lost_records,
	    skel->maps.record_seq,    skel->maps.exec_events,	   skel->maps.readmit_gate,
	    skel->maps.cgroup_charge, skel->maps.creator_accounts, skel->maps.creator_quota};
	return maps[i];
}

static struct bpf_program *skel_traced(struct ctrwatch_bpf *skel, int i)
{
	struct bpf_program *progs[PIN_LINKS] = {
	    skel->progs.cgroup_mkdir,	    skel->progs.cgroup_rmdir,
	    skel->progs.sched_process_exec, skel->progs.sched_process_exit,
	    skel->progs.cgroup_freeze,	    skel->progs.cgroup_unfreeze,
	    skel->progs.freezer_apply_state};
	return progs[i];
}

static struct bpf_link **skel_link(struct ctrwatch_bpf *skel, int i)
{
	struct bpf_link **links[PIN_LINKS] = {
	    &skel->links.cgroup_mkdir,	     &skel->links.cgroup_rmdir,
	    &skel->links.sched_process_exec, &skel->links.sched_process_exit,
	    &skel->links.cgroup_freeze,	     &skel->links.cgroup_unfreeze,
	    &skel->links.freezer_apply_state};
	return links[i];
}

static uint64_t object_hash(void)
{
	size_t size;
	const unsigned char *p = ctrwatch_bpf__elf_bytes(&size);
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (size_t i = 0; i < size; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static struct pinned_set_info expected_info(const struct bpf_programs_config *cfg)
{
	return (struct pinned_set_info){
	    .magic = PINNED_SET_MAGIC,
	    .layout = RECORDS_LAYOUT_VERSION,
	    .object_hash = object_hash(),
	    .ringbuf_size = cfg->lifecycle_ringbuf_size,
	    .hierarchy_id = cfg->hierarchy_id,
	    .max_cgroups = cfg->max_cgroups,
	    .cgroup_v1 = cfg->cgroup_v1,
	    .trace_exec = cfg->trace_exec,
	};
}

static int pin_file(char *buf, size_t size, const char *dir, const char *name)
{
	return snprintf(buf, size, "%s/%s", dir, name) >= (int)size ? -ENAMETOOLONG : 0;
}

/* Reads the pinned set's info: -ENOENT when there is none. */
static int read_info(const char *pin_path, struct pinned_set_info *info)
{
	char path[PATH_MAX];
	uint32_t zero = 0;
	int fd, err;

	err = pin_file(path, sizeof(path), pin_path, "info");
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = bpf_map_lookup_elem(fd, &zero, info) ? -errno : 0;
	close(fd);
	return err;
}

static int pin_draining(char *buf, size_t size, const char *dir, uint32_t layout)
{
	return snprintf(buf, size, "%s/" DRAINING_PREFIX "%u", dir, layout) >= (int)size
		   ? -ENAMETOOLONG
		   : 0;
}

/* The layout of a ring buffer left to drain (a takeover from older programs), or -ENOENT. */
static int find_draining(const char *pin_path, uint32_t *layout)
{
	DIR *dir = opendir(pin_path);
	struct dirent *d;
	int err = -ENOENT;
	unsigned int n;
	char end;

	if (!dir)
		return -errno;
	while ((d = readdir(dir)) && err) {
		if (sscanf(d->d_name, DRAINING_PREFIX "%u%c", &n, &end) == 1) {
			*layout = n;
			err = 0;
		}
	}
	closedir(dir);
	return err;
}

/* Everything we may have pinned, gone; what was not there is no error. */
static void unpin_all(const char *pin_path)
{
	char path[PATH_MAX];
	uint32_t layout;

	if (!pin_file(path, sizeof(path), pin_path, "info"))
		unlink(path);
	for (int i = 0; i < PIN_LINKS; i++)
		if (!pin_file(path, sizeof(path), pin_path, pinned_links[i]))
			unlink(path);
	for (int i = 0; i < PIN_MAPS; i++)
		if (!pin_file(path, sizeof(path), pin_path, pinned_maps[i]))
			unlink(path);
	if (find_draining(pin_path, &layout) == 0 &&
	    !pin_draining(path, sizeof(path), pin_path, layout))
		unlink(path);
}

/* What keeps this ctrwatch from sharing the pinned maps at all, or NULL. */
static const char *shape_mismatch(const struct pinned_set_info *have,
				  const struct pinned_set_info *want)
{
	if (have->magic != want->magic)
		return "another program";
	if (!records_upgrade_supported(have->layout))
		return "a record layout this build cannot read";
	if (have->max_cgroups != want->max_cgroups)
		return "another --max-cgroups";
	if (have->hierarchy_id != want->hierarchy_id || have->cgroup_v1 != want->cgroup_v1)
		return "another --cgroup-hierarchy";
	return NULL;
}

/* The pinned programs are the ones this ctrwatch would load: adopted as they run. */
static bool same_programs(const struct bpf_programs *progs, const struct pinned_set_info *have,
			  const struct pinned_set_info *want)
{
	return have->object_hash == want->object_hash && have->trace_exec == want->trace_exec &&
	       !progs->new_exec_ring;
}

/* All the links this build would attach (a program the kernel cannot take has none). */
static bool links_pinned(struct ctrwatch_bpf *skel, const char *pin_path)
{
	char path[PATH_MAX];

	for (int i = 0; i < PIN_LINKS; i++) {
		if (!bpf_program__autoload(skel_traced(skel, i)))
			continue;
		if (pin_file(path, sizeof(path), pin_path, pinned_links[i]) || access(path, F_OK))
			return false;
	}
	return true;
}

/* A pinned map of exactly the shape our programs were built for (else -ESTALE). */
static int check_shape(const struct bpf_map *map, int fd)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) ||
	    info.max_entries != bpf_map__max_entries(map))
		return -ESTALE;
	return 0;
}

/*
 * Makes the skeleton use the pinned maps: records, tracked cgroups and counters carry on. With
 * a new ring buffer (the pinned one has another layout's records) all but the ring buffer.
 * Loss counters of another shape (a build that added a record type) are not shared: ours
 * start at zero and replace them.
 */
static int reuse_maps(struct bpf_programs *progs, const char *pin_path)
{
	struct ctrwatch_bpf *skel = progs->skel;
	char path[PATH_MAX];
	int fd, err;

	for (int i = progs->new_ring ? 1 : 0; i < PIN_MAPS; i++) {
		err = pin_file(path, sizeof(path), pin_path, pinned_maps[i]);
		if (err)
			return err;
		fd = bpf_obj_get(path);
		if (fd < 0 && errno == ENOENT && i == PIN_MAP_EXEC) {
			progs->new_exec_ring = true; /* pinned by a build before the exec one */
			continue;
		}
		if (fd < 0 && errno == ENOENT && i == PIN_MAP_GATE) {
			progs->new_gate = true; /* pinned by a build before the gate */
			continue;
		}
		if (i >= PIN_MAP_QUOTA_FIRST && (progs->new_quota || (fd < 0 && errno == ENOENT))) {
			/* pinned by a build before the quotas: what it tracks is charged to nobody
			 */
			if (fd >= 0)
				close(fd);
			progs->new_quota = true;
			continue;
		}
		if (fd < 0)
			return -errno;
		err = check_shape(skel_map(skel, i), fd);
		if (err == -ESTALE && i == PIN_MAP_EXEC) {
			progs->new_exec_ring = true; /* another size: ours replaces it */
			if (progs->old_exec_fd < 0)
				progs->old_exec_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
			err = 0;
		} else if (err == -ESTALE && i == PIN_MAP_LOST) {
			log_info("the pinned loss counters count other record types: ours start "
				 "at zero");
			progs->fresh_lost = true;
			err = 0;
		} else if (!err) {
			err = bpf_map__reuse_fd(skel_map(skel, i), fd);
		}
		close(fd);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The older programs' ring buffer, kept for draining: the one already pinned to drain, else
 * the set's own (of the older layout), which is pinned again under the draining name so that
 * it outlives its "events" pin, which our ring buffer takes.
 */
static int open_draining(struct bpf_programs *progs, const char *pin_path, uint32_t layout,
			 bool pinned_to_drain)
{
	char path[PATH_MAX];
	int err;

	err = pinned_to_drain ? pin_draining(path, sizeof(path), pin_path, layout)
			      : pin_file(path, sizeof(path), pin_path, "events");
	if (err)
		return err;
	progs->draining_fd = bpf_obj_get(path);
	if (progs->draining_fd < 0)
		return -errno;
	progs->draining_layout = layout;
	if (pinned_to_drain)
		return 0;
	err = pin_draining(path, sizeof(path), pin_path, layout);
	if (!err && bpf_obj_pin(progs->draining_fd, path) && errno != EEXIST)
		err = -errno;
	return err;
}

/* Adopting: no tracing program is loaded; the pinned ones keep running. */
static void load_no_tracing(struct ctrwatch_bpf *skel)
{
	for (int i = 0; i < PIN_LINKS; i++)
		bpf_program__set_autoload(skel_traced(skel, i), false);
}

/*
 * Our freshly attached links in place of whatever is pinned (the maps are pinned or ours), then
 * the info map, written last, as the seal. Taking over, each old link goes as its pin is
 * replaced (the pin was its last reference): until then both programs run, and the shared
 * tracking map keeps them from reporting a start, exit or remove twice.
 */
static int pin_maps(struct ctrwatch_bpf *skel, const char *pin_path, int first, int last)
{
	char path[PATH_MAX];
	int err;

	for (int i = first; i <= last; i++) {
		err = pin_file(path, sizeof(path), pin_path, pinned_maps[i]);
		if (err)
			return err;
		if (unlink(path) && errno != ENOENT)
			return -errno;
		err = bpf_map__pin(skel_map(skel, i), path);
		if (err)
			return err;
	}
	return 0;
}

/* The id of the program the link pinned at path runs, or 0. */
static uint32_t pinned_link_prog(const char *path)
{
	struct bpf_link_info info = {};
	uint32_t len = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.prog_id = 0;
	close(fd);
	return info.prog_id;
}

/*
 * Our links in place of the pinned ones. An old link whose pin went is not detached then: the
 * kernel drops the pin's reference after an RCU grace period and detaches from a work queue, so
 * the old programs run on a while (ms) and write their ring buffer. Their ids are kept: the
 * buffer they write is not done with until they are gone (bpf_programs_taken_over_gone).
 */
static int pin_links(struct bpf_programs *progs, const char *pin_path)
{
	struct ctrwatch_bpf *skel = progs->skel;
	uint32_t *old = progs->old_progs;
	char path[PATH_MAX];
	int err;

	for (int i = 0; i < PIN_LINKS; i++) {
		if (!*skel_link(skel, i))
			continue; /* a program the kernel cannot take */
		err = pin_file(path, sizeof(path), pin_path, pinned_links[i]);
		if (err)
			return err;
		old[i] = progs->taking_over ? pinned_link_prog(path) : 0;
		if (unlink(path) && errno != ENOENT)
			return -errno;
		err = bpf_link__pin(*skel_link(skel, i), path);
		if (err)
			return err;
	}
	return 0;
}

static int pin_seal(const char *pin_path, const struct pinned_set_info *info)
{
	char path[PATH_MAX];
	uint32_t zero = 0;
	int fd, err;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ctrwatch_info", sizeof(zero), sizeof(*info), 1,
			    NULL);
	if (fd < 0)
		return -errno;
	err = pin_file(path, sizeof(path), pin_path, "info");
	if (!err && bpf_map_update_elem(fd, &zero, info, 0))
		err = -errno;
	if (!err && unlink(path) && errno != ENOENT)
		err = -errno;
	if (!err && bpf_obj_pin(fd, path))
		err = -errno;
	close(fd);
	return err;
}

/*
 * Our links, maps and seal at the pin path. A new set: maps, links, then the seal. Taking over
 * programs of the same layout: links, then the seal (a crash between them leaves the old seal,
 * so the next start takes over again). Taking over from another layout: our ring buffer in
 * place of theirs (kept pinned to drain), the seal, then the links: a crash after the seal
 * leaves the draining pin, and that makes the next start take over the links again.
 */
static int pin_new(struct bpf_programs *progs, const char *pin_path,
		   const struct pinned_set_info *info)
{
	struct ctrwatch_bpf *skel = progs->skel;
	int err;

	if (!progs->adopted)
		err = pin_maps(skel, pin_path, 0, PIN_MAPS - 1);
	else if (progs->new_ring)
		err = pin_maps(skel, pin_path, 0, 0);
	else
		err = 0;
	if (!err && progs->adopted && progs->new_exec_ring)
		err = pin_maps(skel, pin_path, PIN_MAP_EXEC, PIN_MAP_EXEC);
	if (!err && progs->fresh_lost)
		err = pin_maps(skel, pin_path, PIN_MAP_LOST, PIN_MAP_LOST);
	if (!err && progs->adopted && progs->new_gate)
		err = pin_maps(skel, pin_path, PIN_MAP_GATE, PIN_MAP_GATE);
	if (!err && progs->adopted && progs->new_quota)
		err = pin_maps(skel, pin_path, PIN_MAP_QUOTA_FIRST, PIN_MAP_QUOTA_LAST);
	if (!err && progs->new_ring)
		err = pin_seal(pin_path, info);
	if (!err)
		err = pin_links(progs, pin_path);
	if (!err && !progs->new_ring)
		err = pin_seal(pin_path, info);
	return err;
}

static void log_pin_error(const char *pin_path, int err, const char *mismatch)
{
	if (pin_dir_log_error(pin_path, err))
		return;
	switch (err) {
	case -EINTR: log_info("stopped while waiting for %s", pin_path); break;
	case -ESTALE:
		log_error("the maps pinned at %s were made with %s: start with the same "
			  "options, or remove them with ctrwatch --cleanup (containers that start "
			  "until the next start are not seen)",
			  pin_path, mismatch);
		break;
	default: log_error("cannot use the pin path %s: %s", pin_path, strerror(-err));
	}
}

static const char *takeover_reason(const struct bpf_programs *progs,
				   const struct pinned_set_info *have,
				   const struct pinned_set_info *want)
{
	if (progs->new_ring && have->layout != want->layout)
		return "another record layout: its records are drained first";
	if (progs->new_ring)
		return "another ring buffer size: its records are drained first";
	if (progs->draining_fd >= 0)
		return "a takeover from another record layout was not finished";
	if (have->object_hash != want->object_hash)
		return "another build";
	if (progs->new_exec_ring && have->trace_exec == want->trace_exec)
		return "another exec ring buffer size: its unread records are counted lost";
	return have->trace_exec != want->trace_exec ? "--exec changed" : "links missing";
}

/*
 * What to take over: the pinned maps (all of them, or all but the ring buffer when its records
 * are of another layout) and, when it is another layout's or one is left to drain, the ring
 * buffer to drain first.
 */
static int take_pinned_maps(struct bpf_programs *progs, const char *pin_path,
			    const struct pinned_set_info *have, const struct pinned_set_info *want,
			    const char **mismatch)
{
	uint32_t left_layout;
	bool left = find_draining(pin_path, &left_layout) == 0;
	int err;

	if (left && !records_upgrade_supported(left_layout)) {
		*mismatch = "a ring buffer to drain of a record layout this build cannot read";
		return -ESTALE;
	}
	/* another layout or another size: ours is a new ring buffer, theirs is drained first */
	progs->new_ring = have->layout != want->layout || have->ringbuf_size != want->ringbuf_size;
	if (left && progs->new_ring && left_layout != have->layout) {
		*mismatch = "two older record layouts, one still to drain (start the build of the "
			    "newer one first)";
		return -ESTALE;
	}
	err = reuse_maps(progs, pin_path);
	if (err) {
		*mismatch = err == -ESTALE ? "maps of another shape" : "a set that is incomplete";
		return -ESTALE;
	}
	/*
	 * A draining pin of the set's own layout: a takeover was cut short before its seal, and
	 * "events" is a ring buffer it had begun to fill; what the set's layout has is there.
	 */
	if (left)
		err = open_draining(progs, pin_path, left_layout, true);
	else if (progs->new_ring)
		err = open_draining(progs, pin_path, have->layout, false);
	if (err) {
		log_debug("keeping the ring buffer to drain: %s", strerror(-err));
		*mismatch = "a ring buffer that cannot be kept to drain";
	}
	return err ? -ESTALE : 0;
}

/* With a pin path: adopt what is pinned there, or say why not. */
static int open_pinned(struct bpf_programs *progs, const struct bpf_programs_config *cfg,
		       const struct pinned_set_info *want)
{
	struct pinned_set_info have;
	const char *mismatch = NULL;
	int err;

	progs->pin_dir_fd = pin_dir_lock_waiting(cfg->pin_path, cfg->wait_for_reader_ms);
	if (progs->pin_dir_fd < 0) {
		err = progs->pin_dir_fd;
		goto fail;
	}
	err = read_info(cfg->pin_path, &have);
	if (err == -ENOENT) {
		unpin_all(cfg->pin_path); /* leftovers of a set never sealed */
		return 0;
	}
	if (err)
		goto fail;
	mismatch = shape_mismatch(&have, want);
	if (mismatch) {
		err = -ESTALE;
		goto fail;
	}
	err = take_pinned_maps(progs, cfg->pin_path, &have, want, &mismatch);
	if (err)
		goto fail;
	progs->adopted = true;
	if (same_programs(progs, &have, want) && links_pinned(progs->skel, cfg->pin_path) &&
	    progs->draining_fd < 0) {
		load_no_tracing(progs->skel);
		return 0;
	}
	/* other programs (a new build, --exec changed, another layout) or lost links: ours */
	progs->taking_over = true;
	log_info("taking over from the programs pinned at %s (%s)", cfg->pin_path,
		 takeover_reason(progs, &have, want));
	return 0;
fail:
	log_pin_error(cfg->pin_path, err, mismatch);
	return err;
}

static const char v1_freezer_unseen[] = "containers paused through cgroup v1's freezer are not "
					"reported (docs/events.md)";

/*
 * Loads the programs; when that fails with the cgroup v1 freezer's program in (the kernel may
 * have inlined the function, or configured it out), once more without it.
 */
/* The skeleton loaded, libbpf's copies of the kernel's BTF on heap room of huge pages. */
static int load_skeleton(struct ctrwatch_bpf *skel)
{
	int err;

	load_heap_reserve();
	err = ctrwatch_bpf__load(skel);
	load_heap_release();
	return err;
}

static int load_programs(struct bpf_programs *progs, const struct bpf_programs_config *cfg,
			 bool v1_freezer)
{
	int err = load_skeleton(progs->skel);

	if (!err || !v1_freezer)
		return err;
	log_warn("the programs did not load with the one for cgroup v1's freezer (%s), trying "
		 "without it: %s",
		 strerror(-err), v1_freezer_unseen);
	ctrwatch_bpf__destroy(progs->skel);
	err = open_skeleton(progs, cfg, false);
	if (!err && progs->adopted)
		err = reuse_maps(progs, cfg->pin_path);
	if (!err && progs->adopted && !progs->taking_over)
		load_no_tracing(progs->skel);
	return err ? err : load_skeleton(progs->skel);
}

/*
 * The kernel's own ENOTSUPP (not ENOTSUP), which strerror does not know: what attaching an
 * fentry program returns where the architecture has no BPF trampoline for kernel functions
 * (arm64 before 6.4, which lacked ftrace's direct calls, or built with kCFI).
 */
#define ENOTSUPP_KERNEL 524

/* Ours attached; the cgroup v1 freezer's on its own, where the kernel allows it. */
static int attach_programs(struct bpf_programs *progs)
{
	struct ctrwatch_bpf *skel = progs->skel;
	int err = ctrwatch_bpf__attach(skel);

	if (err || !bpf_program__autoload(skel->progs.freezer_apply_state))
		return err;
	skel->links.freezer_apply_state = bpf_program__attach(skel->progs.freezer_apply_state);
	if (!skel->links.freezer_apply_state)
		log_warn("cannot attach to cgroup v1's freezer (%s): %s",
			 errno == ENOTSUPP_KERNEL
			     ? "this kernel cannot attach fentry programs to its "
			       "functions: arm64 can from Linux 6.4, without kCFI"
			     : strerror(errno),
			 v1_freezer_unseen);
	return 0;
}

static int count_record(void *ctx, const void *record, size_t size, uint64_t pos)
{
	(void)record;
	(void)size;
	(void)pos;
	++*(uint64_t *)ctx;
	return 0;
}

/* Of a ring buffer (records of layout): bytes the kernel keeps for the next reader, and records. */
static int count_unread(int fd, uint32_t layout, uint64_t *bytes, uint64_t *records)
{
	struct ringbuf_reader *r = ringbuf_reader_open(fd, count_record, records);
	int err;

	if (!r)
		return -errno;
	ringbuf_reader_set_layout(r, layout);
	*bytes = ringbuf_reader_unreleased(r);
	*records = 0;
	err = ringbuf_reader_peek(r, count_record, records);
	ringbuf_reader_close(r);
	return err;
}

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
static void count_replaced_exec_ring(struct bpf_programs *progs)
{
	uint64_t bytes, unread;

	if (progs->old_exec_fd < 0)
		return;
	if (!count_unread(progs->old_exec_fd, RECORDS_LAYOUT_VERSION, &bytes, &unread) && unread) {
		log_warn("the pinned exec ring buffer (another size) held %llu records nobody "
			 "printed: counted as lost process_exec",
			 (unsigned long long)unread);
		add_lost(progs, RECORD_PROCESS_EXEC, unread);
	}
	close(progs->old_exec_fd);
	progs->old_exec_fd = -1;
}

static int write_quota(struct bpf_programs *progs, const struct bpf_programs_config *cfg)
{
	struct creator_quota_config quota = cfg->quota;
	int err;

	quota.max_cgroups = cfg->max_cgroups;
	err = creator_quota_write_limits(bpf_map__fd(progs->skel->maps.creator_quota), &quota);
	if (err)
		log_error("cannot write the quotas by creator: %s", strerror(-err));
	return err;
}

int bpf_programs_open(struct bpf_programs **out, const struct bpf_programs_config *cfg)
{
	struct pinned_set_info want = expected_info(cfg);
	struct bpf_programs *progs;
	bool v1_freezer;
	int err;

	progs = calloc(1, sizeof(*progs));
	if (!progs)
		return -ENOMEM;
	progs->pin_dir_fd = -1;
	progs->draining_fd = -1;
	progs->old_exec_fd = -1;
	progs->trace_exec = cfg->trace_exec;
	progs->pin_path = cfg->pin_path;
	progs->ncpus = libbpf_num_possible_cpus();
	if (progs->ncpus < 0) {
		err = progs->ncpus;
		log_error("cannot count the possible CPUs: %s", strerror(-err));
		goto out_free;
	}
	/*
	 * cgroup v1's freezer is seen through fentry on a static function: only where a v1 freezer
	 * hierarchy is mounted and the kernel allows fentry. A runtime that freezes through
	 * cgroup2 is seen by the tracepoints either way.
	 */
	v1_freezer = cfg->v1_freezer_mounted && kernel_allows_fentry();
	err = open_skeleton(progs, cfg, v1_freezer);
	if (err)
		goto out_destroy;
	if (cfg->pin_path) {
		err = open_pinned(progs, cfg, &want); /* says why not */
		if (err)
			goto out_destroy;
	}
	err = load_programs(progs, cfg, v1_freezer);
	/* before our programs run, and into the pinned set's map when it is adopted */
	if (!err)
		err = write_quota(progs, cfg);
	if (!err && (!progs->adopted || progs->taking_over))
		err = attach_programs(progs);
	if (err) {
		log_error("cannot load or attach the BPF programs: %s%s", strerror(-err),
			  log_verbose() ? "" : " (run with -v for libbpf's log)");
		goto out_destroy;
	}
	if (cfg->v1_freezer_mounted && !v1_freezer) /* said once running: errors stay one line */
		log_warn("this kernel does not let ctrwatch trace cgroup v1's freezer: %s",
			 v1_freezer_unseen);
	err = readmit_gate_open(&progs->gate, bpf_map__fd(progs->skel->maps.readmit_gate),
				clock_boottime_ns());
	if (err) {
		log_error("cannot read the readmission gate: %s", strerror(-err));
		goto out_destroy;
	}
	if (progs->adopted && !progs->taking_over) {
		*out = progs;
		return 0;
	}
	if (cfg->pin_path) {
		err = pin_new(progs, cfg->pin_path, &want);
		if (err) {
			log_error("cannot pin the programs at %s: %s", cfg->pin_path,
				  strerror(-err));
			if (!progs->adopted)
				unpin_all(cfg->pin_path);
			goto out_destroy;
		}
		count_replaced_exec_ring(progs); /* its programs are detached now */
	}
	*out = progs;
	return 0;
out_destroy:
	ctrwatch_bpf__destroy(progs->skel);
out_free:
	if (progs->old_exec_fd >= 0)
		close(progs->old_exec_fd);
	if (progs->draining_fd >= 0)
		close(progs->draining_fd);
	if (progs->pin_dir_fd >= 0)
		close(progs->pin_dir_fd);
	free(progs);
	return err;
}

int bpf_programs_draining_ringbuf_fd(const struct bpf_programs *progs, uint32_t *layout)
{
	if (progs->draining_fd < 0)
		return -ENOENT;
	*layout = progs->draining_layout;
	return progs->draining_fd;
}

int bpf_programs_drained(struct bpf_programs *progs)
{
	char path[PATH_MAX];
	int err;

	if (progs->draining_fd < 0)
		return 0;
	err = pin_draining(path, sizeof(path), progs->pin_path, progs->draining_layout);
	if (!err && unlink(path) && errno != ENOENT)
		err = -errno;
	close(progs->draining_fd);
	progs->draining_fd = -1;
	return err;
}

bool bpf_programs_taken_over_gone(struct bpf_programs *progs)
{
	for (int i = 0; i < PIN_LINKS; i++) {
		int fd;

		if (!progs->old_progs[i])
			continue;
		fd = bpf_prog_get_fd_by_id(progs->old_progs[i]);
		if (fd >= 0) {
			close(fd);
			return false;
		}
		progs->old_progs[i] = 0; /* gone (or never ours to see: ENOENT either way) */
	}
	return true;
}

bool bpf_programs_adopted(const struct bpf_programs *progs)
{
	return progs->adopted;
}

int bpf_programs_take_seq(struct bpf_programs *progs, uint64_t *seq)
{
	struct take_seq_args args = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args, .ctx_size_in = sizeof(args),
		    .ctx_out = &args, .ctx_size_out = sizeof(args));

	if (bpf_prog_test_run_opts(bpf_program__fd(progs->skel->progs.take_seq), &opts))
		return -errno;
	*seq = args.seq;
	return 0;
}

int bpf_programs_cleanup(const char *pin_path)
{
	struct pinned_set_info info;
	int fd = pin_dir_lock(pin_path, false);

	if (fd == -ENOENT) {
		log_info("nothing is pinned at %s", pin_path);
		return 0;
	}
	if (fd < 0) {
		log_pin_error(pin_path, fd, NULL);
		return fd;
	}
	if (read_info(pin_path, &info) == -ENOENT)
		log_info("nothing was pinned at %s", pin_path);
	unpin_all(pin_path); /* the links' last references: the programs are detached */
	close(fd);
	if (rmdir(pin_path) && errno != ENOENT) {
		log_error("cannot remove %s: %s", pin_path, strerror(errno));
		return -errno;
	}
	log_info("removed the programs and maps pinned at %s", pin_path);
	return 0;
}

int bpf_programs_ringbuf_fd(const struct bpf_programs *progs)
{
	return bpf_map__fd(progs->skel->maps.events);
}

int bpf_programs_exec_ringbuf_fd(const struct bpf_programs *progs)
{
	return progs->trace_exec ? bpf_map__fd(progs->skel->maps.exec_events) : -ENOENT;
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

void bpf_programs_close(struct bpf_programs *progs)
{
	if (!progs)
		return;
	ctrwatch_bpf__destroy(progs->skel); /* pinned links and maps stay */
	if (progs->old_exec_fd >= 0)
		close(progs->old_exec_fd);
	if (progs->draining_fd >= 0)
		close(progs->draining_fd);
	if (progs->pin_dir_fd >= 0)
		close(progs->pin_dir_fd);
	free(progs);
}

/* Of the ring buffer pinned at path: bytes the kernel keeps for the next reader, and records. */
static int unread_in(const char *path, uint32_t layout, uint64_t *bytes, uint64_t *records)
{
	int fd = bpf_obj_get(path), err;

	if (fd < 0)
		return -errno;
	err = count_unread(fd, layout, bytes, records);
	close(fd);
	return err;
}

/* "<what>: <time>" of a pin's birth (bpffs sets it as the pin is made); nothing if unknown. */
static void print_pin_time(FILE *f, const char *pin_path, const char *name, const char *what)
{
	char path[PATH_MAX], when[64];
	struct stat st;
	struct tm tm;

	if (pin_file(path, sizeof(path), pin_path, name) || stat(path, &st) ||
	    !gmtime_r(&st.st_mtime, &tm) || !strftime(when, sizeof(when), "%FT%TZ", &tm))
		return;
	fprintf(f, "%s: %s\n", what, when);
}

static void print_unread(FILE *f, const char *pin_path, uint32_t events_layout)
{
	uint64_t bytes, records;
	char path[PATH_MAX];
	uint32_t layout;

	if (!pin_file(path, sizeof(path), pin_path, "events") &&
	    !unread_in(path, events_layout, &bytes, &records))
		fprintf(f,
			"unread: %llu bytes of records in the lifecycle ring buffer (%llu "
			"records)\n",
			(unsigned long long)bytes, (unsigned long long)records);
	if (!pin_file(path, sizeof(path), pin_path, "exec_events") &&
	    !unread_in(path, events_layout, &bytes, &records) && bytes)
		fprintf(f, "unread: %llu bytes of records in the exec ring buffer (%llu records)\n",
			(unsigned long long)bytes, (unsigned long long)records);
	if (find_draining(pin_path, &layout) || pin_draining(path, sizeof(path), pin_path, layout))
		return;
	if (!unread_in(path, layout, &bytes, &records))
		fprintf(
		    f,
		    "draining: %llu bytes (%llu records) of record layout %u, from the programs "
		    "taken over\n",
		    (unsigned long long)bytes, (unsigned long long)records, layout);
	else
		fprintf(f, "draining: a ring buffer of record layout %u\n", layout);
}

int bpf_programs_status(const char *pin_path, FILE *f)
{
	struct pinned_set_info info;
	int err = read_info(pin_path, &info), fd;

	if (err == -ENOENT) {
		fprintf(f, "pinned: nothing at %s\n", pin_path);
		return 0;
	}
	if (err) {
		fprintf(f, "pinned: cannot read %s: %s\n", pin_path, strerror(-err));
		return err;
	}
	fprintf(f,
		"pinned: %s: programs %016llx%s, record layout %u, lifecycle ring buffer %llu "
		"bytes, %u cgroups, %s%s\n",
		pin_path, (unsigned long long)info.object_hash,
		info.object_hash == object_hash() ? " (this build)" : " (another build)",
		info.layout, (unsigned long long)info.ringbuf_size, info.max_cgroups,
		info.cgroup_v1 ? "cgroup v1 cpuset" : "cgroup2", info.trace_exec ? ", --exec" : "");
	print_pin_time(f, pin_path, "record_seq", "recording since");
	print_pin_time(f, pin_path, "info", "these programs since");
	fd = pin_dir_lock(pin_path, false);
	if (fd == -EBUSY)
		fprintf(f, "reader: a ctrwatch is reading them\n");
	else
		fprintf(f, "reader: none: the programs keep recording, and the records wait\n");
	if (fd >= 0)
		close(fd);
	print_unread(f, pin_path, info.layout);
	return 0;
}
