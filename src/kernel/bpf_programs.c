// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loading and attaching the kernel programs: the skeleton, configured, loaded (on a pinned set's
 * maps when one is adopted: takeover.c), attached, pinned (pinned_set.c); and closing it all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/clock.h"
#include "common/log.h"
#include "ctrwatch.skel.h"
#include "kernel/bpf_programs.h"
#include "kernel/programs_internal.h"
#include "kernel/load_heap.h"
#include "kernel/pin_dir.h"
#include "kernel/creator_quota.h"
#include "kernel/readmit_gate.h"

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

struct bpf_map *programs_skel_map(struct ctrwatch_bpf *skel, int i)
{
	struct bpf_map *maps[PIN_MAPS] = {
	    skel->maps.events,	      skel->maps.tracked_cgroups,  skel->maps.lost_records,
	    skel->maps.record_seq,    skel->maps.exec_events,	   skel->maps.readmit_gate,
	    skel->maps.cgroup_charge, skel->maps.creator_accounts, skel->maps.creator_quota};
	return maps[i];
}

struct bpf_program *programs_skel_traced(struct ctrwatch_bpf *skel, int i)
{
	struct bpf_program *progs[PIN_LINKS] = {
	    skel->progs.cgroup_mkdir,	    skel->progs.cgroup_rmdir,
	    skel->progs.sched_process_exec, skel->progs.sched_process_exit,
	    skel->progs.cgroup_freeze,	    skel->progs.cgroup_unfreeze,
	    skel->progs.freezer_apply_state};
	return progs[i];
}

struct bpf_link **programs_skel_link(struct ctrwatch_bpf *skel, int i)
{
	struct bpf_link **links[PIN_LINKS] = {
	    &skel->links.cgroup_mkdir,	     &skel->links.cgroup_rmdir,
	    &skel->links.sched_process_exec, &skel->links.sched_process_exit,
	    &skel->links.cgroup_freeze,	     &skel->links.cgroup_unfreeze,
	    &skel->links.freezer_apply_state};
	return links[i];
}

/* FNV-1a of the BPF object the skeleton embeds: which programs a pinned set runs. */
uint64_t programs_object_hash(void)
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
	    .object_hash = programs_object_hash(),
	    .ringbuf_size = cfg->lifecycle_ringbuf_size,
	    .hierarchy_id = cfg->hierarchy_id,
	    .max_cgroups = cfg->max_cgroups,
	    .cgroup_v1 = cfg->cgroup_v1,
	    .trace_exec = cfg->trace_exec,
	};
}

/* Adopting: no tracing program is loaded; the pinned ones keep running. */
void programs_load_no_tracing(struct ctrwatch_bpf *skel)
{
	for (int i = 0; i < PIN_LINKS; i++)
		bpf_program__set_autoload(programs_skel_traced(skel, i), false);
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
		err = pinned_set_reuse_maps(progs, cfg->pin_path);
	if (!err && progs->adopted && !progs->taking_over)
		programs_load_no_tracing(progs->skel);
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
		err = takeover_open_pinned(progs, cfg, &want); /* says why not */
		if (err)
			goto out_destroy;
	}
	err = load_programs(progs, cfg, v1_freezer);
	/* before our programs run, and into the pinned set's map when it is adopted */
	if (!err)
		err = program_maps_write_quota(progs, cfg);
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
		err = pinned_set_pin_new(progs, cfg->pin_path, &want);
		if (err) {
			log_error("cannot pin the programs at %s: %s", cfg->pin_path,
				  strerror(-err));
			if (!progs->adopted)
				pinned_set_unpin_all(cfg->pin_path);
			goto out_destroy;
		}
		program_maps_count_replaced_exec_ring(progs); /* its programs are detached now */
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

int bpf_programs_ringbuf_fd(const struct bpf_programs *progs)
{
	return bpf_map__fd(progs->skel->maps.events);
}

int bpf_programs_exec_ringbuf_fd(const struct bpf_programs *progs)
{
	return progs->trace_exec ? bpf_map__fd(progs->skel->maps.exec_events) : -ENOENT;
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
