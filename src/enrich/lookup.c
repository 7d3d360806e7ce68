// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>

#include "enrich/lookup.h"

struct lookup_result *lookup_result_new(uint64_t cgroup_id)
{
	struct lookup_result *r = calloc(1, sizeof(*r));

	if (r)
		r->cgroup_id = cgroup_id;
	return r;
}

void lookup_result_free(struct lookup_result *r)
{
	if (!r)
		return;
	container_meta_free(&r->meta);
	free(r);
}
