/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_FILTER_H
#define CTRWATCH_FILTER_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "enrich/container_meta.h"

enum filter_field {
	FILTER_IMAGE,
	FILTER_NAME,
	FILTER_KUBE_NAMESPACE,
	FILTER_NAMESPACE,
	FILTER_LABEL,
	FILTER_PRIVILEGED,	/* the engine's declaration: "true", "false" */
	FILTER_HOST_NAMESPACES, /* the kinds declared the host's: "pid,net" */
};

struct filter_rule {
	enum filter_field field;
	char *label_key; /* FILTER_LABEL */
	regex_t re;
	bool include;
};

/*
 * --include/--exclude FIELD:REGEX and --namespace NS. A container is kept when an include rule
 * matches; otherwise dropped when an exclude rule matches; otherwise kept. --namespace drops
 * containers of every other containerd namespace.
 */
struct filter_set {
	struct filter_rule *rules;
	size_t n_rules;
	char **namespaces;
	size_t n_namespaces;
};

void filter_set_init(struct filter_set *fs);
void filter_set_free(struct filter_set *fs);
/* Parses "FIELD:REGEX". Returns 0, or -EINVAL with a one-line reason in err. */
int filter_set_add(struct filter_set *fs, const char *spec, bool include, char *err,
		   size_t err_size);
int filter_set_add_namespace(struct filter_set *fs, const char *ns);
bool filter_set_allows_namespace(const struct filter_set *fs, const char *ns);
/* m may be NULL (not enriched): its fields then read as empty strings. */
bool filter_set_keep(const struct filter_set *fs, const struct container_meta *m,
		     const char *namespace_hint);

#endif
