// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Rootless Podman, one engine per user: the socket in the user's runtime directory is the user's
 * to serve, so each call checks who serves it (http_unix_get_owned), names cgroups only in that
 * user's systemd subtree (engine_client_open_user), and a user's engine takes at most a bounded
 * share of the worker's time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/user_engines.h"

struct user_engines {
	char *template;
	int timeout_ms;
	struct user_engine engines[USER_ENGINES_MAX];
	size_t n;
};

struct user_engines *user_engines_new(const char *template, int timeout_ms)
{
	struct user_engines *ue;
	char path[108];

	/* the longest uid: every user's path then fits */
	if (user_socket_path(template, UINT32_MAX, path, sizeof(path))) {
		errno = EINVAL;
		return NULL;
	}
	ue = calloc(1, sizeof(*ue));
	if (!ue)
		return NULL;
	ue->template = strdup(template);
	ue->timeout_ms = timeout_ms;
	if (!ue->template) {
		free(ue);
		errno = ENOMEM;
		return NULL;
	}
	return ue;
}

void user_engines_free(struct user_engines *ue)
{
	if (!ue)
		return;
	for (size_t i = 0; i < ue->n; i++)
		engine_client_close(ue->engines[i].client);
	free(ue->template);
	free(ue);
}

/* The entry a new user takes: a free one, else the one asked longest ago. */
static struct user_engine *slot_for_new(struct user_engines *ue)
{
	struct user_engine *oldest;

	if (ue->n < USER_ENGINES_MAX)
		return &ue->engines[ue->n++];
	oldest = &ue->engines[0];
	for (size_t i = 1; i < ue->n; i++)
		if (ue->engines[i].asked_ns < oldest->asked_ns)
			oldest = &ue->engines[i];
	engine_client_close(oldest->client);
	return oldest;
}

struct user_engine *user_engines_get(struct user_engines *ue, uid_t uid, uint64_t now_ns)
{
	struct user_engine *u;

	for (size_t i = 0; i < ue->n; i++) {
		if (ue->engines[i].uid == uid) {
			ue->engines[i].asked_ns = now_ns;
			return &ue->engines[i];
		}
	}
	u = slot_for_new(ue);
	memset(u, 0, sizeof(*u));
	u->uid = uid;
	u->asked_ns = now_ns;
	u->window_start_ns = now_ns;
	user_socket_path(ue->template, uid, u->path, sizeof(u->path)); /* fits: checked */
	u->client = engine_client_open_user(u->path, uid, ue->timeout_ms);
	if (!u->client) { /* the entry is given back: the last one takes its place */
		ue->n--;
		if (u != &ue->engines[ue->n]) {
			*u = ue->engines[ue->n];
			u->health.name = u->name;
			u->health.path = u->path;
		}
		return NULL;
	}
	snprintf(u->name, sizeof(u->name), "podman (uid %u)", (unsigned int)uid);
	u->health = (struct source_health){.name = u->name, .path = u->path, .quiet = true};
	return u;
}

bool user_engine_may_ask(struct user_engine *u, uint64_t now_ns)
{
	if (now_ns - u->window_start_ns >= USER_BUDGET_WINDOW_NS) {
		u->window_start_ns = now_ns;
		u->spent_ns = 0;
	}
	return u->spent_ns < USER_BUDGET_NS;
}

int64_t user_engine_left_ms(const struct user_engine *u)
{
	uint64_t left = u->spent_ns < USER_BUDGET_NS ? USER_BUDGET_NS - u->spent_ns : 0;

	return left ? (int64_t)((left + 999999) / 1000000) : 0;
}

void user_engine_spent(struct user_engine *u, uint64_t ns)
{
	u->spent_ns += ns;
}
