// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Known sandbox images, the list docs/filters.md documents (the same images the Datadog agent's
 * containerd collector excludes by default). Each pattern is a registry/repository path where
 * "*" stands for one or more whole path components.
 */
#include <string.h>

#include "filter/pause_image.h"

static const char *const pause_patterns[] = {
    "registry.k8s.io/pause",
    "k8s.gcr.io/pause",
    "gcr.io/*/pause",
    "*/kubernetes/pause",
    "kubernetes/pause",
    "*/google_containers/pause",
    "google_containers/pause",
    "*/google-containers/pause",
    "google-containers/pause",
    "*/rancher/pause",
    "rancher/pause",
    "*/rancher/mirrored-pause",
    "rancher/mirrored-pause",
    "*/eks/pause",
    "eks/pause",
    "*.amazonaws.com/*/pause",
    "mcr.microsoft.com/*/pause",
    "aksrepos.azurecr.io/*/pause",
    "*/kubeletwin/pause",
    "kubeletwin/pause",
    "*/amazon/amazon-ecs-pause",
    "amazon/amazon-ecs-pause",
    "*/aws-fargate-pause",
    "aws-fargate-pause",
    "*/openshift/origin-pod",
    "openshift/origin-pod",
    "*/rhel7/pod-infrastructure",
    "rhel7/pod-infrastructure",
    "*/upstream/pause",
    "upstream/pause",
    "*/cdk/pause",
    "cdk/pause",
    "*/giantswarm/pause",
    "giantswarm/pause",
};

/* Length of the repository part: the reference without ":tag" and "@digest". */
static size_t repository_len(const char *image)
{
	const char *at = strchr(image, '@');
	size_t n = at ? (size_t)(at - image) : strlen(image);
	const char *slash = NULL;

	for (size_t i = 0; i < n; i++)
		if (image[i] == '/')
			slash = image + i;
	/* a ':' after the last '/' starts the tag; one before it is a registry port */
	for (const char *p = slash ? slash : image; p < image + n; p++)
		if (*p == ':')
			return p - image;
	return n;
}

/*
 * Matches pattern against s[0..n): components separated by '/'; in a pattern component "*" alone
 * is one or more components, and a leading "*." matches any host name ending in the rest.
 */
static bool match_components(const char *pat, const char *s, size_t n)
{
	const char *pend = strchr(pat, '/');
	size_t plen = pend ? (size_t)(pend - pat) : strlen(pat);
	const char *send = memchr(s, '/', n);
	size_t slen = send ? (size_t)(send - s) : n;

	if (plen == 1 && pat[0] == '*') {
		/* one or more components, then the rest of the pattern */
		if (!pend)
			return n > 0;
		for (const char *p = send; p; p = memchr(p + 1, '/', s + n - p - 1))
			if (match_components(pend + 1, p + 1, s + n - p - 1))
				return true;
		return false;
	}
	if (plen >= 2 && pat[0] == '*' && pat[1] == '.') {
		if (slen < plen || memcmp(s + slen - (plen - 1), pat + 1, plen - 1))
			return false;
	} else if (plen != slen || memcmp(pat, s, slen)) {
		return false;
	}
	if (!pend || !send)
		return !pend && !send;
	return match_components(pend + 1, send + 1, n - slen - 1);
}

bool pause_image_match(const char *image)
{
	size_t n;

	if (!image || !*image)
		return false;
	n = repository_len(image);
	/* docker.io/library/x and docker.io/x are written without the default registry too */
	for (size_t i = 0; i < sizeof(pause_patterns) / sizeof(pause_patterns[0]); i++) {
		if (match_components(pause_patterns[i], image, n))
			return true;
		if (n > 10 && memcmp(image, "docker.io/", 10) == 0 &&
		    match_components(pause_patterns[i], image + 10, n - 10))
			return true;
	}
	return false;
}
