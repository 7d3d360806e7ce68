// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The floor of the per-exec cost measure: a tp_btf program on the same tracepoint doing nothing. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sched_process_exec")
int BPF_PROG(empty_exec)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
