// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: cgroup_classify() on any bytes must not crash, and what it accepts must have
 * an id that is a containerd identifier or 64 hex digits, and a well-formed pod uid.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle/cgroup_path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_ident ident;
	char *path = malloc(size + 1);

	if (!path)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	if (cgroup_classify(path, &ident)) {
		if (!cgroup_is_identifier(ident.id, strlen(ident.id)) ||
		    !container_runtime_name(ident.runtime))
			abort();
		if (ident.pod_uid[0] && strlen(ident.pod_uid) != 32 && strlen(ident.pod_uid) != 36)
			abort();
		if (path[0] != '/' || !strstr(path, ident.id))
			abort();
	} else if (ident.id[0]) {
		abort(); /* a rejected path leaves no half-filled ident */
	}
	free(path);
	return 0;
}
