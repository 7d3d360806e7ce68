// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A process's posture in words: which capabilities by name, privileged or not, which namespaces
 * are the host's, and the "posture" object every format writes from a record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "lifecycle/posture.h"
#include "output/event_fields.h"
#include "output/json_writer.h"
#include "test.h"

#define HOST_ALL (POSTURE_HOST_FOUND | POSTURE_HOST_CAPS)
#define USER_NS	 (1u << RECORD_NS_USER)

/* The "posture" member event_json_posture writes for p, without the object around it. */
static void posture_json(const struct record_process *p, char *out, size_t size)
{
	struct json_writer w;

	json_writer_init(&w);
	json_object_begin(&w);
	event_json_posture(&w, "posture", p, NULL);
	json_object_end(&w);
	snprintf(out, size, "%s", w.buf ? w.buf : "");
	json_writer_free(&w);
}

int main(void)
{
	static const struct {
		const char *name;
		uint64_t effective;
		uint32_t host_ns, flags;
		unsigned int cap_last;
		bool privileged;
	} privileged_cases[] = {
	    {"all the host's init may grant, in the host's user namespace", 0x1ffffffffffull,
	     USER_NS, HOST_ALL, 40, true},
	    {"the same in a user namespace of its own (rootless): not", 0x1ffffffffffull, 0,
	     HOST_ALL, 40, false},
	    {"short of one the host's init may grant: not", 0xa80425fbull, USER_NS,
	     POSTURE_HOST_FOUND, 40, false},
	    {"no init found: every capability the kernel knows", 0x1ffffffffffull, 0, 0, 40, true},
	    {"no init found, one short of the kernel's last", 0x0ffffffffffull, 0, 0, 40, false},
	    {"no init found, a kernel that knows fewer", 0x0ffffffffffull, 0, 0, 39, true},
	};

	for (size_t i = 0; i < sizeof(privileged_cases) / sizeof(privileged_cases[0]); i++) {
		SUBTEST (privileged_cases[i].name) {
			struct record_posture p = {.cap_effective = privileged_cases[i].effective,
						   .host_ns = privileged_cases[i].host_ns,
						   .flags = privileged_cases[i].flags};

			posture_set_cap_last(privileged_cases[i].cap_last);
			ASSERT_EQ(posture_privileged(&p), privileged_cases[i].privileged);
		}
	}
	posture_set_cap_last(40);

	SUBTEST ("capability names are the kernel's constants; a newer one by number") {
		char buf[16];

		ASSERT_STREQ(posture_cap_name(0, buf, sizeof(buf)), "CAP_CHOWN");
		ASSERT_STREQ(posture_cap_name(21, buf, sizeof(buf)), "CAP_SYS_ADMIN");
		ASSERT_STREQ(posture_cap_name(39, buf, sizeof(buf)), "CAP_BPF");
		ASSERT_STREQ(posture_cap_name(40, buf, sizeof(buf)), "CAP_CHECKPOINT_RESTORE");
		ASSERT_STREQ(posture_cap_name(41, buf, sizeof(buf)), "CAP_41");
		ASSERT_STREQ(posture_cap_name(63, buf, sizeof(buf)), "CAP_63");
	}
	SUBTEST ("seccomp modes by name; an unknown one has none") {
		ASSERT_STREQ(posture_seccomp_name(0), "disabled");
		ASSERT_STREQ(posture_seccomp_name(1), "strict");
		ASSERT_STREQ(posture_seccomp_name(2), "filter");
		ASSERT_TRUE(posture_seccomp_name(3) == NULL);
	}
	SUBTEST ("host namespaces only when the host's init was found") {
		struct record_posture p = {.host_ns = 1u << RECORD_NS_NET};

		ASSERT_TRUE(!posture_host_ns(&p, RECORD_NS_NET));
		p.flags = POSTURE_HOST_FOUND;
		ASSERT_TRUE(posture_host_ns(&p, RECORD_NS_NET));
		ASSERT_TRUE(!posture_host_ns(&p, RECORD_NS_PID));
		ASSERT_TRUE(!posture_host_ns(&p, RECORD_NS_KINDS));
	}

	static const struct {
		const char *name;
		struct record_process p;
		const char *want;
	} json_cases[] = {
	    {"a record without a posture writes none",
	     {.hdr = {.type = RECORD_CONTAINER_START}},
	     "{}"},
	    {"a default container: its capabilities, the host's user namespace, a filter",
	     {.hdr = {.flags = RECORD_F_POSTURE},
	      .posture = {.cap_effective = 0x1,
			  .cap_permitted = 0x3,
			  .cap_bounding = (1ull << 21) | 1,
			  .euid = 1000,
			  .egid = 1001,
			  .host_ns = USER_NS | (1u << RECORD_NS_CGROUP),
			  .seccomp_mode = 2,
			  .flags = POSTURE_HOST_FOUND | POSTURE_NO_NEW_PRIVS}},
	     "{\"posture\":{\"euid\":1000,\"egid\":1001,\"capabilities\":{\"effective\":"
	     "[\"CAP_CHOWN\"],\"permitted\":[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\"],\"bounding\":"
	     "[\"CAP_CHOWN\",\"CAP_SYS_ADMIN\"]},\"privileged\":false,\"host_namespaces\":"
	     "[\"cgroup\",\"user\"],\"seccomp\":\"filter\",\"no_new_privs\":true}}"},
	    {"the host's init not found: no host_namespaces; an unknown seccomp mode left out",
	     {.hdr = {.flags = RECORD_F_POSTURE},
	      .posture = {.cap_effective = 1ull << 50, .seccomp_mode = 7}},
	     "{\"posture\":{\"euid\":0,\"egid\":0,\"capabilities\":{\"effective\":[\"CAP_50\"],"
	     "\"permitted\":[],\"bounding\":[]},\"privileged\":false,\"no_new_privs\":false}}"},
	};

	for (size_t i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		SUBTEST (json_cases[i].name) {
			char got[1024];

			posture_json(&json_cases[i].p, got, sizeof(got));
			ASSERT_STREQ(got, json_cases[i].want);
		}
	}
	SUBTEST ("cap_last_cap read from the kernel's file; a bad one refused, the last kept") {
		char path[] = "/tmp/ctrwatch-test-cap.XXXXXX";
		int fd = mkstemp(path);
		FILE *f = fdopen(fd, "w");

		fputs("39\n", f);
		fclose(f);
		ASSERT_EQ(posture_read_cap_last(path), 0);
		ASSERT_EQ(posture_cap_last(), 39);
		f = fopen(path, "w");
		fputs("many\n", f);
		fclose(f);
		ASSERT_EQ(posture_read_cap_last(path), -EINVAL);
		ASSERT_EQ(posture_cap_last(), 39);
		unlink(path);
		ASSERT_EQ(posture_read_cap_last(path), -ENOENT);
	}
	return test_summary("posture");
}
