// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * An engine's declaration of what a container may do, from its OCI spec or its inspect
 * (declared_decode.h). Untrusted JSON: anything may be missing, of the wrong type or the user's
 * invention; what is not understood is not said.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ctrwatch_records.h"
#include "enrich/declared_decode.h"
#include "enrich/json_text.h"
#include "lifecycle/posture.h"

#define CAPBIT(c) (1ull << (c))

/*
 * The capabilities a container gets when nothing is added or dropped: containerd's and Docker's
 * OCI defaults (containerd's oci/spec.go, moby's caps.DefaultCapabilities), and Podman's
 * (containers/common's containers.conf, since Podman 4: no MKNOD, NET_RAW, AUDIT_WRITE).
 */
static const uint64_t default_caps[] = {
    [DECLARED_ENGINE_OCI] =
	CAPBIT(0) /* CHOWN */ | CAPBIT(1) /* DAC_OVERRIDE */ | CAPBIT(3) /* FOWNER */ |
	CAPBIT(4) /* FSETID */ | CAPBIT(5) /* KILL */ | CAPBIT(6) /* SETGID */ |
	CAPBIT(7) /* SETUID */ | CAPBIT(8) /* SETPCAP */ | CAPBIT(10) /* NET_BIND_SERVICE */ |
	CAPBIT(13) /* NET_RAW */ | CAPBIT(18) /* SYS_CHROOT */ | CAPBIT(27) /* MKNOD */ |
	CAPBIT(29) /* AUDIT_WRITE */ | CAPBIT(31) /* SETFCAP */,
    [DECLARED_ENGINE_PODMAN] = CAPBIT(0) | CAPBIT(1) | CAPBIT(3) | CAPBIT(4) | CAPBIT(5) |
			       CAPBIT(6) | CAPBIT(7) | CAPBIT(8) | CAPBIT(10) | CAPBIT(18) |
			       CAPBIT(31),
};

/* The OCI spec's names of the namespace kinds, and Docker's HostConfig keys for their modes. */
static const struct {
	enum record_ns ns;
	const char *oci;
	const char *mode_key; /* NULL: Docker has no mode for it */
} ns_kinds[] = {
    {RECORD_NS_PID, "pid", "PidMode"},	    {RECORD_NS_NET, "network", "NetworkMode"},
    {RECORD_NS_IPC, "ipc", "IpcMode"},	    {RECORD_NS_UTS, "uts", "UTSMode"},
    {RECORD_NS_MNT, "mount", NULL},	    {RECORD_NS_CGROUP, "cgroup", "CgroupnsMode"},
    {RECORD_NS_USER, "user", "UsernsMode"}, {RECORD_NS_TIME, "time", NULL},
};
#define NS_KINDS (sizeof(ns_kinds) / sizeof(ns_kinds[0]))

static int set_text(char **field, const json_t *s)
{
	free(*field);
	*field = NULL;
	if (!json_is_string(s) || !json_string_length(s))
		return 0;
	*field = json_text_dup(s);
	return *field ? 0 : -ENOMEM;
}

static int set_word(char **field, const char *word)
{
	free(*field);
	*field = strdup(word);
	return *field ? 0 : -ENOMEM;
}

/* The capabilities an array of names says; "ALL" says every one. Unknown names say none. */
static uint64_t caps_of(const json_t *names)
{
	uint64_t caps = 0;
	const json_t *v;
	size_t i;

	json_array_foreach(names, i, v)
	{
		const char *name = json_string_value(v);
		int cap = name ? posture_cap_from_name(name) : -ENOENT;

		if (name && !strcasecmp(name, "ALL"))
			caps = posture_grantable();
		else if (cap >= 0)
			caps |= CAPBIT(cap);
	}
	return caps;
}

static void spec_caps(const json_t *caps, struct container_declared *d)
{
	static const char *const sets[] = {"bounding", "effective", "permitted", "inheritable",
					   "ambient"};

	if (!json_is_object(caps))
		return;
	d->caps_known = true;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		d->caps |= caps_of(json_object_get(caps, sets[i]));
}

/*
 * linux.namespaces: a kind listed without a path is the container's own; one joined by
 * /proc/1/ns/<kind> the host's; one joined by any other path is not said (a CRI pod's containers
 * join their sandbox's, hostNetwork or not, by /proc/<its pid>/ns/...).
 */
static void spec_namespaces(const json_t *namespaces, struct container_declared *d)
{
	const json_t *entry;
	size_t i;

	if (!json_is_array(namespaces))
		return;
	d->ns_known = (uint8_t)((1u << RECORD_NS_KINDS) - 1);
	d->host_ns = d->ns_known; /* a kind not listed is shared with the runtime: the host's */
	json_array_foreach(namespaces, i, entry)
	{
		const char *type = json_string_value(json_object_get(entry, "type"));
		const char *path = json_string_value(json_object_get(entry, "path"));

		for (size_t k = 0; type && k < NS_KINDS; k++) {
			char host[32];

			if (strcmp(type, ns_kinds[k].oci))
				continue;
			snprintf(host, sizeof(host), "/proc/1/ns/%s", ns_kinds[k].oci);
			if (path && *path && strcmp(path, host))
				/* joined by a path (a pod's sandbox's /proc/PID/ns/net, a CNI
				 * plugin's netns): whose namespace it is, the path does not say */
				d->ns_known &= (uint8_t) ~(1u << ns_kinds[k].ns);
			if (!path || !*path || strcmp(path, host))
				d->host_ns &= (uint8_t) ~(1u << ns_kinds[k].ns);
			if (ns_kinds[k].ns == RECORD_NS_USER)
				d->user_namespace = DECLARED_YES;
		}
	}
	if (d->user_namespace == DECLARED_UNKNOWN)
		d->user_namespace = DECLARED_NO;
}

static bool has_option(const json_t *options, const char *want)
{
	const json_t *v;
	size_t i;

	json_array_foreach(options, i, v)
	{
		const char *o = json_string_value(v);

		if (o && !strcmp(o, want))
			return true;
	}
	return false;
}

/* A bind from the JSON strings source and destination; one that is no string is skipped. */
static int add_mount(struct container_declared *d, const json_t *source, const json_t *destination,
		     bool read_only)
{
	char *src, *dst;
	int rc = -ENOMEM;

	if (!json_is_string(source) || !json_is_string(destination))
		return 0;
	src = json_text_dup(source);
	dst = json_text_dup(destination);
	if (src && dst)
		rc = declared_add_mount(d, src, dst, read_only);
	free(src);
	free(dst);
	return rc;
}

static int spec_mounts(const json_t *mounts, struct container_declared *d)
{
	const json_t *m;
	size_t i;

	json_array_foreach(mounts, i, m)
	{
		const json_t *options = json_object_get(m, "options");
		const json_t *type = json_object_get(m, "type");
		int rc;

		/* proc, sysfs, tmpfs, ...: made for the container, no host path */
		if (!(json_is_string(type) && !strcmp(json_string_value(type), "bind")) &&
		    !has_option(options, "bind") && !has_option(options, "rbind"))
			continue;
		rc = add_mount(d, json_object_get(m, "source"), json_object_get(m, "destination"),
			       has_option(options, "ro"));
		if (rc)
			return rc;
	}
	return 0;
}

static int spec_user(const json_t *user, struct container_declared *d)
{
	const json_t *uid = json_object_get(user, "uid"), *gid = json_object_get(user, "gid");
	char buf[48];

	if (!json_is_integer(uid))
		return 0;
	snprintf(buf, sizeof(buf), "%lld:%lld", (long long)json_integer_value(uid),
		 json_is_integer(gid) ? (long long)json_integer_value(gid) : 0ll);
	return set_word(&d->user, buf);
}

int declared_from_oci_spec(const json_t *spec, struct container_declared *d)
{
	const json_t *process = json_object_get(spec, "process");
	const json_t *linux_spec = json_object_get(spec, "linux");
	const json_t *root = json_object_get(spec, "root");
	const json_t *readonly = json_object_get(root, "readonly");
	const json_t *uid_mappings = json_object_get(linux_spec, "uidMappings");
	int rc;

	memset(d, 0, sizeof(*d));
	if (!json_is_object(spec))
		return 0;
	d->known = true;
	spec_caps(json_object_get(process, "capabilities"), d);
	if (d->caps_known) {
		uint64_t all = posture_grantable();

		d->caps_added = d->caps & ~default_caps[DECLARED_ENGINE_OCI];
		d->privileged = (d->caps & all) == all ? DECLARED_YES : DECLARED_NO;
	}
	spec_namespaces(json_object_get(linux_spec, "namespaces"), d);
	if (json_is_array(uid_mappings) && json_array_size(uid_mappings))
		d->user_namespace = DECLARED_YES;
	if (json_is_boolean(readonly))
		d->read_only_rootfs = json_is_true(readonly) ? DECLARED_YES : DECLARED_NO;
	rc = spec_mounts(json_object_get(spec, "mounts"), d);
	if (!rc && json_is_object(linux_spec))
		rc = set_word(&d->seccomp, json_is_object(json_object_get(linux_spec, "seccomp"))
					       ? "confined"
					       : "unconfined");
	if (!rc && json_is_object(process)) {
		rc = set_text(&d->apparmor, json_object_get(process, "apparmorProfile"));
		if (!rc && !d->apparmor)
			rc = set_word(&d->apparmor, "unconfined");
	}
	if (!rc)
		rc = spec_user(json_object_get(process, "user"), d);
	if (rc)
		declared_free(d);
	return rc;
}

/* A SecurityOpt entry "key=value" (or Docker's older "key:value") whose key is key; its value. */
static const char *security_opt(const json_t *opts, const char *key)
{
	size_t len = strlen(key);
	const json_t *v;
	size_t i;

	json_array_foreach(opts, i, v)
	{
		const char *o = json_string_value(v);

		if (o && !strncmp(o, key, len) && (o[len] == '=' || o[len] == ':'))
			return o + len + 1;
	}
	return NULL;
}

/* The namespace modes: "host" is the host's; any other word, or "container:<id>", is not. */
static void inspect_namespaces(const json_t *host_config, struct container_declared *d)
{
	for (size_t k = 0; k < NS_KINDS; k++) {
		const char *mode =
		    ns_kinds[k].mode_key
			? json_string_value(json_object_get(host_config, ns_kinds[k].mode_key))
			: NULL;
		uint8_t bit = (uint8_t)(1u << ns_kinds[k].ns);
		bool said = mode && *mode;

		/* "" is private for pid, uts and ipc; for cgroup and user it depends on the daemon
		 */
		if (!said && ns_kinds[k].ns != RECORD_NS_PID && ns_kinds[k].ns != RECORD_NS_UTS &&
		    ns_kinds[k].ns != RECORD_NS_IPC && ns_kinds[k].ns != RECORD_NS_MNT)
			continue;
		d->ns_known |= bit;
		if (said && !strcmp(mode, "host"))
			d->host_ns |= bit;
	}
	if (d->ns_known & (1u << RECORD_NS_USER))
		d->user_namespace =
		    d->host_ns & (1u << RECORD_NS_USER) ? DECLARED_NO : DECLARED_YES;
}

static void inspect_caps(const json_t *host_config, enum declared_engine engine,
			 struct container_declared *d)
{
	uint64_t all = posture_grantable();

	d->caps_known = true;
	if (d->privileged == DECLARED_YES) {
		d->caps = all;
	} else {
		/* a drop of ALL then adds: Docker applies the drops to the defaults first */
		d->caps = default_caps[engine] & ~caps_of(json_object_get(host_config, "CapDrop"));
		d->caps |= caps_of(json_object_get(host_config, "CapAdd"));
	}
	d->caps_added = d->caps & ~default_caps[engine];
}

static int inspect_mounts(const json_t *mounts, struct container_declared *d)
{
	const json_t *m;
	size_t i;

	json_array_foreach(mounts, i, m)
	{
		const char *type = json_string_value(json_object_get(m, "Type"));
		const json_t *rw = json_object_get(m, "RW");
		int rc;

		/* a volume or tmpfs is the engine's, not a host path the user chose */
		if (!type || strcmp(type, "bind"))
			continue;
		rc = add_mount(d, json_object_get(m, "Source"), json_object_get(m, "Destination"),
			       json_is_boolean(rw) && !json_is_true(rw));
		if (rc)
			return rc;
	}
	return 0;
}

int declared_from_inspect(const json_t *inspect, enum declared_engine engine,
			  struct container_declared *d)
{
	const json_t *host_config = json_object_get(inspect, "HostConfig");
	const json_t *privileged = json_object_get(host_config, "Privileged");
	const json_t *readonly = json_object_get(host_config, "ReadonlyRootfs");
	const json_t *opts = json_object_get(host_config, "SecurityOpt");
	const char *seccomp = security_opt(opts, "seccomp");
	const char *apparmor = security_opt(opts, "apparmor");
	int rc;

	memset(d, 0, sizeof(*d));
	if (!json_is_object(host_config))
		return 0;
	d->known = true;
	if (json_is_boolean(privileged))
		d->privileged = json_is_true(privileged) ? DECLARED_YES : DECLARED_NO;
	inspect_caps(host_config, engine, d);
	inspect_namespaces(host_config, d);
	if (json_is_boolean(readonly))
		d->read_only_rootfs = json_is_true(readonly) ? DECLARED_YES : DECLARED_NO;
	rc = inspect_mounts(json_object_get(inspect, "Mounts"), d);
	if (!rc)
		rc = set_word(&d->seccomp, d->privileged == DECLARED_YES ||
						   (seccomp && !strcmp(seccomp, "unconfined"))
					       ? "unconfined"
					       : "confined");
	if (!rc && apparmor)
		rc = set_word(&d->apparmor, apparmor);
	else if (!rc)
		rc = set_text(&d->apparmor, json_object_get(inspect, "AppArmorProfile"));
	if (!rc && !d->apparmor)
		rc = set_word(&d->apparmor, "unconfined"); /* none asked, or a host without it */
	if (!rc)
		rc =
		    set_text(&d->user, json_object_get(json_object_get(inspect, "Config"), "User"));
	if (rc)
		declared_free(d);
	return rc;
}

int declared_from_oci_spec_text(const char *text, size_t len, struct container_declared *d)
{
	json_t *spec = json_loadb(text, len, 0, NULL);
	int rc = declared_from_oci_spec(spec, d);

	json_decref(spec);
	return rc;
}

int declared_from_inspect_text(const char *text, size_t len, enum declared_engine engine,
			       struct container_declared *d)
{
	json_t *inspect = json_loadb(text, len, JSON_ALLOW_NUL, NULL);
	int rc = declared_from_inspect(inspect, engine, d);

	json_decref(inspect);
	return rc;
}
