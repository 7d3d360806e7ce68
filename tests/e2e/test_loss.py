#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""End-to-end: what ctrwatch cannot report is itself reported, and its own diagnostics (libbpf's
included) keep the log format asked for. Runs its own ctrwatch, without containerd, so that a flood
of cgroups here costs no other suite a lookup. Needs root."""

import json
import os
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import (main, Ctrwatch, hierarchy_dirs, log, remove_cgroup_tree,  # noqa: E402
                     stop_every_thread, wait_until)

workdir = None
created_cgroups = []


def unified_dir(rel):
    dirs = [d for d in hierarchy_dirs(rel) if "/unified/" in d] or hierarchy_dirs(rel)[-1:]
    return dirs[0]


def lost_lines(w):
    return [e["lost"] for e in w.events() if e["event"] == "ctrwatch_lost"]


def test_full_tracking_map_is_reported_as_untracked():
    """More /<ns>/<id> lookalikes than the kernel map holds, made while ctrwatch is stopped (so
    that it cannot let them go first): the ones the map had no room for are counted in the kernel
    and reported, never dropped in silence."""
    extra, max_cgroups = 300, 256
    top = f"/ctrw-mapfull-{os.getpid()}"
    created_cgroups.append(top)
    w = Ctrwatch(workdir, "mapfull", "--max-cgroups", str(max_cgroups),
                 socket="/nonexistent/containerd.sock").start()
    try:
        parent = unified_dir(top)
        os.mkdir(parent)
        stop_every_thread(w.proc.pid)
        for i in range(max_cgroups + extra):
            os.mkdir(os.path.join(parent, f"c{i}"))
        w.proc.send_signal(signal.SIGCONT)
        lost = wait_until(lambda: [x for x in lost_lines(w) if x["untracked"]], timeout=20,
                          what="a ctrwatch_lost line with untracked")
        untracked = sum(x["untracked"] for x in lost_lines(w))
        # Whatever else the map held (containers running on this host) only adds to the count.
        assert untracked >= extra, lost
        assert all(x["total"] == sum(v for k, v in x.items() if k != "total")
                   for x in lost_lines(w)), lost
        assert "tracking map is full" in w.stderr(), w.stderr()
        # Not one lookalike was confirmed, so none printed a line of its own.
        assert not [e for e in w.events() if e["event"].startswith("container_")], \
            w.events()[:3]
    finally:
        w.proc.send_signal(signal.SIGCONT)
        remove_cgroup_tree(top)
        assert w.stop() == 0, w.stderr()[-2000:]


def test_libbpf_messages_follow_the_json_log_format():
    w = Ctrwatch(workdir, "jsonlog", "-v", "--log-format", "json",
                 socket="/nonexistent/containerd.sock").start()
    assert w.stop() == 0, w.stderr()
    lines = w.stderr().splitlines()
    parsed = [json.loads(line) for line in lines]  # a raw line fails here
    assert all(set(p) == {"time", "level", "msg"} for p in parsed), parsed[:3]
    libbpf = [p for p in parsed if p["msg"].startswith("libbpf: ")]
    assert libbpf, "no libbpf message with -v"
    assert all(p["level"] == "debug" and "\n" not in p["msg"] for p in libbpf), libbpf[:3]


def test_libbpf_is_quiet_without_verbose():
    w = Ctrwatch(workdir, "quiet", socket="/nonexistent/containerd.sock").start()
    assert w.stop() == 0, w.stderr()
    assert "libbpf" not in w.stderr(), w.stderr()


def setup():
    global workdir
    workdir = tempfile.mkdtemp(prefix="ctrwatch-e2e-loss.")


def teardown():
    for cg in created_cgroups:
        remove_cgroup_tree(cg)
    if workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main("e2e-loss", globals(), setup, teardown)
