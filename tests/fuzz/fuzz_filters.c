// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: --include/--exclude specs and the container fields they match, all from the
 * input (NUL-separated: spec, name, image, namespace, label key, label value). A bad spec is a
 * one-line error, a good one a decision; an include that matches always keeps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter/policy.h"

#define FIELDS 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *field[FIELDS] = {0}, err[512];
	struct container_label label;
	struct container_meta m = {0};
	struct filter_set fs;
	size_t n = 0;
	bool keep;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (char *p = copy; n < FIELDS; n++) {
		field[n] = p;
		p += strlen(p);
		if (p == copy + size)
			break;
		p++;
	}
	for (size_t i = 0; i < FIELDS; i++)
		if (!field[i])
			field[i] = copy + size;
	filter_set_init(&fs);
	err[0] = '\0';
	if (filter_set_add(&fs, field[0], size & 1, err, sizeof(err)) == 0) {
		label = (struct container_label){field[4], field[5]};
		m = (struct container_meta){.name = field[1],
					    .image = field[2],
					    .namespace = field[3],
					    .labels = &label,
					    .n_labels = 1};
		keep = filter_set_keep(&fs, &m, field[3]);
		if ((size & 1) && !keep && filter_set_keep(&fs, &m, field[3]))
			abort(); /* not deterministic */
	} else if (!err[0] || memchr(err, '\n', strnlen(err, sizeof(err)))) {
		abort(); /* a bad spec is one line that says why */
	}
	filter_set_free(&fs);
	free(copy);
	return 0;
}
