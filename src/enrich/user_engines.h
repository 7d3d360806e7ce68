/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_USER_ENGINES_H
#define CTRWATCH_USER_ENGINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "enrich/engine_client.h"
#include "enrich/source_health.h"
#include "enrich/user_socket.h"

/* Users whose engine has a client at once; the one asked longest ago makes room. */
#define USER_ENGINES_MAX 32
/*
 * What one user's engine may take of the rootless lane's thread: this much time in a window of
 * this length. A user's socket is theirs: one that answers slowly, or hangs until each call's
 * deadline, would otherwise hold every other user's lookups behind its own (no system
 * container's: those have their own thread). Half the lane: an honest engine on a slow node
 * (socket-activated, its first answer after a second or more; seen under emulation) keeps
 * room for its retry.
 */
#define USER_BUDGET_NS	      5000000000ull
#define USER_BUDGET_WINDOW_NS 10000000000ull

/*
 * The rootless engines of the node's users, each reached on a socket in its user's runtime
 * directory (a template with "%u" for the uid). Owned by the enricher's worker: no locking.
 */
struct user_engines;

/* One user's engine: its client, its source (for the log) and its share of time. */
struct user_engine {
	uid_t uid;
	struct engine_client *client;
	struct source_health health;
	uint64_t window_start_ns; /* CLOCK_MONOTONIC; the budget's window */
	uint64_t spent_ns;	  /* in that window */
	uint64_t asked_ns;	  /* last taken: the least recent is replaced */
	char name[32];		  /* "podman (uid 1000)" */
	char path[108];		  /* sun_path's size */
};

/* NULL with errno set (EINVAL: a bad template, ENOMEM). */
struct user_engines *user_engines_new(const char *template, int timeout_ms);
void user_engines_free(struct user_engines *ue);
/* uid's engine, made (or made in place of the least recent one) if need be; NULL: no memory. */
struct user_engine *user_engines_get(struct user_engines *ue, uid_t uid, uint64_t now_ns);

/* Whether the engine may be asked now, within its share of time; starts a new window. */
bool user_engine_may_ask(struct user_engine *u, uint64_t now_ns);
/* What is left of its share in this window, in ms (at least 1 when it may ask). */
int64_t user_engine_left_ms(const struct user_engine *u);
/* Charges a call's time to the engine's window. */
void user_engine_spent(struct user_engine *u, uint64_t ns);

#endif
