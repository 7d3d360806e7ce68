// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Heap for loading the BPF programs. libbpf (1.1, Debian 12's) reads the kernel's BTF (5.5 MB on
 * 6.18) into a fresh malloc'd buffer and copies it into a second one: some 2 700 page faults,
 * the largest part of ctrwatch's startup where a page fault is dear (a nested VM: ~15-40 us
 * each, measured here). Served instead from heap room marked for transparent huge pages, they
 * cost a few huge-page faults (startup 116 -> 79 ms median here, no change in RSS after:
 * bench/NOTES.md). Where THP is off, nothing is done.
 *
 * glibc serves allocations that large with mmap; while loading, the mmap and trim thresholds are
 * raised so that they come from the heap room, which is then given back (malloc_trim) with the
 * thresholds at glibc's defaults. libbpf >= 1.6 maps the BTF file instead of reading it: with
 * it, this is not needed.
 */
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernel/load_heap.h"

#define HUGE_PAGE      (2ul << 20)
#define LOAD_ROOM      (16ul << 20) /* two copies of the BTF and libbpf's indexes of it */
#define MMAP_DEFAULT   (128 << 10)  /* glibc's M_MMAP_THRESHOLD and M_TRIM_THRESHOLD */
#define LOAD_THRESHOLD (64 << 20)

static bool reserved;

/* "always" or "madvise" (either takes MADV_HUGEPAGE), not "never" or no THP at all. */
static bool huge_pages_available(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	char mode[128] = "";
	bool ok;

	if (!f)
		return false;
	ok = fgets(mode, sizeof(mode), f) && !strstr(mode, "[never]");
	fclose(f);
	return ok;
}

void load_heap_reserve(void)
{
	uintptr_t start, end;
	char *room;

	if (!huge_pages_available())
		return;
	reserved = true;
	mallopt(M_MMAP_THRESHOLD, LOAD_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, LOAD_THRESHOLD);
	room = malloc(LOAD_ROOM);
	if (!room)
		return;
	start = ((uintptr_t)room + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	end = ((uintptr_t)room + LOAD_ROOM) & ~(HUGE_PAGE - 1);
	if (end > start)
		madvise((void *)start, end - start, MADV_HUGEPAGE); /* EINVAL without THP: fine */
	/*
	 * Back to the heap, which keeps it (the trim threshold): libbpf's allocations are carved
	 * from it and fault it in, a huge page at a time. Touching it here first measured no
	 * faster.
	 */
	free(room);
}

void load_heap_release(void)
{
	if (!reserved)
		return;
	reserved = false;
	mallopt(M_MMAP_THRESHOLD, MMAP_DEFAULT);
	mallopt(M_TRIM_THRESHOLD, MMAP_DEFAULT);
	malloc_trim(0);
}
