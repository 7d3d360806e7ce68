// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Userspace's side of readmission's gate. The kernel opens it by counting a cgroup it could not
 * track; userspace opens it before it lets a lookalike go (the order matters: a start between
 * the two would find it closed). Either reason holds it open for a window after the last time
 * it happened; then a host exec is back to one lookup. docs/architecture.md argues the window.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "kernel/readmit_gate.h"

struct readmit_gate readmit_gate_wanted(struct readmit_gate_keeper *g,
					const struct readmit_gate *kernel, uint64_t now_ns)
{
	struct readmit_gate want = {0};

	if (kernel->missed != g->missed_seen) {
		g->missed_seen = kernel->missed;
		g->missed_changed_ns = now_ns;
	}
	/* the kernel's reasons close once its count has been still for a window */
	want.missed_aged =
	    now_ns - g->missed_changed_ns >= g->window_ns ? g->missed_seen : g->user.missed_aged;
	want.held_open = now_ns < g->held_until_ns;
	return want;
}

static int write_user(struct readmit_gate_keeper *g, const struct readmit_gate *want)
{
	uint32_t key = READMIT_GATE_USER;

	if (!memcmp(want, &g->user, sizeof(*want)))
		return 0;
	if (g->fd >= 0 && bpf_map_update_elem(g->fd, &key, want, BPF_ANY))
		return -errno;
	g->user = *want;
	return 0;
}

static int read_entry(const struct readmit_gate_keeper *g, uint32_t key, struct readmit_gate *v)
{
	memset(v, 0, sizeof(*v));
	if (g->fd < 0)
		return 0;
	return bpf_map_lookup_elem(g->fd, &key, v) ? -errno : 0;
}

static uint64_t window_ns(void)
{
	const char *ms = getenv("CTRWATCH_TEST_READMIT_WINDOW_MS");
	char *end;
	unsigned long long v;

	if (!ms || !*ms)
		return READMIT_WINDOW_NS;
	errno = 0;
	v = strtoull(ms, &end, 10);
	return errno || *end || v > 3600000 ? READMIT_WINDOW_NS : v * 1000000ull;
}

int readmit_gate_open(struct readmit_gate_keeper *g, int fd, uint64_t now_ns)
{
	struct readmit_gate kernel, user;
	int err;

	memset(g, 0, sizeof(*g));
	g->fd = fd;
	g->window_ns = window_ns();
	err = read_entry(g, READMIT_GATE_KERNEL, &kernel);
	if (!err)
		err = read_entry(g, READMIT_GATE_USER, &user);
	if (err)
		return err;
	g->user = user;
	/* what the previous ctrwatch had not aged out gets a whole window again */
	g->missed_seen = user.missed_aged;
	g->missed_changed_ns = now_ns;
	if (user.held_open)
		g->held_until_ns = now_ns + g->window_ns;
	return 0;
}

int readmit_gate_hold(struct readmit_gate_keeper *g, uint64_t now_ns)
{
	struct readmit_gate want = g->user;

	g->held_until_ns = now_ns + g->window_ns;
	want.held_open = 1;
	return write_user(g, &want);
}

int readmit_gate_update(struct readmit_gate_keeper *g, uint64_t now_ns, struct readmit_gate *kernel)
{
	struct readmit_gate want;
	int err = read_entry(g, READMIT_GATE_KERNEL, kernel);

	if (err)
		return err;
	want = readmit_gate_wanted(g, kernel, now_ns);
	return write_user(g, &want);
}

bool readmit_gate_is_open(const struct readmit_gate_keeper *g)
{
	return g->user.held_open || g->missed_seen != g->user.missed_aged;
}
