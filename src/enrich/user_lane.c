// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The rootless lane's waiting lookups, a queue per uid taken in turn (user_lane.h). */
#include <errno.h>
#include <string.h>

#include "enrich/user_lane.h"

void user_lane_init(struct user_lane *lane)
{
	memset(lane, 0, sizeof(*lane));
}

/* uid's queue, or a free one; NULL when every queue is another uid's. */
static struct user_lane_queue *queue_of(struct user_lane *lane, uid_t uid)
{
	struct user_lane_queue *free_queue = NULL;

	for (unsigned int i = 0; i < USER_LANE_UIDS; i++) {
		struct user_lane_queue *q = &lane->queues[i];

		if (q->len && q->uid == uid)
			return q;
		if (!q->len && !free_queue)
			free_queue = q;
	}
	if (free_queue) {
		free_queue->uid = uid;
		free_queue->head = 0;
	}
	return free_queue;
}

int user_lane_push(struct user_lane *lane, uid_t uid, void *item)
{
	struct user_lane_queue *q = queue_of(lane, uid);

	if (!q)
		return -ENOSPC;
	if (q->len == USER_LANE_PER_UID)
		return -EBUSY;
	q->items[(q->head + q->len) % USER_LANE_PER_UID] = item;
	q->len++;
	lane->len++;
	return 0;
}

void *user_lane_pop(struct user_lane *lane)
{
	if (!lane->len)
		return NULL;
	for (unsigned int n = 0; n < USER_LANE_UIDS; n++) {
		unsigned int i = (lane->next + n) % USER_LANE_UIDS;
		struct user_lane_queue *q = &lane->queues[i];
		void *item;

		if (!q->len)
			continue;
		item = q->items[q->head];
		q->head = (q->head + 1) % USER_LANE_PER_UID;
		q->len--;
		lane->len--;
		lane->next = (i + 1) % USER_LANE_UIDS; /* the next uid's turn */
		return item;
	}
	return NULL; /* not reached: len counts what the queues hold */
}
