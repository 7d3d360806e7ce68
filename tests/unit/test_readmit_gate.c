// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * kernel/readmit_gate.c: when userspace's entry of the readmission gate says open, and when it
 * lets a reason go. Each case is a timeline of (time, the kernel's missed count, a hold or not),
 * checked step by step against whether the gate is open then.
 */
#include "kernel/readmit_gate.h"
#include "test.h"

#define S      1000000000ull
#define WINDOW (60 * S)

struct step {
	uint64_t at_s;
	uint64_t missed; /* the kernel's count at that time */
	bool hold;	 /* userspace lets a lookalike go then */
	bool open;	 /* what the gate says after the step */
};

static const struct gate_case {
	const char *name;
	struct step steps[8];
	size_t n;
} cases[] = {
    {"closed with no reason", {{1, 0, false, false}, {100, 0, false, false}}, 2},
    {"a missed mkdir opens it; a window of quiet closes it",
     {{1, 1, false, true}, {30, 1, false, true}, {60, 1, false, true}, {61, 1, false, false}},
     4},
    {"each new miss restarts the window",
     {{1, 1, false, true}, {50, 2, false, true}, {100, 2, false, true}, {110, 2, false, false}},
     4},
    {"a hold opens it for a window",
     {{1, 0, true, true}, {60, 0, false, true}, {61, 0, false, false}},
     3},
    {"a later hold extends it",
     {{1, 0, true, true}, {40, 0, true, true}, {90, 0, false, true}, {101, 0, false, false}},
     4},
    {"either reason keeps it open",
     {{1, 0, true, true}, {50, 3, false, true}, {70, 3, false, true}, {110, 3, false, false}},
     4},
    {"a miss after the close opens it again",
     {{1, 1, false, true}, {70, 1, false, false}, {80, 2, false, true}, {141, 2, false, false}},
     4},
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		SUBTEST (cases[i].name) {
			struct readmit_gate_keeper g = {.fd = -1, .window_ns = WINDOW};

			for (size_t s = 0; s < cases[i].n; s++) {
				const struct step *st = &cases[i].steps[s];
				struct readmit_gate kernel = {.missed = st->missed};

				if (st->hold)
					ASSERT_EQ(readmit_gate_hold(&g, st->at_s * S), 0);
				/* what the kernel's program tests: the user entry against its own
				 */
				g.user = readmit_gate_wanted(&g, &kernel, st->at_s * S);
				/*
				 * userspace's reckoning; the kernel's own test of the same entries
				 * is the exec program's, run for real in test_trust's unshare loop
				 * (closed, opened by a lookalike let go, closed a window after)
				 */
				ASSERT_EQ(readmit_gate_is_open(&g), st->open);
			}
		}
	}
	SUBTEST ("a hold writes the open gate at once, before any update") {
		struct readmit_gate_keeper g = {.fd = -1, .window_ns = WINDOW};

		ASSERT_EQ(readmit_gate_hold(&g, 5 * S), 0);
		ASSERT_EQ(g.user.held_open, 1);
	}
	return test_summary("test_readmit_gate");
}
