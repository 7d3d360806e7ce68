/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_LOAD_HEAP_H
#define CTRWATCH_LOAD_HEAP_H

/*
 * Around loading the BPF programs: heap room marked for transparent huge pages, for the copies
 * libbpf makes of the kernel's BTF, and its return to the system afterwards.
 */
void load_heap_reserve(void);
void load_heap_release(void);

#endif
