/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The records the kernel programs send to userspace through the ring buffer, and the value of the
 * map that tracks container cgroups. Shared by bpf/ and src/: fixed-width types only, every field
 * naturally aligned, no hidden padding (checked below), record type tag first.
 */
#ifndef CTRWATCH_RECORDS_H
#define CTRWATCH_RECORDS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define CGROUP_PATH_MAX	    256 /* bytes of a cgroup path kept, NUL included */
#define COMM_LEN	    16
#define EXE_PATH_MAX	    256
#define ARGS_MAX	    512 /* bytes of argv (NUL-separated) kept */
#define TRACKED_CGROUPS_MAX 16384

enum record_type {
	RECORD_CGROUP_MKDIR = 1,
	RECORD_CONTAINER_START = 2,
	RECORD_PROCESS_EXEC = 3,
	RECORD_CONTAINER_EXIT = 4,
	RECORD_CGROUP_RMDIR = 5,
	RECORD_CONTAINER_FREEZE = 6, /* frozen or thawed: paused or resumed */
	RECORD_TYPE_MAX = 7,
};

/*
 * Slots of the lost_records per-CPU array: one per record type (a failed ring buffer
 * reservation), then one for a new cgroup that the full tracking map had no room for (its
 * container cannot be followed: no start, exit or remove will come).
 */
#define LOST_UNTRACKED RECORD_TYPE_MAX
#define LOST_SLOTS     (RECORD_TYPE_MAX + 1)

/* record_*.flags */
#define RECORD_F_TRUNCATED   0x1 /* path or args did not fit */
#define RECORD_F_CORE_DUMPED 0x2
#define RECORD_F_OOM_KILLED  0x4 /* the kernel OOM-killed a process of this container */
/*
 * On a cgroup_mkdir record: sent at the cgroup's first start, not at its mkdir. The kernel could
 * not track the cgroup when it was made (map full, ring buffer past its lifecycle share) or
 * userspace had let it go (a lookalike containerd did not know); a task entering new namespaces
 * in it brings it back, with its path, just before the start record.
 */
#define RECORD_F_READMITTED 0x8
/*
 * On a cgroup record with RECORD_F_TRUNCATED: path holds the end of a longer path, not its
 * beginning (a nested container's path, kind's for one, passes 255 bytes; its end names it).
 * The first bytes may be the middle of a name.
 */
#define RECORD_F_PATH_TAIL 0x10
/*
 * On a process_exec record: the program was run by a process that entered the running
 * container from outside (runc exec, ctr task exec, kubectl exec, docker exec): it entered the
 * container's namespaces, which its parent is not in, and its parent is in another cgroup.
 * Sent with or without --exec.
 */
#define RECORD_F_EXEC_SESSION 0x20
/*
 * On a container_exit record: the container's init died before its program ran (killed while
 * the runtime's init still waited to exec it: a start and a kill racing, or a hook that failed).
 * No container_start came; pid is that init's. Sent when its cgroup goes, before its rmdir.
 */
#define RECORD_F_NEVER_STARTED 0x40
/*
 * On a start or exec session record: its posture was read (records of older layouts, and
 * --exec's process_exec records, carry none).
 */
#define RECORD_F_POSTURE 0x80
/* The longest cgroup path whose end a cgroup_mkdir record keeps (a power of two). */
#define CGROUP_PATH_TAIL_SCRATCH 1024

struct record_header {
	__u32 type; /* enum record_type */
	__u32 flags;
	__u64 timestamp_ns; /* bpf_ktime_get_boot_ns() */
	__u64 cgroup_id;
	/*
	 * From the per-host counter (the record_seq map, pinned with the others): unique, taken as
	 * the record is submitted, so it increases along each container's records.
	 */
	__u64 seq;
#ifdef RECORDS_LAYOUT_NEXT
	/*
	 * The next layout, built only for the upgrade test (make layout-next): a header that
	 * grew, as a real change would, so that a ctrwatch of this layout must read the older
	 * one's records through kernel/records_upgrade.c.
	 */
	__u32 cpu; /* where the record was made */
	__u32 reserved;
#endif
};

struct record_cgroup {
	struct record_header hdr;
	__u32 level;
	__u32 path_len; /* bytes in path, without the NUL */
	__u64
	    parent_id; /* the parent cgroup's id: a sub-cgroup of a container is the container's */
	char path[CGROUP_PATH_MAX];
};

/* The namespaces a posture names, in record_posture.ns_inum's order. */
enum record_ns {
	RECORD_NS_PID, /* the task's own (thread_pid's), not the one its children would get */
	RECORD_NS_NET,
	RECORD_NS_IPC,
	RECORD_NS_UTS,
	RECORD_NS_MNT,
	RECORD_NS_CGROUP,
	RECORD_NS_USER, /* its credentials' */
	RECORD_NS_TIME, /* 0 on a kernel without time namespaces */
	RECORD_NS_KINDS,
};

/* record_posture.flags */
#define POSTURE_NO_NEW_PRIVS 0x1 /* prctl(PR_SET_NO_NEW_PRIVS), or asked by a seccomp filter */
#define POSTURE_HOST_FOUND   0x2 /* the host's PID 1 was found: host_ns says which are its */
#define POSTURE_HOST_CAPS    0x4 /* every capability in the host PID 1's bounding set: effective */

/*
 * What a process could do as it ran its program, read from its task and credentials at exec:
 * the kernel's word, whatever the runtime declared. Its namespaces are compared with the host's
 * PID 1's (the first task up its parents whose pid is 1 in the initial pid namespace: a shim's
 * or conmon's, a kind node's init's parent): a DaemonSet without hostPID tells them too.
 */
struct record_posture {
	__u64 cap_effective; /* bit n: capability n (CAP_CHOWN is 0) */
	__u64 cap_permitted;
	__u64 cap_bounding;
	__u32 euid; /* the kernel's global ids, as uid and gid are */
	__u32 egid;
	__u32 ns_inum[RECORD_NS_KINDS]; /* each namespace's inode number, as /proc/PID/ns shows */
	__u32 host_ns;			/* bit 1 << RECORD_NS_*: the host PID 1's very namespace */
	__u32 seccomp_mode;		/* 0 disabled, 1 strict, 2 filter (SECCOMP_MODE_*) */
	__u32 flags;			/* POSTURE_* */
	__u32 reserved;
};

struct record_process {
	struct record_header hdr;
	__u32 pid; /* thread group id in the initial pid namespace */
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 exe_len;
	__u32 args_len;		       /* bytes of args, NUL-separated argv */
	struct record_posture posture; /* with RECORD_F_POSTURE */
	char comm[COMM_LEN];
	char parent_comm[COMM_LEN]; /* the parent's: who launched it (an exec session's runtime) */
	char exe[EXE_PATH_MAX];
	char args[ARGS_MAX];
};

struct record_exit {
	struct record_header hdr;
	__u32 pid;
	__u32 exit_status; /* wait(2) status: exit code << 8 | core 0x80 | signal */
};

/*
 * A container's cgroup frozen or thawed (ctr task pause, docker pause). cgroup2's freezer
 * names the cgroup by id, with an empty path. cgroup v1's freezer is a hierarchy of its own, not
 * the watched one: its cgroup is named by path (cgroup_id 0), which runtimes make the same in
 * every hierarchy.
 */
struct record_freeze {
	struct record_header hdr;
	__u32 frozen; /* 1: frozen, 0: thawed */
	__u32 path_len;
	char path[CGROUP_PATH_MAX];
};

enum tracked_state {
	TRACKED_PENDING = 0, /* cgroup seen, no program started yet (init_tgid: see below) */
	TRACKED_STARTED = 1, /* entrypoint running: init_tgid is set */
	TRACKED_EXITED = 2,
};

/* Value of the tracked_cgroups map, keyed by cgroup id. */
struct tracked_cgroup {
	__u32 state; /* enum tracked_state */
	/*
	 * STARTED, EXITED: the init's. PENDING: 0, or the last process that entered new
	 * namespaces here and ended before any program started (a runtime's init killed before
	 * it ran the entrypoint), whose wait status is unstarted_exit_status.
	 */
	__u32 init_tgid;
	__u32 flags; /* RECORD_F_OOM_KILLED */
	__u32 unstarted_exit_status;
};

/*
 * Readmission's gate, the readmit_gate map: readmission (a start in a cgroup the kernel does not
 * track, docs/architecture.md) is looked for only while the gate is open, so that a host exec
 * costs one lookup. Open while the kernel has missed a cgroup at its mkdir that userspace has not
 * yet aged out (missed != missed_aged), or while userspace holds it (it let a lookalike go).
 * Two entries, one writer each: the kernel's (READMIT_GATE_KERNEL) and userspace's
 * (READMIT_GATE_USER); the fields of the other entry stay zero.
 */
enum readmit_gate_key {
	READMIT_GATE_KERNEL = 0,
	READMIT_GATE_USER = 1,
	READMIT_GATE_KEYS = 2,
};

struct readmit_gate {
	/* READMIT_GATE_KERNEL */
	__u64 missed; /* cgroups the kernel could not track at their mkdir, ever */
	__u64 sent;   /* readmissions sent (a mkdir and a start record each) */
	__u64
	    refused_recent; /* the cgroup was readmitted less than READMIT_CGROUP_INTERVAL_NS ago */
	__u64 refused_rate; /* past READMIT_RATE_MAX in the current second */
	__u64 refused_room; /* the lifecycle ring buffer was past its bulk share */
	__u64 window_start_ns;
	__u64 window_count;
	/* READMIT_GATE_USER */
	__u64 held_open;   /* nonzero while userspace has a reason of its own */
	__u64 missed_aged; /* the kernel's missed count userspace has seen go quiet */
};

/*
 * Quotas by creator (docs/security.md): a tracked cgroup is charged, at its mkdir (or its
 * readmission), to who made it, whatever its name. A task in a started container charges the
 * outermost such container it runs in (a kind node's pods are the node's); any other task of a
 * user other than root charges that user (the owner of its user namespaces: a user's subuids
 * are the user); root outside every container (the runtimes, systemd) charges nobody: the open
 * pool, which always keeps a part of the map (charged_max leaves it).
 */
enum creator_kind {
	CREATOR_HOST = 0,
	CREATOR_CONTAINER = 1,
	CREATOR_USER = 2,
};

/* Key of the creator_accounts map, value of the cgroup_charge map (cgroup id -> its creator). */
struct creator_key {
	__u32 kind;	 /* enum creator_kind */
	__u32 uid;	 /* CREATOR_USER */
	__u64 cgroup_id; /* CREATOR_CONTAINER: the container's cgroup */
};

/* Value of the creator_accounts map: what one creator holds, and may still send. */
struct creator_account {
	__u64 held;	 /* tracked cgroups charged to it now */
	__u64 tokens;	 /* mkdir records (and readmissions) it may send now */
	__u64 filled_ns; /* when tokens were last added */
	__u64 refused_quota;
	__u64 refused_rate;
};

/*
 * The creator_quota map: two entries, one writer each, like the readmission gate. Userspace
 * writes the limits (CREATOR_QUOTA_LIMITS) at every start; the kernel counts
 * (CREATOR_QUOTA_TOTALS). A zero limit is no limit (a set whose userspace has not written them
 * yet).
 */
enum creator_quota_key {
	CREATOR_QUOTA_LIMITS = 0,
	CREATOR_QUOTA_TOTALS = 1,
	CREATOR_QUOTA_KEYS = 2,
};

struct creator_quota {
	/* CREATOR_QUOTA_LIMITS */
	__u32 container_max; /* cgroups a container's tasks may have tracked at once */
	__u32 user_max;	     /* ... a user's */
	__u32 charged_max;   /* ... all creators but the host together: the rest is the pool's */
	__u32 burst;	     /* records a creator may send at once */
	__u64 ns_per_record; /* then one per this many ns */
	/* CREATOR_QUOTA_TOTALS */
	__u64 charged;		/* tracked cgroups charged to a creator now */
	__u64 refused_quota;	/* a creator past its own quota */
	__u64 refused_share;	/* all creators together past charged_max */
	__u64 refused_rate;	/* a creator past its rate */
	__u64 refused_accounts; /* no room for one more creator's account */
};

/* What the refund_cgroup program is run with: a cgroup userspace stopped tracking. */
struct refund_args {
	__u64 cgroup_id;
};

/* One readmission per cgroup per interval; a second look is userspace's to ask for. */
#define READMIT_CGROUP_INTERVAL_NS 10000000000ull
/* Readmissions per second, all cgroups: a burst of containers missed at once fits. */
#define READMIT_RATE_MAX 256

#ifndef __bpf__
/* Userspace's check of what the kernel sent: a record's size by its type, 0 for none. */
static inline __u64 record_size(__u32 type)
{
	switch (type) {
	case RECORD_CGROUP_MKDIR:
	case RECORD_CGROUP_RMDIR: return sizeof(struct record_cgroup);
	case RECORD_CONTAINER_START:
	case RECORD_PROCESS_EXEC: return sizeof(struct record_process);
	case RECORD_CONTAINER_EXIT: return sizeof(struct record_exit);
	case RECORD_CONTAINER_FREEZE: return sizeof(struct record_freeze);
	}
	return 0;
}
#endif

/* take_seq's context: userspace runs it (BPF_PROG_RUN) to number an event no record carries. */
struct take_seq_args {
	__u64 seq;
};

/*
 * Bumped whenever a record changes shape. A ctrwatch takes over a pinned set of an older layout
 * only if kernel/records_upgrade.c can read its records (add the old layout there with every
 * bump); the tracking map's value and the counters' slots must keep their shape (a set whose
 * maps differ is refused: kernel/bpf_programs.c).
 */
#ifdef RECORDS_LAYOUT_NEXT
#define RECORDS_LAYOUT_VERSION 5
#define RECORD_HEADER_SIZE     40
#else
#define RECORDS_LAYOUT_VERSION 4 /* 3: record_process.parent_comm; 4: its posture */
#define RECORD_HEADER_SIZE     32
#endif

_Static_assert(sizeof(struct record_header) == RECORD_HEADER_SIZE, "record_header layout");
_Static_assert(sizeof(struct record_cgroup) == RECORD_HEADER_SIZE + 16 + CGROUP_PATH_MAX,
	       "record_cgroup layout");
_Static_assert(sizeof(struct record_posture) == 80, "record_posture layout");
_Static_assert(sizeof(struct record_process) ==
		   RECORD_HEADER_SIZE + 24 + 80 + 2 * COMM_LEN + EXE_PATH_MAX + ARGS_MAX,
	       "record_process layout");
_Static_assert(sizeof(struct record_exit) == RECORD_HEADER_SIZE + 8, "record_exit layout");
_Static_assert(sizeof(struct record_freeze) == RECORD_HEADER_SIZE + 8 + CGROUP_PATH_MAX,
	       "record_freeze layout");
_Static_assert(sizeof(struct take_seq_args) == 8, "take_seq_args layout");
_Static_assert(sizeof(struct tracked_cgroup) == 16, "tracked_cgroup layout");
_Static_assert(sizeof(struct readmit_gate) == 72, "readmit_gate layout");
_Static_assert(sizeof(struct creator_key) == 16, "creator_key layout");
_Static_assert(sizeof(struct creator_account) == 40, "creator_account layout");
_Static_assert(sizeof(struct creator_quota) == 64, "creator_quota layout");
_Static_assert(sizeof(struct refund_args) == 8, "refund_args layout");

#endif
