/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_USER_LANE_H
#define CTRWATCH_USER_LANE_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * The rootless containers' lookups waiting for their lane's thread, shared fairly by uid
 * (user_lane.c): each uid has a queue of its own of USER_LANE_PER_UID at most, USER_LANE_UIDS
 * uids wait at once at most, and the thread takes one lookup of each waiting uid in turn. One
 * user's thousand libpod scopes fill that user's queue only: another user's lookup waits for
 * at most one lookup of each other waiting user, and is refused only when USER_LANE_UIDS other
 * users are all waiting at once. Owned by the enricher, under its lock; pure (no threads).
 */
#define USER_LANE_UIDS	  32
#define USER_LANE_PER_UID 16

struct user_lane_queue {
	uid_t uid;
	unsigned int head, len; /* len 0: the queue is free for any uid */
	void *items[USER_LANE_PER_UID];
};

struct user_lane {
	struct user_lane_queue queues[USER_LANE_UIDS];
	unsigned int next; /* the queue to look at first for the next turn */
	unsigned int len;  /* waiting in all */
};

void user_lane_init(struct user_lane *lane);
/* 0; -EBUSY: uid has USER_LANE_PER_UID waiting; -ENOSPC: USER_LANE_UIDS other uids wait. */
int user_lane_push(struct user_lane *lane, uid_t uid, void *item);
/* The next waiting item, taking uids in turn (FIFO within a uid); NULL when none waits. */
void *user_lane_pop(struct user_lane *lane);

#endif
