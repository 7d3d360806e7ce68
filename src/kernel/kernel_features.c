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

/*
 * The programs' fetch-and-add (record_seq, the readmission gate's window): x86_64's JIT has it
 * since 5.12, arm64's only since 6.0 (before, its JIT refused BPF_FETCH atomics, and a kernel
 * built with BPF_JIT_ALWAYS_ON, as Debian's is, refuses the program). A program that fetches
 * and adds on its stack: loaded (JITed, or interpreted where that is allowed) or not.
 */
static int probe_atomic_fetch_add(void)
{
	const struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 0},
	    {.code = BPF_STX | BPF_MEM | BPF_DW,
	     .dst_reg = BPF_REG_10,
	     .src_reg = BPF_REG_1,
	     .off = -8},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 1},
	    {.code = BPF_STX | BPF_ATOMIC | BPF_DW,
	     .dst_reg = BPF_REG_10,
	     .src_reg = BPF_REG_1,
	     .off = -8,
	     .imm = BPF_ADD | BPF_FETCH},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "ctrwatch_probe", "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), NULL);

	if (fd < 0)
		return -errno;
	close(fd);
	return 1;
}

static const struct {
	const char *what;
	const char *since;
	int (*probe)(void);
} features[] = {
    {"BPF ring buffers", "5.8", probe_ringbuf},
    {"BPF programs of type syscall", "5.14", probe_syscall_program},
    {"lookup-and-delete on BPF hash maps", "5.14", probe_hash_lookup_and_delete},
    {"atomic fetch-and-add in its BPF JIT", "5.12; arm64: 6.0", probe_atomic_fetch_add},
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
