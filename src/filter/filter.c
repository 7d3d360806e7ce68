// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "lifecycle/posture.h"

void filter_set_init(struct filter_set *fs)
{
	memset(fs, 0, sizeof(*fs));
}

void filter_set_free(struct filter_set *fs)
{
	for (size_t i = 0; i < fs->n_rules; i++) {
		regfree(&fs->rules[i].re);
		free(fs->rules[i].label_key);
	}
	free(fs->rules);
	for (size_t i = 0; i < fs->n_namespaces; i++)
		free(fs->namespaces[i]);
	free(fs->namespaces);
	filter_set_init(fs);
}

static int parse_field(const char *s, size_t n, struct filter_rule *r)
{
	static const struct {
		const char *name;
		enum filter_field field;
	} fields[] = {
	    {"image", FILTER_IMAGE},
	    {"name", FILTER_NAME},
	    {"kube_namespace", FILTER_KUBE_NAMESPACE},
	    {"namespace", FILTER_NAMESPACE},
	    {"privileged", FILTER_PRIVILEGED},
	    {"host_namespaces", FILTER_HOST_NAMESPACES},
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strlen(fields[i].name) == n && !memcmp(s, fields[i].name, n)) {
			r->field = fields[i].field;
			return 0;
		}
	}
	if (n > 6 && !memcmp(s, "label:", 6)) {
		r->field = FILTER_LABEL;
		r->label_key = strndup(s + 6, n - 6);
		return r->label_key ? 0 : -ENOMEM;
	}
	return -EINVAL;
}

/* The spec as an error message may quote it: control bytes as '?', so it stays one line. */
static void printable(const char *spec, char *out, size_t size)
{
	size_t i;

	for (i = 0; spec[i] && i + 1 < size; i++)
		out[i] = (unsigned char)spec[i] < 0x20 || spec[i] == 0x7f ? '?' : spec[i];
	out[i] = '\0';
}

#define REGEX_MAX	1024
#define REGEX_DEPTH_MAX 32

/*
 * glibc's regcomp() copies the tree of a repeated repetition ("a+++...", "(a*){9}") so often that
 * a short pattern can take gigabytes (found by fuzzing). Repeating a repetition adds nothing a
 * filter needs, so such a pattern is refused with a reason instead.
 */
static const char *regex_trouble(const char *re)
{
	bool has_repeat[REGEX_DEPTH_MAX + 1] = {false}, prev_repeats = false;
	size_t len = strlen(re);
	int depth = 0;

	if (len > REGEX_MAX)
		return "longer than 1024 bytes";
	for (size_t i = 0; i < len; i++) {
		char c = re[i];

		if (c == '*' || c == '+' || c == '?' || c == '{') {
			if (prev_repeats)
				return "a repetition of a repetition";
			has_repeat[depth] = prev_repeats = true;
			if (c == '{')
				i += strcspn(re + i, "}");
			continue;
		}
		prev_repeats = false;
		if (c == '\\' && re[i + 1]) {
			i++;
		} else if (c == '[') {
			i += 1 + (re[i + 1] == '^') + (re[i + 1 + (re[i + 1] == '^')] == ']');
			i += strcspn(re + i, "]");
		} else if (c == '(') {
			if (++depth > REGEX_DEPTH_MAX)
				return "groups nested too deep";
			has_repeat[depth] = false;
		} else if (c == ')' && depth > 0) {
			prev_repeats = has_repeat[depth--];
			has_repeat[depth] |= prev_repeats;
		}
	}
	return NULL;
}

int filter_set_add(struct filter_set *fs, const char *spec, bool include, char *err,
		   size_t err_size)
{
	char quoted[256];
	const char *kind = include ? "--include" : "--exclude", *trouble;
	struct filter_rule r = {.include = include}, *rules;
	/* FIELD ends at the first ':', or at the second for "label:KEY" (so KEY has no ':') */
	const char *sep =
	    strncmp(spec, "label:", 6) == 0 ? strchr(spec + 6, ':') : strchr(spec, ':');
	int rc;

	printable(spec, quoted, sizeof(quoted));
	if (!sep || parse_field(spec, sep - spec, &r)) {
		snprintf(err, err_size,
			 "bad %s '%s': want FIELD:REGEX with FIELD one of image, name, "
			 "kube_namespace, namespace, label:KEY",
			 kind, quoted);
		free(r.label_key);
		return -EINVAL;
	}
	trouble = regex_trouble(sep + 1);
	if (trouble) {
		snprintf(err, err_size, "bad %s '%s': %s", kind, quoted, trouble);
		free(r.label_key);
		return -EINVAL;
	}
	rc = regcomp(&r.re, sep + 1, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char why[128];

		regerror(rc, &r.re, why, sizeof(why));
		snprintf(err, err_size, "bad %s '%s': %s", kind, quoted, why);
		free(r.label_key);
		return -EINVAL;
	}
	rules = realloc(fs->rules, (fs->n_rules + 1) * sizeof(*rules));
	if (!rules) {
		regfree(&r.re);
		free(r.label_key);
		return -ENOMEM;
	}
	fs->rules = rules;
	fs->rules[fs->n_rules++] = r;
	return 0;
}

int filter_set_add_namespace(struct filter_set *fs, const char *ns)
{
	char **n = realloc(fs->namespaces, (fs->n_namespaces + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	fs->namespaces = n;
	n[fs->n_namespaces] = strdup(ns);
	if (!n[fs->n_namespaces])
		return -ENOMEM;
	fs->n_namespaces++;
	return 0;
}

bool filter_set_allows_namespace(const struct filter_set *fs, const char *ns)
{
	if (fs->n_namespaces == 0)
		return true;
	for (size_t i = 0; ns && i < fs->n_namespaces; i++)
		if (strcmp(fs->namespaces[i], ns) == 0)
			return true;
	return false;
}

/* The kinds the engine declared the host's, in the kernel's order: "pid,net" (buf). */
static const char *declared_host_ns(const struct container_declared *d, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int ns = 0; ns < RECORD_NS_KINDS; ns++)
		if (d->ns_known & d->host_ns & (1u << ns))
			o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? "," : "",
					      posture_ns_name(ns));
	return buf;
}

/* buf: room for a value made here (host_namespaces) */
static const char *field_value(const struct filter_rule *r, const struct container_meta *m,
			       const char *namespace_hint, char *buf, size_t size)
{
	const char *v = NULL;

	switch (r->field) {
	case FILTER_IMAGE: v = m ? m->image : NULL; break;
	case FILTER_NAME: v = m ? m->name : NULL; break;
	case FILTER_KUBE_NAMESPACE: v = m ? m->pod_namespace : NULL; break;
	case FILTER_NAMESPACE: v = m && m->namespace ? m->namespace : namespace_hint; break;
	case FILTER_LABEL: v = m ? container_meta_label(m, r->label_key) : NULL; break;
	case FILTER_PRIVILEGED:
		if (m && m->declared.privileged != DECLARED_UNKNOWN)
			v = m->declared.privileged == DECLARED_YES ? "true" : "false";
		break;
	case FILTER_HOST_NAMESPACES:
		v = m ? declared_host_ns(&m->declared, buf, size) : NULL;
		break;
	}
	return v ? v : "";
}

bool filter_set_keep(const struct filter_set *fs, const struct container_meta *m,
		     const char *namespace_hint)
{
	bool excluded = false;

	if (!filter_set_allows_namespace(fs, m && m->namespace ? m->namespace : namespace_hint))
		return false;
	for (size_t i = 0; i < fs->n_rules; i++) {
		const struct filter_rule *r = &fs->rules[i];
		char buf[64];

		if (regexec(&r->re, field_value(r, m, namespace_hint, buf, sizeof(buf)), 0, NULL,
			    0) != 0)
			continue;
		if (r->include)
			return true;
		excluded = true;
	}
	return !excluded;
}
