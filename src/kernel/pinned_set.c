// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The pinned set under the pin path: its file names, its info (what it was made with) and its
 * seal, the shape checks before its maps are used, pinning a new set and unpinning one
 * (--cleanup). The pin directory's lock is pin_dir.c's.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "ctrwatch.skel.h"
#include "kernel/bpf_programs.h"
#include "kernel/programs_internal.h"
#include "kernel/pin_dir.h"
#include "kernel/creator_quota.h"
#include "kernel/readmit_gate.h"
#include "kernel/records_upgrade.h"

/* The pinned maps and links, by file name under the pin path; "info" goes last, as a seal. */
const char *const pinned_maps[PIN_MAPS] = {"events",	    "tracked_cgroups",	"lost_records",
					   "record_seq",    "exec_events",	"readmit_gate",
					   "cgroup_charge", "creator_accounts", "creator_quota"};
const char *const pinned_links[PIN_LINKS] = {"link_cgroup_mkdir",	"link_cgroup_rmdir",
					     "link_sched_process_exec", "link_sched_process_exit",
					     "link_cgroup_freeze",	"link_cgroup_unfreeze",
					     "link_freezer_apply_state"};

int pinned_set_path(char *buf, size_t size, const char *dir, const char *name)
{
	return snprintf(buf, size, "%s/%s", dir, name) >= (int)size ? -ENAMETOOLONG : 0;
}

/* Reads the pinned set's info: -ENOENT when there is none. */
int pinned_set_read_info(const char *pin_path, struct pinned_set_info *info)
{
	char path[PATH_MAX];
	uint32_t zero = 0;
	int fd, err;

	err = pinned_set_path(path, sizeof(path), pin_path, "info");
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = bpf_map_lookup_elem(fd, &zero, info) ? -errno : 0;
	close(fd);
	return err;
}

int pinned_set_draining_path(char *buf, size_t size, const char *dir, uint32_t layout)
{
	return snprintf(buf, size, "%s/" DRAINING_PREFIX "%u", dir, layout) >= (int)size
		   ? -ENAMETOOLONG
		   : 0;
}

/* The layout of a ring buffer left to drain (a takeover from older programs), or -ENOENT. */
int pinned_set_find_draining(const char *pin_path, uint32_t *layout)
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
void pinned_set_unpin_all(const char *pin_path)
{
	char path[PATH_MAX];
	uint32_t layout;

	if (!pinned_set_path(path, sizeof(path), pin_path, "info"))
		unlink(path);
	for (int i = 0; i < PIN_LINKS; i++)
		if (!pinned_set_path(path, sizeof(path), pin_path, pinned_links[i]))
			unlink(path);
	for (int i = 0; i < PIN_MAPS; i++)
		if (!pinned_set_path(path, sizeof(path), pin_path, pinned_maps[i]))
			unlink(path);
	if (pinned_set_find_draining(pin_path, &layout) == 0 &&
	    !pinned_set_draining_path(path, sizeof(path), pin_path, layout))
		unlink(path);
}

/* What keeps this ctrwatch from sharing the pinned maps at all, or NULL. */
const char *pinned_set_shape_mismatch(const struct pinned_set_info *have,
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
bool pinned_set_same_programs(const struct bpf_programs *progs, const struct pinned_set_info *have,
			      const struct pinned_set_info *want)
{
	return have->object_hash == want->object_hash && have->trace_exec == want->trace_exec &&
	       !progs->new_exec_ring;
}

/* All the links this build would attach (a program the kernel cannot take has none). */
bool pinned_set_links_pinned(struct ctrwatch_bpf *skel, const char *pin_path)
{
	char path[PATH_MAX];

	for (int i = 0; i < PIN_LINKS; i++) {
		if (!bpf_program__autoload(programs_skel_traced(skel, i)))
			continue;
		if (pinned_set_path(path, sizeof(path), pin_path, pinned_links[i]) ||
		    access(path, F_OK))
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
int pinned_set_reuse_maps(struct bpf_programs *progs, const char *pin_path)
{
	struct ctrwatch_bpf *skel = progs->skel;
	char path[PATH_MAX];
	int fd, err;

	for (int i = progs->new_ring ? 1 : 0; i < PIN_MAPS; i++) {
		err = pinned_set_path(path, sizeof(path), pin_path, pinned_maps[i]);
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
		err = check_shape(programs_skel_map(skel, i), fd);
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
			err = bpf_map__reuse_fd(programs_skel_map(skel, i), fd);
		}
		close(fd);
		if (err)
			return err;
	}
	return 0;
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
		err = pinned_set_path(path, sizeof(path), pin_path, pinned_maps[i]);
		if (err)
			return err;
		if (unlink(path) && errno != ENOENT)
			return -errno;
		err = bpf_map__pin(programs_skel_map(skel, i), path);
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
		if (!*programs_skel_link(skel, i))
			continue; /* a program the kernel cannot take */
		err = pinned_set_path(path, sizeof(path), pin_path, pinned_links[i]);
		if (err)
			return err;
		old[i] = progs->taking_over ? pinned_link_prog(path) : 0;
		if (unlink(path) && errno != ENOENT)
			return -errno;
		err = bpf_link__pin(*programs_skel_link(skel, i), path);
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
	err = pinned_set_path(path, sizeof(path), pin_path, "info");
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
int pinned_set_pin_new(struct bpf_programs *progs, const char *pin_path,
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

void pinned_set_log_error(const char *pin_path, int err, const char *mismatch)
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

int bpf_programs_cleanup(const char *pin_path)
{
	struct pinned_set_info info;
	int fd = pin_dir_lock(pin_path, false);

	if (fd == -ENOENT) {
		log_info("nothing is pinned at %s", pin_path);
		return 0;
	}
	if (fd < 0) {
		pinned_set_log_error(pin_path, fd, NULL);
		return fd;
	}
	if (pinned_set_read_info(pin_path, &info) == -ENOENT)
		log_info("nothing was pinned at %s", pin_path);
	pinned_set_unpin_all(pin_path); /* the links' last references: the programs are detached */
	close(fd);
	if (rmdir(pin_path) && errno != ENOENT) {
		log_error("cannot remove %s: %s", pin_path, strerror(errno));
		return -errno;
	}
	log_info("removed the programs and maps pinned at %s", pin_path);
	return 0;
}
