// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The rootless lane's waiting lookups, shared by uid: shares, refusals, turns. */
#include <errno.h>
#include <stdint.h>

#include "enrich/user_lane.h"
#include "test.h"

/* An item that says whose it is and its number: uid * 1000 + n, never 0 (NULL). */
static void *item(unsigned int uid, unsigned int n)
{
	return (void *)(uintptr_t)(uid * 1000 + n + 1);
}

static unsigned int uid_of(void *it)
{
	return (unsigned int)(((uintptr_t)it - 1) / 1000);
}

static unsigned int n_of(void *it)
{
	return (unsigned int)(((uintptr_t)it - 1) % 1000);
}

int main(void)
{
	static struct user_lane lane;

	SUBTEST ("empty: nothing to take") {
		user_lane_init(&lane);
		ASSERT_TRUE(user_lane_pop(&lane) == NULL);
	}
	SUBTEST ("one uid: first in, first out, 16 at most") {
		user_lane_init(&lane);
		for (unsigned int n = 0; n < 16; n++)
			ASSERT_EQ(user_lane_push(&lane, 1000, item(1000, n)), 0);
		ASSERT_EQ(user_lane_push(&lane, 1000, item(1000, 16)), -EBUSY);
		for (unsigned int n = 0; n < 16; n++)
			ASSERT_TRUE(user_lane_pop(&lane) == item(1000, n));
		ASSERT_TRUE(user_lane_pop(&lane) == NULL);
		ASSERT_EQ(user_lane_push(&lane, 1000, item(1000, 17)), 0); /* room again */
	}
	SUBTEST ("one uid at its share refuses no other uid") {
		user_lane_init(&lane);
		for (unsigned int n = 0; n < 1000; n++)
			(void)user_lane_push(&lane, 1, item(1, n));
		ASSERT_EQ(lane.len, 16u);
		ASSERT_EQ(user_lane_push(&lane, 2, item(2, 0)), 0);
	}
	SUBTEST ("uids take turns: another's lookup waits for one of the flood's") {
		user_lane_init(&lane);
		for (unsigned int n = 0; n < 16; n++)
			ASSERT_EQ(user_lane_push(&lane, 1, item(1, n)), 0);
		ASSERT_TRUE(user_lane_pop(&lane) == item(1, 0));
		ASSERT_EQ(user_lane_push(&lane, 2, item(2, 0)), 0);
		ASSERT_EQ(user_lane_push(&lane, 3, item(3, 0)), 0);
		/* uid 1 was served last: uids 2 and 3 come before its second */
		void *a = user_lane_pop(&lane), *b = user_lane_pop(&lane);

		ASSERT_TRUE(uid_of(a) != 1 && uid_of(b) != 1 && uid_of(a) != uid_of(b));
		ASSERT_TRUE(user_lane_pop(&lane) == item(1, 1));
	}
	SUBTEST ("turns are fair for as long as uids wait: in 30 takes, 10 each") {
		unsigned int taken[3] = {0}, last_n[3] = {0};

		user_lane_init(&lane);
		for (unsigned int n = 0; n < 16; n++)
			for (unsigned int uid = 0; uid < 3; uid++)
				ASSERT_EQ(user_lane_push(&lane, uid, item(uid, n)), 0);
		for (unsigned int i = 0; i < 30; i++) {
			void *it = user_lane_pop(&lane);
			unsigned int uid = uid_of(it);

			ASSERT_TRUE(uid < 3);
			ASSERT_EQ(n_of(it), taken[uid] ? last_n[uid] + 1 : 0u);
			last_n[uid] = n_of(it);
			taken[uid]++;
		}
		ASSERT_EQ(taken[0], 10u);
		ASSERT_EQ(taken[1], 10u);
		ASSERT_EQ(taken[2], 10u);
	}
	SUBTEST ("32 uids waiting refuse a 33rd; one done makes room") {
		user_lane_init(&lane);
		for (unsigned int uid = 0; uid < 32; uid++)
			ASSERT_EQ(user_lane_push(&lane, uid, item(uid, 0)), 0);
		ASSERT_EQ(user_lane_push(&lane, 32, item(32, 0)), -ENOSPC);
		ASSERT_EQ(user_lane_push(&lane, 5, item(5, 1)), 0); /* a waiting uid's own queue */
		ASSERT_TRUE(uid_of(user_lane_pop(&lane)) == 0);
		ASSERT_EQ(user_lane_push(&lane, 32, item(32, 0)), 0);
	}
	SUBTEST ("a queue's ring wraps") {
		user_lane_init(&lane);
		for (unsigned int round = 0; round < 5; round++) {
			for (unsigned int n = 0; n < 11; n++)
				ASSERT_EQ(user_lane_push(&lane, 7, item(7, round * 11 + n)), 0);
			for (unsigned int n = 0; n < 11; n++)
				ASSERT_TRUE(user_lane_pop(&lane) == item(7, round * 11 + n));
		}
		ASSERT_EQ(lane.len, 0u);
	}
	return test_summary("user_lane");
}
