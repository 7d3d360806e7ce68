// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Adopting a pinned set (its maps, and its programs when they are ours) or taking it over (our
 * programs in place of another build's), and the older ring buffer drained meanwhile.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "kernel/bpf_programs.h"
#include "kernel/programs_internal.h"
#include "kernel/pin_dir.h"
#include "kernel/records_upgrade.h"

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

	err = pinned_to_drain ? pinned_set_draining_path(path, sizeof(path), pin_path, layout)
			      : pinned_set_path(path, sizeof(path), pin_path, "events");
	if (err)
		return err;
	progs->draining_fd = bpf_obj_get(path);
	if (progs->draining_fd < 0)
		return -errno;
	progs->draining_layout = layout;
	if (pinned_to_drain)
		return 0;
	err = pinned_set_draining_path(path, sizeof(path), pin_path, layout);
	if (!err && bpf_obj_pin(progs->draining_fd, path) && errno != EEXIST)
		err = -errno;
	return err;
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
	bool left = pinned_set_find_draining(pin_path, &left_layout) == 0;
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
	err = pinned_set_reuse_maps(progs, pin_path);
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
int takeover_open_pinned(struct bpf_programs *progs, const struct bpf_programs_config *cfg,
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
	err = pinned_set_read_info(cfg->pin_path, &have);
	if (err == -ENOENT) {
		pinned_set_unpin_all(cfg->pin_path); /* leftovers of a set never sealed */
		return 0;
	}
	if (err)
		goto fail;
	mismatch = pinned_set_shape_mismatch(&have, want);
	if (mismatch) {
		err = -ESTALE;
		goto fail;
	}
	err = take_pinned_maps(progs, cfg->pin_path, &have, want, &mismatch);
	if (err)
		goto fail;
	progs->adopted = true;
	if (pinned_set_same_programs(progs, &have, want) &&
	    pinned_set_links_pinned(progs->skel, cfg->pin_path) && progs->draining_fd < 0) {
		programs_load_no_tracing(progs->skel);
		return 0;
	}
	/* other programs (a new build, --exec changed, another layout) or lost links: ours */
	progs->taking_over = true;
	log_info("taking over from the programs pinned at %s (%s)", cfg->pin_path,
		 takeover_reason(progs, &have, want));
	return 0;
fail:
	pinned_set_log_error(cfg->pin_path, err, mismatch);
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
	err = pinned_set_draining_path(path, sizeof(path), progs->pin_path, progs->draining_layout);
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
