// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What ctrwatch needs of the kernel beyond BTF, asked of the kernel itself (not of its release
 * string: distributions backport). On an older kernel the programs would fail to load with a
 * verifier log nobody should have to read; this names the feature instead, in one line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel/kernel_features.h"

static int probe_ringbuf(void)
{
	return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
}

/* take_seq, the program userspace runs to number the events no record carries */
static int probe_syscall_program(void)
{
	return libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SYSCALL, NULL);
}

/* Letting a lookalike go atomically against its start (tracked_forget) */
static int probe_hash_lookup_and_delete(void)
{
	uint64_t key = 1, value = 1;
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "ctrwatch_probe", sizeof(key), sizeof(value), 1,
				NULL);
	int ok;

	if (fd < 0)
		return -errno;
	ok = !bpf_map_update_elem(fd, &key, &value, BPF_ANY) &&
	     !bpf_map_lookup_and_delete_elem(fd, &key, &value);
	close(fd);
	return ok;
}

static const struct {
	const char *what;
	const char *since;
	int (*probe)(void);
} features[] = {
    {"BPF ring buffers", "5.8", probe_ringbuf},
    {"BPF programs of type syscall", "5.14", probe_syscall_program},
    {"lookup-and-delete on BPF hash maps", "5.14", probe_hash_lookup_and_delete},
};

int kernel_features_check(char *missing, size_t size)
{
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		if (features[i].probe() == 1)
			continue;
		snprintf(missing, size, "%s (Linux %s)", features[i].what, features[i].since);
		return -EOPNOTSUPP;
	}
	return 0;
}
