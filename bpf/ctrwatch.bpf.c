// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Container lifecycle in the kernel: a cgroup is born (mkdir), its entrypoint starts (exec), its
 * init process dies (exit) and the cgroup goes away (rmdir). Only cgroups in tracked_cgroups cost
 * more than one map lookup; userspace prunes the ones that are not containers.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "ctrwatch_records.h"

#define SIGNAL_GROUP_EXIT 0x00000004 /* include/linux/sched/signal.h, stable since 2.6 */
#define EEXIST		  17	     /* uapi errno; vmlinux.h has no macros */

/* Set by userspace between open and load. */
const volatile __u32 watched_hierarchy_id = 0;	     /* 0 is cgroup2 */
const volatile bool watch_cgroup_v1 = false;	     /* cgroup ids come from the cpuset hierarchy */
const volatile bool trace_exec = false;		     /* --exec */
const volatile __u64 exec_wakeup_bytes = 1 << 20;    /* wake the reader once this much is queued */
const volatile __u64 bulk_drop_bytes = 768 << 10;    /* past this, mkdir records are dropped */
const volatile __u64 readmit_drop_bytes = 896 << 10; /* past this, readmissions are refused */

/*
 * Lifecycle records (mkdir, start, exit, rmdir, pause, exec sessions): a handful per container,
 * and the ones that must never be lost. Exec records of --exec, the many, have a ring buffer of
 * their own: a flood of them cannot take a lifecycle record's room.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* resized by --lifecycle-ringbuf-size */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by --ringbuf-size; one page without --exec */
} exec_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TRACKED_CGROUPS_MAX); /* resized by --max-cgroups */
	__type(key, __u64);			  /* cgroup id */
	__type(value, struct tracked_cgroup);
} tracked_cgroups SEC(".maps");

/*
 * Processes that came into a container as an exec session: tgid → the cgroup id it came into.
 * A session's later programs in the same process are the session's, not new sessions: busybox's
 * `sh -c '...; prog'` execs its last command in place once runc exec has exited, and the shim,
 * outside the container, is its parent by then (as it is for `kubectl exec -- sh -c '...; exec
 * app'`). Removed when the process ends (its pid may come back as anything); LRU, so a flood of
 * sessions costs the oldest markers, never a session event.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);   /* tgid */
	__type(value, __u64); /* cgroup id */
} session_tasks SEC(".maps");

/* Failed ring buffer reservations per record type, and untracked cgroups (LOST_UNTRACKED). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LOST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} lost_records SEC(".maps");

/* Readmission's gate: see struct readmit_gate. Pinned: the programs outlive a ctrwatch. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, READMIT_GATE_KEYS);
	__type(key, __u32);
	__type(value, struct readmit_gate);
} readmit_gate SEC(".maps");

/*
 * Cgroups readmitted lately: cgroup id → when. A cgroup userspace found no container in is
 * not sent again before READMIT_CGROUP_INTERVAL_NS (a loop of `unshare` in one scope costs a
 * lookup per exec, not records). LRU: a flood of cgroups evicts the oldest, and is then bounded
 * by READMIT_RATE_MAX.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);   /* cgroup id */
	__type(value, __u64); /* bpf_ktime_get_boot_ns() of its readmission */
} readmitted_recently SEC(".maps");

/* Where a readmitted cgroup's path is put together: twice a path, for the verifier's bounds. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[2 * CGROUP_PATH_MAX]);
} path_scratch SEC(".maps");

/* Where a long mkdir path is read whole, to keep its end (RECORD_F_PATH_TAIL). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[CGROUP_PATH_TAIL_SCRATCH]);
} tail_scratch SEC(".maps");

/* The per-host record counter: a map, so that it is pinned and outlives a ctrwatch. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} record_seq SEC(".maps");

/* Who each charged cgroup is charged to (struct creator_key): held while it is tracked. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TRACKED_CGROUPS_MAX); /* resized with tracked_cgroups */
	__type(key, __u64);			  /* cgroup id */
	__type(value, struct creator_key);
} cgroup_charge SEC(".maps");

/*
 * Each creator's account. A container's goes with its cgroup; a user's stays (its rate's
 * state with it: a user cannot start afresh by letting its cgroups go). Full, a new creator is
 * refused and counted: creators are the node's containers and users, which nobody can multiply.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct creator_key);
	__type(value, struct creator_account);
} creator_accounts SEC(".maps");

/* The limits and the totals: see struct creator_quota. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CREATOR_QUOTA_KEYS);
	__type(key, __u32);
	__type(value, struct creator_quota);
} creator_quota SEC(".maps");

static __always_inline __u64 next_seq(void)
{
	__u32 zero = 0;
	__u64 *seq = bpf_map_lookup_elem(&record_seq, &zero);

	return seq ? __sync_fetch_and_add(seq, 1) + 1 : 0;
}

/* Numbered last, once nothing can discard the record: a seq never goes unused. */
static __always_inline void submit_record(void *r, struct record_header *h, __u64 flags)
{
	h->seq = next_seq();
	bpf_ringbuf_submit(r, flags);
}

static __always_inline void count_lost(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&lost_records, &slot);

	if (n)
		(*n)++; /* per-CPU slot: no other writer */
}

static __always_inline struct readmit_gate *gate_entry(__u32 key)
{
	return bpf_map_lookup_elem(&readmit_gate, &key);
}

/* A cgroup the kernel could not track at its mkdir: the gate opens until userspace ages it out. */
static __always_inline void gate_note_missed(void)
{
	struct readmit_gate *kernel = gate_entry(READMIT_GATE_KERNEL);

	if (kernel)
		__sync_fetch_and_add(&kernel->missed, 1);
}

/* Two inlined array lookups and three loads: what a host exec pays for readmission. */
static __always_inline bool readmission_open(void)
{
	struct readmit_gate *kernel = gate_entry(READMIT_GATE_KERNEL);
	struct readmit_gate *user = gate_entry(READMIT_GATE_USER);

	return kernel && user && (user->held_open || kernel->missed != user->missed_aged);
}

/* A record in the lifecycle ring buffer (events); a failure is counted. */
static __always_inline void *reserve_record(__u64 size, __u32 type)
{
	void *r = bpf_ringbuf_reserve(&events, size, 0);

	if (!r)
		count_lost(type);
	return r;
}

static __always_inline void fill_header(struct record_header *h, __u32 type, __u64 cgroup_id)
{
	h->type = type;
	h->flags = 0;
	h->timestamp_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = cgroup_id;
#ifdef RECORDS_LAYOUT_NEXT
	h->cpu = bpf_get_smp_processor_id();
	h->reserved = 0;
#endif
}

static __always_inline bool cgroup_is_watched(struct cgroup *cgrp)
{
	return BPF_CORE_READ(cgrp, root, hierarchy_id) == watched_hierarchy_id;
}

/*
 * The id of the task's cgroup in the watched hierarchy. Plain loads through the tracepoint's BTF
 * pointer, for every exec on the host: bpf_get_current_cgroup_id() or a chain of probe reads
 * cost a helper call each (measured: ~20 ns of a host exec's ~100).
 */
static __always_inline __u64 task_cgroup_id(struct task_struct *task)
{
	if (!watch_cgroup_v1)
		return task->cgroups->dfl_cgrp->kn->id;
	int cpuset = bpf_core_enum_value(enum cgroup_subsys_id, cpuset_cgrp_id);

	return task->cgroups->subsys[cpuset]->cgroup->kn->id;
}

/* The task's cgroup in the watched hierarchy. */
static __always_inline struct cgroup *task_cgroup(struct task_struct *task)
{
	if (!watch_cgroup_v1)
		return BPF_CORE_READ(task, cgroups, dfl_cgrp);
	int cpuset = bpf_core_enum_value(enum cgroup_subsys_id, cpuset_cgrp_id);

	return BPF_CORE_READ(task, cgroups, subsys[cpuset], cgroup);
}

/*
 * kernfs_node's parent: "parent" before Linux 6.15 renamed it "__parent" (now RCU-managed). Both
 * are named through flavours, not the header's own struct: each architecture's vmlinux.h comes
 * from another kernel (x86_64's from 6.18, arm64's from 6.1), and the build must not depend on
 * which side of the rename it is.
 */
struct kernfs_node___since_6_15 {
	struct kernfs_node *__parent;
} __attribute__((preserve_access_index));
struct kernfs_node___before_6_15 {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	struct kernfs_node___since_6_15 *now = (void *)kn;

	if (bpf_core_field_exists(now->__parent))
		return BPF_CORE_READ(now, __parent);
	return BPF_CORE_READ((struct kernfs_node___before_6_15 *)kn, parent);
}

/* The id of a cgroup's parent (its kernfs node's parent), 0 for a root. */
static __always_inline __u64 parent_cgroup_id(struct cgroup *cgrp)
{
	struct kernfs_node *kn = BPF_CORE_READ(cgrp, kn);
	struct kernfs_node *parent = kn_parent(kn);

	return parent ? BPF_CORE_READ(parent, id) : 0;
}

/*
 * A container's entrypoint is the first program run by a task that entered namespaces its parent
 * is not in: runc (and crun) first re-execute themselves inside the new cgroup while still in the
 * host's namespaces, with a parent in those same namespaces; the entrypoint then runs in the new
 * mount (and usually pid) namespace, with the shim, outside it, as its parent.
 */
static __always_inline bool entered_new_namespaces(struct task_struct *task)
{
	/*
	 * Plain loads through the tracepoint's BTF pointer (the verifier guards them), not
	 * bpf_probe_read calls: this runs for every exec on the host, and a helper call each would
	 * double its cost.
	 */
	struct task_struct *parent = task->real_parent;
	struct nsproxy *ns = task->nsproxy, *parent_ns = parent->nsproxy;

	/* A shared nsproxy is a shared mount namespace: the common case costs three loads. */
	if (ns != parent_ns) {
		unsigned int mnt = ns->mnt_ns->ns.inum, parent_mnt = parent_ns->mnt_ns->ns.inum;

		if (mnt && parent_mnt && mnt != parent_mnt)
			return true;
	}
	/* A child forked into a pid namespace its parent unshared shares the parent's nsproxy. */
	return task->thread_pid->level > parent->thread_pid->level;
}

/* A cgroup record's header, level and parent; its path is the caller's. */
static __always_inline void fill_cgroup_identity(struct record_cgroup *r, __u32 type, __u64 id,
						 struct cgroup *cgrp)
{
	fill_header(&r->hdr, type, id);
	r->level = BPF_CORE_READ(cgrp, level);
	r->parent_id = parent_cgroup_id(cgrp);
}

#define PATH_DEPTH_MAX 16

/*
 * The end of a path the tracepoint itself cut: it gives the first TRACE_CGROUP_PATH_LEN - 1
 * (1023) bytes of a longer one. The cgroup's last whole names, read from its kernfs nodes
 * (PATH_DEPTH_MAX of them at most), as many as fit a record, root-most first.
 */
static __always_inline void tail_from_kernfs(struct record_cgroup *r, struct cgroup *cgrp)
{
	struct kernfs_node *chain[PATH_DEPTH_MAX], *kn = BPF_CORE_READ(cgrp, kn), *parent;
	__u32 zero = 0, keep = 0, total = 0, off = 0;
	char *buf = bpf_map_lookup_elem(&path_scratch, &zero);
	long n;

	if (!buf)
		return;
#pragma unroll
	for (int i = 0; i < PATH_DEPTH_MAX; i++) {
		parent = kn_parent(kn);
		if (!parent)
			break; /* the root has no name in a path */
		n = bpf_probe_read_kernel_str(buf, CGROUP_PATH_MAX, BPF_CORE_READ(kn, name));
		/* "/name" takes n bytes (n counts the NUL) */
		if (n < 2 || total + n > CGROUP_PATH_MAX - 1)
			break;
		total += n;
		chain[i] = kn;
		keep++;
		kn = parent;
	}
	if (!keep)
		return;
#pragma unroll
	for (int i = PATH_DEPTH_MAX - 1; i >= 0; i--) {
		if (i >= keep)
			continue;
		if (off >= CGROUP_PATH_MAX - 1)
			return;
		barrier_var(off);
		buf[off & (CGROUP_PATH_MAX - 1)] = '/';
		off++;
		barrier_var(off);
		n = bpf_probe_read_kernel_str(&buf[off & (CGROUP_PATH_MAX - 1)], CGROUP_PATH_MAX,
					      BPF_CORE_READ(chain[i], name));
		if (n > 1)
			off += n - 1;
	}
	if (off >= CGROUP_PATH_MAX)
		return;
	if (bpf_probe_read_kernel(r->path, CGROUP_PATH_MAX, buf))
		return;
	barrier_var(off);
	r->path[off & (CGROUP_PATH_MAX - 1)] = '\0';
	r->path_len = off;
	r->hdr.flags |= RECORD_F_PATH_TAIL;
}

/*
 * A path too long for the record: its end is what names a container (a scope, a pod slice
 * and an id); the id of the cgroup at the engine's whole path proves the rest (enricher.c).
 * Read whole into the scratch buffer (up to CGROUP_PATH_TAIL_SCRATCH - 1 bytes), its last
 * CGROUP_PATH_MAX - 1 bytes go in the record. One the tracepoint cut has its end read from
 * kernfs (tail_from_kernfs).
 */
static __always_inline void keep_path_tail(struct record_cgroup *r, const char *path,
					   struct cgroup *cgrp)
{
	__u32 zero = 0;
	char *buf = bpf_map_lookup_elem(&tail_scratch, &zero);
	long len, start;

	if (!buf)
		return;
	len = bpf_probe_read_kernel_str(buf, CGROUP_PATH_TAIL_SCRATCH, path);
	if (len >= CGROUP_PATH_TAIL_SCRATCH) {
		tail_from_kernfs(r, cgrp);
		return;
	}
	if (len <= CGROUP_PATH_MAX)
		return;
	start = len - CGROUP_PATH_MAX; /* the last CGROUP_PATH_MAX bytes, its NUL included */
	if (start < 0 || start > CGROUP_PATH_TAIL_SCRATCH - CGROUP_PATH_MAX)
		return;
	if (bpf_probe_read_kernel(r->path, CGROUP_PATH_MAX, buf + start))
		return;
	r->path_len = CGROUP_PATH_MAX - 1;
	r->hdr.flags |= RECORD_F_PATH_TAIL;
}

/* A cgroup record with the path the tracepoint gives; the caller has reserved it. */
static __always_inline void fill_cgroup(struct record_cgroup *r, __u32 type, __u64 id,
					struct cgroup *cgrp, const char *path)
{
	long len;

	fill_cgroup_identity(r, type, id, cgrp);
	len = bpf_probe_read_kernel_str(r->path, sizeof(r->path), path);
	if (len < 1)
		len = 1;
	r->path_len = len - 1;
	/* A path of exactly CGROUP_PATH_MAX - 1 bytes is flagged too: the read cannot tell. */
	if (len >= CGROUP_PATH_MAX) {
		r->hdr.flags |= RECORD_F_TRUNCATED;
		keep_path_tail(r, path, cgrp);
	}
}

/*
 * The cgroup's path, as cgroup_mkdir's tracepoint gives it ("/a/b"), rebuilt from its kernfs
 * nodes: for a cgroup readmitted at its start, long after its mkdir. A path deeper than
 * PATH_DEPTH_MAX is sent empty, which userspace classifies as no container.
 */
static __always_inline void fill_path_of(char *path, __u32 *path_len, __u32 *flags,
					 struct cgroup *cgrp)
{
	struct kernfs_node *chain[PATH_DEPTH_MAX], *kn = BPF_CORE_READ(cgrp, kn), *parent;
	__u32 zero = 0, depth = 0, off = 0;
	char *buf = bpf_map_lookup_elem(&path_scratch, &zero);
	long n;

	*path_len = 0;
	path[0] = '\0';
	if (!buf)
		return;
#pragma unroll
	for (int i = 0; i < PATH_DEPTH_MAX; i++) {
		parent = kn_parent(kn);
		if (!parent)
			break;
		chain[i] = kn;
		depth++;
		kn = parent;
	}
	if (kn_parent(kn))
		return; /* deeper than we walk */
#pragma unroll
	for (int i = PATH_DEPTH_MAX - 1; i >= 0; i--) {
		if (i >= depth)
			continue;
		if (off >= CGROUP_PATH_MAX - 1) {
			*flags |= RECORD_F_TRUNCATED;
			break;
		}
		/* clang knows off < CGROUP_PATH_MAX here and would drop the masks the verifier
		 * needs */
		barrier_var(off);
		buf[off & (CGROUP_PATH_MAX - 1)] = '/';
		off++;
		barrier_var(off);
		n = bpf_probe_read_kernel_str(&buf[off & (CGROUP_PATH_MAX - 1)], CGROUP_PATH_MAX,
					      BPF_CORE_READ(chain[i], name));
		if (n > 1)
			off += n - 1;
	}
	if (off >= CGROUP_PATH_MAX - 1) {
		off = CGROUP_PATH_MAX - 1;
		*flags |= RECORD_F_TRUNCATED;
	}
	bpf_probe_read_kernel(path, CGROUP_PATH_MAX, buf);
	barrier_var(off);
	path[off & (CGROUP_PATH_MAX - 1)] = '\0';
	*path_len = off;
}

/*
 * Records a flood of cgroups makes (mkdir, and cgroup v1 freezes by path) never take the last
 * quarter of the lifecycle ring buffer: it stays for starts, exits and removes.
 */
static __always_inline bool bulk_room(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < bulk_drop_bytes;
}

/* Levels under the root looked at for the container a cgroup's maker runs in (1 to 16). */
#define CREATOR_LEVELS_MAX 16
#define USER_NS_DEPTH_MAX  32 /* the kernel's own limit on nested user namespaces */

/*
 * cgroup->ancestors[] (6.0 on) held the ancestors' ids before, as ancestor_ids[]: both indexed
 * by level, the cgroup itself at its own.
 */
struct cgroup___ancestor_ids {
	__u64 ancestor_ids[0];
} __attribute__((preserve_access_index));

static __always_inline __u64 ancestor_id(struct cgroup *cgrp, int level)
{
	struct cgroup *ancestor = NULL;
	__u64 id = 0;

	if (bpf_core_field_exists(cgrp->ancestors)) {
		bpf_core_read(&ancestor, sizeof(ancestor), &cgrp->ancestors[level]);
		return ancestor ? BPF_CORE_READ(ancestor, kn, id) : 0;
	}
	bpf_core_read(&id, sizeof(id),
		      &((struct cgroup___ancestor_ids *)cgrp)->ancestor_ids[level]);
	return id;
}

/*
 * The user a task acts for: the owner of the outermost user namespace it is in below the
 * host's (a rootless runtime's subuids are its user's), else its effective uid.
 */
static __always_inline __u32 user_of(struct task_struct *task)
{
	struct user_namespace *ns = BPF_CORE_READ(task, cred, user_ns);
	__u32 uid = BPF_CORE_READ(task, cred, euid.val), owner;

	for (int i = 0; i < USER_NS_DEPTH_MAX; i++) {
		if (!ns || BPF_CORE_READ(ns, level) <= 1)
			break;
		ns = BPF_CORE_READ(ns, parent);
	}
	if (!ns || BPF_CORE_READ(ns, level) != 1)
		return uid;
	owner = BPF_CORE_READ(ns, owner.val);
	return owner ? owner : uid;
}

/*
 * Who a task making (or readmitting) a cgroup is, for its quota: the outermost started
 * container among its cgroup's ancestors (a container's own cgroup is started once its
 * entrypoint ran: the runtime making it, or a sub-cgroup of it as crun does, is not in one),
 * else its user, else the host. Read top-down by level, so nesting deeper cannot hide it.
 */
static __always_inline void creator_of(struct task_struct *task, struct creator_key *key)
{
	struct cgroup *cgrp = task_cgroup(task);
	int level = BPF_CORE_READ(cgrp, level);
	struct tracked_cgroup *t;
	__u64 id;

	key->kind = CREATOR_HOST;
	key->uid = 0;
	key->cgroup_id = 0;
	for (int l = 1; l < 1 + CREATOR_LEVELS_MAX; l++) {
		if (l > level)
			break;
		id = ancestor_id(cgrp, l);
		t = bpf_map_lookup_elem(&tracked_cgroups, &id);
		if (t && t->state != TRACKED_PENDING) {
			key->kind = CREATOR_CONTAINER;
			key->cgroup_id = id;
			return;
		}
	}
	key->uid = user_of(task);
	if (key->uid)
		key->kind = CREATOR_USER;
}

static __always_inline struct creator_quota *quota_entry(__u32 key)
{
	return bpf_map_lookup_elem(&creator_quota, &key);
}

/*
 * One of a creator's tokens, refilled at the limits' rate up to their burst. Not atomic
 * across CPUs: a race lets a few more through, never many.
 */
static __always_inline bool take_token(struct creator_account *a,
				       const struct creator_quota *limits, __u64 now)
{
	__u64 per = limits->ns_per_record, add;

	if (!per)
		return true;
	if (now - a->filled_ns >= per) {
		add = (now - a->filled_ns) / per;
		if (a->tokens + add >= limits->burst) {
			a->tokens = limits->burst;
			a->filled_ns = now;
		} else {
			a->tokens += add;
			a->filled_ns += add * per;
		}
	}
	if (!a->tokens)
		return false;
	a->tokens--;
	return true;
}

static __always_inline struct creator_account *
account_of(const struct creator_key *key, const struct creator_quota *limits, __u64 now)
{
	struct creator_account fresh = {.tokens = limits->burst, .filled_ns = now};
	struct creator_account *a = bpf_map_lookup_elem(&creator_accounts, key);

	if (a)
		return a;
	bpf_map_update_elem(&creator_accounts, key, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&creator_accounts, key);
}

/*
 * One more on *count unless that would pass max (0: no max): whether it was added. Atomic:
 * racing CPUs may pass max for a moment, each giving back what it took.
 */
static __always_inline bool take_one(__u64 *count, __u64 max)
{
	if (__sync_fetch_and_add(count, 1) < max || !max)
		return true;
	__sync_fetch_and_add(count, -1);
	return false;
}

/*
 * Charges a cgroup about to be tracked to its creator: its rate, its quota, then all creators'
 * share. False, counted in the account and the totals, if the creator may not have it.
 */
static __always_inline bool charge_creator(const struct creator_key *key, __u64 now)
{
	struct creator_quota *limits = quota_entry(CREATOR_QUOTA_LIMITS);
	struct creator_quota *totals = quota_entry(CREATOR_QUOTA_TOTALS);
	struct creator_account *a;
	__u64 max;

	if (key->kind == CREATOR_HOST || !limits || !totals)
		return true;
	a = account_of(key, limits, now);
	if (!a) {
		__sync_fetch_and_add(&totals->refused_accounts, 1);
		return false;
	}
	if (!take_token(a, limits, now)) {
		__sync_fetch_and_add(&a->refused_rate, 1);
		__sync_fetch_and_add(&totals->refused_rate, 1);
		return false;
	}
	max = key->kind == CREATOR_CONTAINER ? limits->container_max : limits->user_max;
	if (!take_one(&a->held, max)) {
		__sync_fetch_and_add(&a->refused_quota, 1);
		__sync_fetch_and_add(&totals->refused_quota, 1);
		return false;
	}
	if (!take_one(&totals->charged, limits->charged_max)) {
		__sync_fetch_and_add(&a->held, -1);
		__sync_fetch_and_add(&a->refused_quota, 1);
		__sync_fetch_and_add(&totals->refused_share, 1);
		return false;
	}
	return true;
}

/* Gives back what charge_creator() took (the tokens stay spent). */
static __always_inline void uncharge_creator(const struct creator_key *key)
{
	struct creator_quota *totals = quota_entry(CREATOR_QUOTA_TOTALS);
	struct creator_account *a;

	if (key->kind == CREATOR_HOST)
		return;
	a = bpf_map_lookup_elem(&creator_accounts, key);
	if (a && a->held)
		__sync_fetch_and_add(&a->held, -1);
	if (totals && totals->charged)
		__sync_fetch_and_add(&totals->charged, -1);
}

/*
 * A charged cgroup no longer tracked (its rmdir, or userspace let it go): its creator's charge
 * given back, once: whoever deletes its cgroup_charge entry gives it.
 */
static __always_inline void refund_charge(__u64 id)
{
	struct creator_key *charged = bpf_map_lookup_elem(&cgroup_charge, &id), key;

	if (!charged)
		return;
	key = *charged;
	if (bpf_map_delete_elem(&cgroup_charge, &id))
		return;
	uncharge_creator(&key);
}

/*
 * The charge of a cgroup about to be tracked, kept by its id before it is tracked, so that
 * whoever lets it go finds it. False (the charge given back) if the id has one already.
 */
static __always_inline bool keep_charge(__u64 id, const struct creator_key *key)
{
	if (key->kind == CREATOR_HOST)
		return true;
	if (!bpf_map_update_elem(&cgroup_charge, &id, key, BPF_NOEXIST))
		return true;
	uncharge_creator(key);
	return false;
}

/*
 * cgroup_mkdir: cgroup_mkdir() after the new cgroup is populated, in the context of the task that
 * made it. Every new cgroup is worth a record, at any depth: a runtime puts a container where it
 * is told (a cgroupfs runc given "<slice>:cri-containerd:<id>" makes that one level under its
 * own cgroup, the first level if it runs at the root); userspace lets go of what is none.
 * Marking the cgroup pending here, not in userspace, is what guarantees the start is never missed.
 * A cgroup the map or the ring buffer has no room for, or its creator's quota or rate, is counted
 * and left untracked: if it is a container, its start readmits it (sched_process_exec).
 */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	struct tracked_cgroup pending = {.state = TRACKED_PENDING};
	struct creator_key creator;
	struct record_cgroup *r;
	__u64 id;
	long err;

	if (!cgroup_is_watched(cgrp))
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	if (!bulk_room()) {
		count_lost(RECORD_CGROUP_MKDIR);
		gate_note_missed();
		return 0;
	}
	creator_of(bpf_get_current_task_btf(), &creator);
	if (!charge_creator(&creator, bpf_ktime_get_boot_ns())) {
		gate_note_missed(); /* if it is a container, its start may find room */
		return 0;
	}
	r = reserve_record(sizeof(*r), RECORD_CGROUP_MKDIR);
	if (!r) {
		uncharge_creator(&creator);
		gate_note_missed();
		return 0;
	}
	if (!keep_charge(id, &creator)) {
		bpf_ringbuf_discard(r, 0);
		count_lost(LOST_UNTRACKED);
		gate_note_missed();
		return 0;
	}
	/* -EEXIST: the startup scan seeded it first (uncharged); its record still goes out */
	err = bpf_map_update_elem(&tracked_cgroups, &id, &pending, BPF_NOEXIST);
	if (err)
		refund_charge(id);
	if (err && err != -EEXIST) {
		bpf_ringbuf_discard(r, 0);
		count_lost(LOST_UNTRACKED);
		gate_note_missed();
		return 0;
	}
	fill_cgroup(r, RECORD_CGROUP_MKDIR, id, cgrp, path);
	submit_record(r, &r->hdr, BPF_RB_FORCE_WAKEUP);
	return 0;
}

static __always_inline void fill_process(struct record_process *r, struct task_struct *task,
					 struct linux_binprm *bprm)
{
	__u64 uid_gid = bpf_get_current_uid_gid();
	unsigned long arg_start, arg_end, len;
	long n;

	r->pid = BPF_CORE_READ(task, tgid);
	r->ppid = BPF_CORE_READ(task, real_parent, tgid);
	r->uid = (__u32)uid_gid;
	r->gid = uid_gid >> 32;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	BPF_CORE_READ_STR_INTO(&r->parent_comm, task, real_parent, comm);
	n = bpf_probe_read_kernel_str(r->exe, sizeof(r->exe), BPF_CORE_READ(bprm, filename));
	r->exe_len = n > 0 ? n - 1 : 0;
	if (n >= EXE_PATH_MAX)
		r->hdr.flags |= RECORD_F_TRUNCATED;

	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	len = arg_end > arg_start ? arg_end - arg_start : 0;
	if (len > ARGS_MAX) {
		len = ARGS_MAX;
		r->hdr.flags |= RECORD_F_TRUNCATED;
	}
	/* The new image's argv pages were written by exec a moment ago: they are resident. */
	if (bpf_probe_read_user(r->args, len, (void *)arg_start))
		len = 0;
	r->args_len = len;
}

/* A namespace's inode number, as /proc/PID/ns names it; 0 for none. */
static __always_inline __u32 ns_inum(struct ns_common *ns)
{
	return ns ? ns->inum : 0;
}

/* The task's own pid namespace (thread_pid's deepest level), not its children's. */
static __always_inline __u32 own_pid_ns_inum(struct task_struct *task)
{
	struct pid *pid = task->thread_pid;
	unsigned int level = pid->level;
	struct upid upid = {};

	if (level > 32 /* MAX_PID_NS_LEVEL */ ||
	    bpf_core_read(&upid, sizeof(upid), &pid->numbers[level]) || !upid.ns)
		return 0;
	return BPF_CORE_READ(upid.ns, ns.inum);
}

/* A task's namespaces, in record_posture.ns_inum's order. */
static __always_inline void read_namespaces(struct task_struct *task, __u32 *inum)
{
	struct nsproxy *ns = task->nsproxy;

	inum[RECORD_NS_PID] = own_pid_ns_inum(task);
	inum[RECORD_NS_USER] = ns_inum(&task->cred->user_ns->ns);
	if (!ns)
		return;
	inum[RECORD_NS_NET] = ns_inum(&ns->net_ns->ns);
	inum[RECORD_NS_IPC] = ns_inum(&ns->ipc_ns->ns);
	inum[RECORD_NS_UTS] = ns_inum(&ns->uts_ns->ns);
	inum[RECORD_NS_MNT] = ns_inum(&ns->mnt_ns->ns);
	inum[RECORD_NS_CGROUP] = ns_inum(&ns->cgroup_ns->ns);
	if (bpf_core_field_exists(ns->time_ns))
		inum[RECORD_NS_TIME] = ns_inum(&ns->time_ns->ns);
}

/*
 * The host's PID 1, up task's parents: a container's init hangs below its shim (or conmon),
 * whose parent is PID 1; a kind node's inner init's parent is the outer shim. NULL past 16.
 */
static __always_inline struct task_struct *host_init_above(struct task_struct *task)
{
	for (int i = 0; i < 16 && task; i++) {
		if (task->tgid == 1)
			return task;
		task = task->real_parent;
	}
	return NULL;
}

/*
 * What the process can do as its program starts: capabilities, ids, namespaces and which are
 * the host's, seccomp, no_new_privs (RECORD_F_POSTURE). Only on a container's start or an exec
 * session: plain loads through the tracepoint's task, and a few reads (the four capability sets
 * at once: inheritable, permitted, effective and bounding lie in that order in every kernel's
 * struct cred; it is checked, as the verifier resolves the offsets).
 */
static __always_inline void fill_posture(struct record_process *r, struct task_struct *task)
{
	struct record_posture *p = &r->posture;
	const struct cred *cred = task->cred;
	struct task_struct *init = host_init_above(task);
	__u32 host[RECORD_NS_KINDS] = {};
	__u64 caps[4] = {};

	if (bpf_core_field_offset(struct cred, cap_bset) -
		    bpf_core_field_offset(struct cred, cap_inheritable) ==
		sizeof(caps) - sizeof(caps[0]) &&
	    !bpf_core_read(caps, sizeof(caps), &cred->cap_inheritable)) {
		p->cap_permitted = caps[1];
		p->cap_effective = caps[2];
		p->cap_bounding = caps[3];
	}
	p->euid = cred->euid.val;
	p->egid = cred->egid.val;
	read_namespaces(task, p->ns_inum);
	if (init) {
		__u64 init_bounding = 0;

		read_namespaces(init, host);
		for (int i = 0; i < RECORD_NS_KINDS; i++)
			if (host[i] && host[i] == p->ns_inum[i])
				p->host_ns |= 1u << i;
		p->flags |= POSTURE_HOST_FOUND;
		/*
		 * all the host's init may grant (its bounding set bounds every task's): what
		 * "privileged" gives on a host that withholds some capability from everyone
		 */
		if (!bpf_core_read(&init_bounding, sizeof(init_bounding), &init->cred->cap_bset) &&
		    init_bounding && (p->cap_effective & init_bounding) == init_bounding)
			p->flags |= POSTURE_HOST_CAPS;
	}
	if (bpf_core_field_exists(task->seccomp))
		p->seccomp_mode = task->seccomp.mode;
	if (task->atomic_flags & 1 /* PFA_NO_NEW_PRIVS */)
		p->flags |= POSTURE_NO_NEW_PRIVS;
	r->hdr.flags |= RECORD_F_POSTURE;
}

/*
 * A running container's task, not its init, that entered its namespaces from outside: its
 * namespaces are not its parent's (the container's own children share theirs, and one that
 * unshares has its parent in the same cgroup) and its parent is in another cgroup. The runtime's
 * exec path: runc exec joins the cgroup and the namespaces, then runs the program. Namespaces
 * first: for the container's own execs that is three loads, and the parent's cgroup is read only
 * after.
 */
static __always_inline bool entered_from_outside(struct task_struct *task, __u64 cgroup_id)
{
	struct task_struct *parent;

	if (!entered_new_namespaces(task))
		return false;
	parent = BPF_CORE_READ(task, real_parent);
	return BPF_CORE_READ(task_cgroup(parent), kn, id) != cgroup_id;
}

/*
 * Whether this process already came into cgroup id as a session (a later program of it, run in
 * place); else it is marked as one now.
 */
static __always_inline bool session_continues(struct task_struct *task, __u64 id)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u64 *came_into = bpf_map_lookup_elem(&session_tasks, &tgid);

	if (came_into && *came_into == id)
		return true;
	bpf_map_update_elem(&session_tasks, &tgid, &id, BPF_ANY);
	return false;
}

/*
 * process_exec records of --exec are many and nobody waits for one: queued in their own ring
 * buffer without waking the reader, unless enough have piled up (the reader also drains on a
 * short timer). A full exec ring buffer costs exec records only, counted.
 */
static __always_inline void send_exec(struct task_struct *task, struct linux_binprm *bprm, __u64 id)
{
	__u64 queued = bpf_ringbuf_query(&exec_events, BPF_RB_AVAIL_DATA);
	struct record_process *r = bpf_ringbuf_reserve(&exec_events, sizeof(*r), 0);

	if (!r) {
		count_lost(RECORD_PROCESS_EXEC);
		return;
	}
	fill_header(&r->hdr, RECORD_PROCESS_EXEC, id);
	fill_process(r, task, bprm);
	submit_record(r, &r->hdr,
		      queued >= exec_wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/*
 * Whether a readmission may go out now: not twice for one cgroup within
 * READMIT_CGROUP_INTERVAL_NS, not past READMIT_RATE_MAX a second, never into the lifecycle ring
 * buffer's last eighth. Each refusal is counted. The second's window is shared by every CPU
 * without a lock: a race between two can let a few more through, never many.
 */
static __always_inline bool readmission_allowed(struct readmit_gate *kernel, __u64 id, __u64 now,
						struct task_struct *task,
						struct creator_key *creator)
{
	__u64 *last = bpf_map_lookup_elem(&readmitted_recently, &id);

	if (last && now - *last < READMIT_CGROUP_INTERVAL_NS) {
		__sync_fetch_and_add(&kernel->refused_recent, 1);
		return false;
	}
	/*
	 * Charged to the task starting there, before the shared rate: one creator's flood of
	 * starts costs its own tokens, not everyone's second.
	 */
	creator_of(task, creator);
	if (!charge_creator(creator, now))
		return false;
	if (now - kernel->window_start_ns >= 1000000000ull) {
		kernel->window_start_ns = now;
		kernel->window_count = 0;
	}
	if (__sync_fetch_and_add(&kernel->window_count, 1) >= READMIT_RATE_MAX) {
		__sync_fetch_and_add(&kernel->refused_rate, 1);
		uncharge_creator(creator);
		return false;
	}
	/*
	 * A readmission is a start, of a container whose mkdir found no room: it may take the
	 * first half of the quarter kept for starts, exits and removes, never the second.
	 */
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= readmit_drop_bytes) {
		__sync_fetch_and_add(&kernel->refused_room, 1);
		uncharge_creator(creator);
		return false;
	}
	return true;
}

/*
 * A task entering new namespaces in an untracked cgroup (not the root), while the gate
 * is open: a container the kernel could not track at its mkdir, or that userspace let go as a
 * lookalike. Tracked again, as started: a cgroup_mkdir record with its path, then its start
 * record. Host tasks that enter namespaces (a service with a private /tmp) are classified and
 * let go again by userspace, and not sent again for a while (readmitted_recently).
 */
static __always_inline void readmit(struct task_struct *task, struct linux_binprm *bprm, __u64 id)
{
	struct tracked_cgroup started = {.state = TRACKED_STARTED};
	struct creator_key creator;
	struct readmit_gate *kernel;
	struct record_process *rp;
	struct record_cgroup *rc;
	struct cgroup *cgrp;
	__u64 now;

	if (!entered_new_namespaces(task))
		return;
	cgrp = task_cgroup(task);
	if (BPF_CORE_READ(cgrp, level) < 1)
		return; /* the root is no container */
	kernel = gate_entry(READMIT_GATE_KERNEL);
	now = bpf_ktime_get_boot_ns();
	if (!kernel || !readmission_allowed(kernel, id, now, task, &creator))
		return;
	rc = reserve_record(sizeof(*rc), RECORD_CGROUP_MKDIR);
	if (!rc)
		goto uncharge;
	rp = reserve_record(sizeof(*rp), RECORD_CONTAINER_START);
	if (!rp)
		goto discard_rc;
	if (!keep_charge(id, &creator))
		goto discard_rp_charged;
	started.init_tgid = BPF_CORE_READ(task, tgid);
	if (bpf_map_update_elem(&tracked_cgroups, &id, &started, BPF_NOEXIST)) {
		refund_charge(id);
		count_lost(LOST_UNTRACKED);
		goto discard_rp_charged;
	}
	fill_cgroup_identity(rc, RECORD_CGROUP_MKDIR, id, cgrp);
	rc->hdr.flags = RECORD_F_READMITTED;
	fill_path_of(rc->path, &rc->path_len, &rc->hdr.flags, cgrp);
	fill_header(&rp->hdr, RECORD_CONTAINER_START, id);
	fill_process(rp, task, bprm);
	fill_posture(rp, task);
	submit_record(rc, &rc->hdr, BPF_RB_NO_WAKEUP);
	submit_record(rp, &rp->hdr, BPF_RB_FORCE_WAKEUP);
	bpf_map_update_elem(&readmitted_recently, &id, &now, BPF_ANY);
	__sync_fetch_and_add(&kernel->sent, 1);
	return;
discard_rp_charged:
	bpf_ringbuf_discard(rp, 0);
	bpf_ringbuf_discard(rc, 0);
	return; /* the charge is given back already */
discard_rc:
	bpf_ringbuf_discard(rc, 0);
uncharge:
	uncharge_creator(&creator);
}

/*
 * sched_process_exec: end of a successful execve(), in the context of the task, with its new mm.
 * For a task outside tracked cgroups this is the hot path: the cgroup id, one lookup, and the
 * gate's two loads; readmission's namespace reads only while the gate is open.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct record_process *r;
	struct tracked_cgroup *t;
	__u64 id = task_cgroup_id(task);
	__u32 type, record_flags = 0;
	__u64 flags;

	t = bpf_map_lookup_elem(&tracked_cgroups, &id);
	if (!t) {
		if (readmission_open())
			readmit(task, bprm, id);
		return 0;
	}
	if (t->state == TRACKED_PENDING) {
		if (!entered_new_namespaces(task))
			return 0; /* the runtime's own helper */
		t->state = TRACKED_STARTED;
		t->init_tgid = BPF_CORE_READ(task, tgid);
		type = RECORD_CONTAINER_START;
		flags = BPF_RB_FORCE_WAKEUP;
	} else if (BPF_CORE_READ(task, tgid) != t->init_tgid && entered_from_outside(task, id) &&
		   !session_continues(task, id)) {
		/* an exec session (the init re-executing, as `exec "$@"` does, is not one) */
		type = RECORD_PROCESS_EXEC; /* rare, and wanted like a start: woken at once */
		record_flags = RECORD_F_EXEC_SESSION;
		flags = BPF_RB_FORCE_WAKEUP;
	} else if (trace_exec) {
		send_exec(task, bprm, id);
		return 0;
	} else {
		return 0;
	}

	r = reserve_record(sizeof(*r), type);
	if (!r)
		return 0;
	fill_header(&r->hdr, type, id);
	r->hdr.flags = record_flags;
	fill_process(r, task, bprm);
	fill_posture(r, task);
	submit_record(r, &r->hdr, flags);
	return 0;
}

/* The status wait(2) would return for the whole thread group. */
static __always_inline __u32 group_exit_status(struct task_struct *task)
{
	struct signal_struct *sig = BPF_CORE_READ(task, signal);

	if (BPF_CORE_READ(sig, flags) & SIGNAL_GROUP_EXIT)
		return BPF_CORE_READ(sig, group_exit_code);
	return BPF_CORE_READ(task, group_leader, exit_code);
}

/*
 * A container's end: its init's pid and wait status, flags (RECORD_F_OOM_KILLED,
 * RECORD_F_NEVER_STARTED) with RECORD_F_CORE_DUMPED added from the status.
 */
static __always_inline void send_exit(__u64 id, __u32 pid, __u32 status, __u32 flags, __u64 wakeup)
{
	struct record_exit *r = reserve_record(sizeof(*r), RECORD_CONTAINER_EXIT);

	if (!r)
		return;
	fill_header(&r->hdr, RECORD_CONTAINER_EXIT, id);
	r->pid = pid;
	r->exit_status = status;
	r->hdr.flags = flags | (status & 0x80 ? RECORD_F_CORE_DUMPED : 0);
	submit_record(r, &r->hdr, wakeup);
}

/*
 * A process gone from a cgroup where no program has started yet. If it had entered new
 * namespaces, it was what the runtime would have run the entrypoint in (runc's init, crun's
 * child; or a step before it: the last one counts): its status is kept for the cgroup's rmdir,
 * which reports the container's end. The runtime's helpers, in its own
 * namespaces, and a hook it runs inside (its parent is the init) do not count.
 */
static __always_inline void note_unstarted_exit(struct tracked_cgroup *t, struct task_struct *task)
{
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return; /* other threads still run */
	if (!entered_new_namespaces(task))
		return;
	t->init_tgid = BPF_CORE_READ(task, tgid);
	t->unstarted_exit_status = group_exit_status(task);
}

/*
 * sched_process_exit: do_exit() of each thread, after signal->live was decremented, so the last
 * thread of a group reads 0 there. Any process of the container marked as an OOM victim makes the
 * container's exit say oom_killed.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *task)
{
	struct tracked_cgroup *t;
	__u64 id = task_cgroup_id(task);
	__u32 tgid;

	t = bpf_map_lookup_elem(&tracked_cgroups, &id);
	if (!t)
		return 0;
	if (BPF_CORE_READ(task, signal, oom_mm))
		t->flags |= RECORD_F_OOM_KILLED;
	if (t->state == TRACKED_PENDING) {
		note_unstarted_exit(t, task);
		return 0;
	}
	tgid = BPF_CORE_READ(task, tgid);
	if (tgid != t->init_tgid) {
		/* a session's process gone: its pid may come back as another's */
		if (BPF_CORE_READ(task, signal, live.counter) == 0)
			bpf_map_delete_elem(&session_tasks, &tgid);
		return 0;
	}
	if (t->state != TRACKED_STARTED)
		return 0;
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0; /* other threads of init still run */
	t->state = TRACKED_EXITED;
	send_exit(id, t->init_tgid, group_exit_status(task), t->flags & RECORD_F_OOM_KILLED,
		  BPF_RB_FORCE_WAKEUP);
	return 0;
}

/*
 * cgroup_rmdir: the cgroup is being destroyed; no task is left in it. A container that never
 * started but whose init ended has that end reported first.
 */
SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	struct creator_key own = {.kind = CREATOR_CONTAINER};
	struct tracked_cgroup *t, last;
	struct record_cgroup *r;
	__u64 id;

	if (!cgroup_is_watched(cgrp))
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	refund_charge(id); /* tracked or not: userspace may have let it go first */
	t = bpf_map_lookup_elem(&tracked_cgroups, &id);
	if (!t)
		return 0; /* not tracked */
	last = *t;
	if (bpf_map_delete_elem(&tracked_cgroups, &id))
		return 0;
	own.cgroup_id = id; /* the account of what its tasks made, if it was a container */
	bpf_map_delete_elem(&creator_accounts, &own);
	/*
	 * A container whose init died before its program ran (note_unstarted_exit): no start
	 * was sent, nor an exit; its cgroup is going, and nothing else will come. Its rmdir's
	 * record, next, wakes the reader.
	 */
	if (last.state == TRACKED_PENDING && last.init_tgid)
		send_exit(id, last.init_tgid, last.unstarted_exit_status,
			  RECORD_F_NEVER_STARTED | (last.flags & RECORD_F_OOM_KILLED),
			  BPF_RB_NO_WAKEUP);

	r = reserve_record(sizeof(*r), RECORD_CGROUP_RMDIR);
	if (!r)
		return 0;
	fill_cgroup(r, RECORD_CGROUP_RMDIR, id, cgrp, path);
	submit_record(r, &r->hdr, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/*
 * Pause and resume: a tracked cgroup (a container, or one inside it) frozen or thawed. Rare, and
 * wanted at once. cgroup2's tracepoints fire once per write to cgroup.freeze that changes it, for
 * the cgroup written (not for its descendants, which follow it).
 */
static __always_inline int report_freeze_v2(struct cgroup *cgrp, __u32 frozen)
{
	struct record_freeze *r;
	__u64 id;

	if (!cgroup_is_watched(cgrp))
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	if (!bpf_map_lookup_elem(&tracked_cgroups, &id))
		return 0;
	r = reserve_record(sizeof(*r), RECORD_CONTAINER_FREEZE);
	if (!r)
		return 0;
	fill_header(&r->hdr, RECORD_CONTAINER_FREEZE, id);
	r->frozen = frozen;
	r->path_len = 0;
	r->path[0] = '\0';
	submit_record(r, &r->hdr, BPF_RB_FORCE_WAKEUP);
	return 0;
}

SEC("tp_btf/cgroup_freeze")
int BPF_PROG(cgroup_freeze, struct cgroup *cgrp, const char *path, int val)
{
	return report_freeze_v2(cgrp, 1);
}

SEC("tp_btf/cgroup_unfreeze")
int BPF_PROG(cgroup_unfreeze, struct cgroup *cgrp, const char *path, int val)
{
	return report_freeze_v2(cgrp, 0);
}

#define CGROUP_FREEZING_SELF (1 << 1) /* kernel/cgroup/legacy_freezer.c, since 3.13 */

/*
 * cgroup v1's freezer (runc on a hybrid or v1 host writes freezer.state): a hierarchy we do not
 * track, so the cgroup goes by its path; userspace finds the container of that path. Called
 * for the cgroup written (CGROUP_FREEZING_SELF) and then for each descendant: only the first is
 * reported, and only when it changes. A write to freezer.state takes root (v1 has no safe
 * delegation); like mkdir records, these never take the lifecycle ring buffer's last quarter.
 * Attached only where the kernel has the function (bpf_programs.c).
 */
SEC("fentry/freezer_apply_state")
int BPF_PROG(freezer_apply_state, struct freezer *freezer, bool freeze, unsigned int state)
{
	struct record_freeze *r;
	struct cgroup *cgrp;

	if (state != CGROUP_FREEZING_SELF)
		return 0; /* a descendant, following the cgroup written */
	if (!!(BPF_CORE_READ(freezer, state) & CGROUP_FREEZING_SELF) == freeze)
		return 0; /* frozen again, or thawed again: no change */
	cgrp = BPF_CORE_READ(freezer, css.cgroup);
	if (BPF_CORE_READ(cgrp, level) < 1)
		return 0;
	if (!bulk_room()) {
		count_lost(RECORD_CONTAINER_FREEZE);
		return 0;
	}
	r = reserve_record(sizeof(*r), RECORD_CONTAINER_FREEZE);
	if (!r)
		return 0;
	fill_header(&r->hdr, RECORD_CONTAINER_FREEZE, 0);
	r->frozen = freeze;
	fill_path_of(r->path, &r->path_len, &r->hdr.flags, cgrp);
	submit_record(r, &r->hdr, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* Run by userspace (BPF_PROG_RUN): a seq for an event no record carries (container_existing). */
SEC("syscall")
int take_seq(struct take_seq_args *args)
{
	args->seq = next_seq();
	return 0;
}

/*
 * Run by userspace (BPF_PROG_RUN) after it deleted a cgroup from tracked_cgroups: the cgroup's
 * charge given back, atomically against the kernel's own refund at its rmdir.
 */
SEC("syscall")
int refund_cgroup(struct refund_args *args)
{
	refund_charge(args->cgroup_id);
	return 0;
}

/*
 * Run by userspace (BPF_PROG_RUN): 1 while the exec program looks for readmissions, by the very
 * test it makes (readmission_open), for the ctrwatch_kernel_readmission_open gauge.
 */
SEC("syscall")
int readmission_state(void *ctx)
{
	return readmission_open();
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
