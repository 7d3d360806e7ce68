// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Rootless engines by user: the socket path template, the table of clients, each one's share. */
#include <errno.h>
#include <string.h>

#include "enrich/user_engines.h"
#include "test.h"

static const struct {
	const char *template;
	unsigned int uid;
	size_t size;
	int rc;
	const char *want;
} paths[] = {
    {USER_PODMAN_SOCKET_DEFAULT, 1000, 108, 0, "/run/user/1000/podman/podman.sock"},
    {"/run/user/%u/podman/podman.sock", 4294967295u, 108, 0,
     "/run/user/4294967295/podman/podman.sock"},
    {"/srv/%u.sock", 0, 108, 0, "/srv/0.sock"},
    {"/srv/100%%/%u", 7, 108, 0, "/srv/100%/7"},
    {"/srv/podman.sock", 7, 108, -EINVAL, NULL},     /* no %u: every user's is one socket */
    {"/srv/%u/%u.sock", 7, 108, -EINVAL, NULL},	     /* two */
    {"/srv/%s/%u.sock", 7, 108, -EINVAL, NULL},	     /* another conversion */
    {"/srv/%u%", 7, 108, -EINVAL, NULL},	     /* a lone '%' at the end */
    {"/srv/%u.sock", 1000, 12, -ENAMETOOLONG, NULL}, /* "/srv/1000.sock" needs 15 */
    {"/srv/%u.sock", 1000, 15, 0, "/srv/1000.sock"},
};

int main(void)
{
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		SUBTEST (paths[i].template) {
			char out[108] = "";

			ASSERT_EQ(
			    user_socket_path(paths[i].template, paths[i].uid, out, paths[i].size),
			    paths[i].rc);
			if (paths[i].want)
				ASSERT_STREQ(out, paths[i].want);
		}
	}
	SUBTEST ("a template that cannot name each user's socket is refused") {
		ASSERT_TRUE(user_engines_new("/run/podman/podman.sock", 750) == NULL);
		ASSERT_EQ(errno, EINVAL);
	}
	SUBTEST ("one engine per user, its socket in its runtime directory") {
		struct user_engines *ue = user_engines_new(USER_PODMAN_SOCKET_DEFAULT, 750);
		struct user_engine *a, *b;

		ASSERT_TRUE(ue != NULL);
		a = user_engines_get(ue, 1000, 1);
		b = user_engines_get(ue, 1001, 2);
		ASSERT_STREQ(a->path, "/run/user/1000/podman/podman.sock");
		ASSERT_STREQ(a->health.name, "podman (uid 1000)");
		ASSERT_TRUE(a->health.quiet && a->health.path == a->path);
		ASSERT_STREQ(engine_client_socket(b->client), "/run/user/1001/podman/podman.sock");
		ASSERT_TRUE(user_engines_get(ue, 1000, 3) == a);
		user_engines_free(ue);
	}
	SUBTEST ("past USER_ENGINES_MAX users, the one asked longest ago makes room") {
		struct user_engines *ue = user_engines_new(USER_PODMAN_SOCKET_DEFAULT, 750);
		struct user_engine *first, *again, *held[USER_ENGINES_MAX];

		for (unsigned int uid = 0; uid < USER_ENGINES_MAX; uid++) {
			held[uid] = user_engines_get(ue, 2000 + uid, 10 + uid);
			ASSERT_TRUE(held[uid] != NULL);
		}
		first = user_engines_get(ue, 2000, 100); /* 2001 is now the least recent */
		again = user_engines_get(ue, 9999, 101);
		ASSERT_EQ(again->uid, 9999u);
		ASSERT_STREQ(again->health.name, "podman (uid 9999)");
		ASSERT_TRUE(again == held[1]); /* 2001's room, and only 2001's */
		for (unsigned int uid = 2; uid < USER_ENGINES_MAX; uid++)
			ASSERT_TRUE(user_engines_get(ue, 2000 + uid, 102) == held[uid]);
		ASSERT_TRUE(user_engines_get(ue, 2000, 102) == first);
		ASSERT_EQ(first->uid, 2000u);
		user_engines_free(ue);
	}
	SUBTEST ("each user's share: spent, refused, renewed with the next window") {
		struct user_engines *ue = user_engines_new(USER_PODMAN_SOCKET_DEFAULT, 750);
		uint64_t t = 5 * USER_BUDGET_WINDOW_NS;
		struct user_engine *u = user_engines_get(ue, 1000, t);
		struct user_engine *other = user_engines_get(ue, 1001, t);

		ASSERT_TRUE(user_engine_may_ask(u, t));
		ASSERT_EQ(user_engine_left_ms(u), (int64_t)5000 /* docs: 5 s of calls a user */);
		user_engine_spent(u, 5000000000ull - 1000);
		ASSERT_TRUE(user_engine_may_ask(u, t + 1));
		ASSERT_EQ(user_engine_left_ms(u), 1); /* a microsecond left is still a call */
		user_engine_spent(u, 1000);
		ASSERT_TRUE(!user_engine_may_ask(u, t + 2));
		ASSERT_EQ(user_engine_left_ms(u), 0);
		ASSERT_TRUE(user_engine_may_ask(other, t + 2)); /* one user's share is theirs */
		ASSERT_TRUE(!user_engine_may_ask(u, t + USER_BUDGET_WINDOW_NS - 1));
		ASSERT_TRUE(user_engine_may_ask(u, t + USER_BUDGET_WINDOW_NS));
		ASSERT_EQ(user_engine_left_ms(u), (int64_t)5000 /* docs: 5 s of calls a user */);
		user_engines_free(ue);
	}
	return test_summary("test_user_engines");
}
