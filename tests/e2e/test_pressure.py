#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""End-to-end: ctrwatch under pressure an operator or an attacker can apply. A flood of cgroups
that look like `ctr run` containers must not cost a real container one event, and a full disk
must cost no event and no half line. Real BPF programs, a private containerd, real containers.
Needs root."""

import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import (clean_up, main, private_containerd, CTRWATCH, Ctrwatch, ensure_bpffs,  # noqa: E402
                     free_port, hierarchy_dirs, log, remove_cgroup_tree, scrape,
                     stop_every_thread, unshare_in_each, wait_until)

LIFETIME = ["container_create", "container_start", "container_exit", "container_remove"]
FLOOD = int(os.environ.get("CTRWATCH_FLOOD", "100000"))
# Bound on ctrwatch's memory growth during the flood (docs/benchmarks.md, "Pressure"): the
# lookups of lookalikes are bounded, and a lookalike containerd does not know is forgotten.
RSS_GROWTH_MAX_KIB = 16 * 1024

ctd = None
workdir = None
created_cgroups = []


def name(suffix):
    return f"ctrw-{os.getpid()}-{suffix}"


def unified_dir(rel):
    dirs = [d for d in hierarchy_dirs(rel) if "/unified/" in d] or hierarchy_dirs(rel)[-1:]
    return dirs[0]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def assert_one_lifetime(w, cid):
    evs = w.for_container(cid)
    assert [e["event"] for e in evs] == LIFETIME, [e["event"] for e in evs]
    return evs


def flood_process(parent, count):
    """A separate process that mkdirs count /<ns>/<id> lookalikes as fast as it can."""
    code = ("import os,sys\n"
            "p,n=sys.argv[1],int(sys.argv[2])\n"
            "for i in range(n): os.mkdir(os.path.join(p, 'c%d' % i))\n")
    return subprocess.Popen([sys.executable, "-c", code, parent, str(count)])


def test_lookalike_flood_costs_real_containers_nothing():
    """The flood of the hardening issue: lookalikes made as fast as a loop can, one real
    container started while it runs and one after it. Each gets its four events, enriched
    (so its lookup did not wait behind the flood's), and ctrwatch's memory stays bounded. Two
    ctrwatch at once: as the CLI runs (records given back as read) and as the unit and the
    DaemonSet run (--pin: a record keeps its room until its line is out)."""
    top = f"/ctrw-flood-{os.getpid()}"
    created_cgroups.append(top)
    pin = f"/sys/fs/bpf/ctrwatch-e2e-flood-{os.getpid()}"
    watchers = [Ctrwatch(workdir, "flood", socket=ctd.sock).start(),
                Ctrwatch(workdir, "flood-pinned", "--pin-path", pin, socket=ctd.sock).start()]
    rss_before = [rss_kib(w.proc.pid) for w in watchers]
    rss_peak = list(rss_before)
    parent = unified_dir(top)
    os.mkdir(parent)
    start = time.monotonic()
    flood = flood_process(parent, FLOOD)
    during, after = name("during"), name("after")
    try:
        wait_until(lambda: len(os.listdir(parent)) > FLOOD // 4 or flood.poll() is not None,
                   timeout=120, what="the flood to be under way")
        ctd.run(during, "/bin/sh", "-c", "/bin/true; exit 7")
        while flood.poll() is None:
            rss_peak = [max(p, rss_kib(w.proc.pid)) for p, w in zip(rss_peak, watchers)]
            time.sleep(0.1)
        log(f"made {FLOOD} lookalikes in {time.monotonic() - start:.1f}s")
        assert flood.returncode == 0
        ctd.run(after, "/bin/sh", "-c", "exit 3")
        for w in watchers:
            for cid in (during, after):
                w.wait_for(cid, "container_remove", timeout=60)
        rss_peak = [max(p, rss_kib(w.proc.pid)) for p, w in zip(rss_peak, watchers)]
        for w, before, peak in zip(watchers, rss_before, rss_peak):
            for cid, code in ((during, 7), (after, 3)):
                evs = assert_one_lifetime(w, cid)
                assert all(e["enrichment"] == "complete" for e in evs), evs[0]
                assert evs[2]["exit"]["code"] == code, evs[2]
            # Not one lookalike printed a line of its own; the flood shows as counted pressure.
            ours = {during, after}
            stray = [e for e in w.events() if e["event"].startswith("container_")
                     and e["container"]["id"] not in ours]
            assert not stray, stray[:3]
            pressure = wait_until(lambda: [e["pressure"] for e in w.events()
                                           if e["event"] == "ctrwatch_pressure"],
                                  timeout=5, what="a ctrwatch_pressure line")
            lost = [e["lost"] for e in w.events() if e["event"] == "ctrwatch_lost"]
            log(f"{os.path.basename(w.out_path)}: pressure: {pressure[-3:]}; lost: {lost[-3:]}; "
                f"rss {before} -> peak {peak} KiB")
            log("readmitted: " + str([(e["container"]["id"], e["event"]) for e in w.events()
                                      if e.get("readmitted")]))
            assert sum(p["lookalikes_forgotten"] for p in pressure) > 0, pressure
            assert peak - before < RSS_GROWTH_MAX_KIB, (before, peak)
            assert w.proc.poll() is None, w.stderr()[-2000:]
    finally:
        if flood.poll() is None:
            flood.kill()
            flood.wait()
        start = time.monotonic()
        remove_cgroup_tree(top)
        log(f"removed the lookalikes in {time.monotonic() - start:.1f}s")
        for w in watchers:
            assert w.stop() == 0, w.stderr()[-2000:]
        subprocess.run([CTRWATCH, "--cleanup", "--pin-path", pin], capture_output=True)


def test_forgotten_lookalike_that_starts_is_readmitted():
    """A /<ns>/<id> directory containerd does not know is let go, in the kernel too; when a
    program then enters new namespaces in it (a container made by hand with unshare), the kernel
    tracks it again and its whole lifetime is reported."""
    top = f"/ctrw-byhand-{os.getpid()}"
    created_cgroups.append(top)
    w = Ctrwatch(workdir, "byhand", socket=ctd.sock).start()
    try:
        leaf = os.path.join(unified_dir(top), "box")
        os.makedirs(leaf)
        cgroup_id = os.stat(leaf).st_ino
        wait_until(lambda: cgroup_id not in w.tracked(), timeout=10,
                   what="the lookalike to leave the kernel map")
        assert not [e for e in w.events() if "container" in e], w.events()
        # Into the cgroup, then unshare(1) enters a new mount namespace and runs /bin/true.
        subprocess.run(["sh", "-c", f"echo $$ > {leaf}/cgroup.procs && "
                        "exec unshare --mount /bin/sh -c '/bin/true; exit 5'"], check=False)
        os.rmdir(leaf)
        w.wait_for("box", "container_remove")
        evs = assert_one_lifetime(w, "box")
        assert evs[0].get("readmitted") is True and evs[0]["container"]["cgroup_path"] == \
            f"{top}/box", evs[0]
        assert evs[0]["container"]["cgroup_id"] == cgroup_id, evs[0]
        assert evs[1]["process"]["exe"] == "/bin/sh", evs[1]
        assert evs[2]["exit"]["code"] == 5, evs[2]
        assert all(e["enrichment"] == "none" for e in evs), evs
    finally:
        remove_cgroup_tree(top)
        assert w.stop() == 0, w.stderr()[-2000:]


def test_container_made_while_the_ring_buffer_is_full_is_readmitted_at_start():
    """ctrwatch frozen, a small ring buffer filled past its bulk share with lookalikes' mkdirs:
    a real container's mkdir cannot be queued, so the kernel leaves it untracked; its start
    brings it back (the last quarter of the buffer is kept for that), and all four events come,
    enriched, with the skipped mkdirs counted as lost. Starts in 150 more untracked cgroups,
    still frozen, are readmitted only until the buffer's last eighth, then refused for room and
    counted: the container's exit, made after them, still finds room."""
    top = f"/ctrw-frozen-{os.getpid()}"
    created_cgroups.append(top)
    port = free_port()
    w = Ctrwatch(workdir, "frozen", "--lifecycle-ringbuf-size", "64K", "--metrics-address",
                 f"127.0.0.1:{port}", socket=ctd.sock).start()
    cid = name("frozen")
    try:
        parent = unified_dir(top)
        os.mkdir(parent)
        stop_every_thread(w.proc.pid)
        for i in range(400):  # 64K holds ~220 cgroup records; 3/4 of it ~170
            os.mkdir(os.path.join(parent, f"c{i}"))
        ctd.run(cid, "/bin/sh", "-c", "sleep 60", detach=True, check=True)
        unshare_in_each([os.path.join(parent, f"c{i}") for i in range(250, 400)])
        ctd.kill(cid)
        wait_until(lambda: [t for t in ctd.ctr("task", "ls").stdout.decode().splitlines()
                            if t.startswith(cid + " ") and "STOPPED" in t], what="its exit")
        w.proc.send_signal(signal.SIGCONT)
        w.wait_for(cid, "container_exit")
        ctd.remove(cid)  # not before: it is asked of containerd after the thaw
        w.wait_for(cid, "container_remove")
        evs = assert_one_lifetime(w, cid)
        assert evs[0].get("readmitted") is True, evs[0]
        assert all(e["enrichment"] == "complete" for e in evs), evs
        assert evs[2]["exit"]["signal"] == 9, evs[2]
        lost = wait_until(lambda: [e["lost"] for e in w.events()
                                   if e["event"] == "ctrwatch_lost"], what="ctrwatch_lost")
        assert sum(x["cgroup_mkdir"] for x in lost) > 0, lost
        assert sum(x["container_start"] + x["container_exit"] + x["cgroup_rmdir"]
                   for x in lost) == 0, lost
        readmitted = wait_until(lambda: {r: scrape(port, "ctrwatch_kernel_readmissions_total",
                                                   result=r) for r in ("sent", "room")}
                                if scrape(port, "ctrwatch_kernel_readmissions_total",
                                          result="room") else None,
                                what="readmissions refused for room")
        log(f"frozen: readmissions {readmitted}")
        assert readmitted["sent"] >= 2 and readmitted["room"] > 0, readmitted
    finally:
        w.proc.send_signal(signal.SIGCONT)
        remove_cgroup_tree(top)
        assert w.stop() == 0, w.stderr()[-2000:]


def test_full_disk_loses_nothing_and_never_writes_half_a_line():
    """--output on a tiny tmpfs that fills up, then gets room again: while full, the file holds
    only whole lines; afterwards every event is there exactly once, in order. The heartbeats
    made meanwhile (--heartbeat 1s) waited in order with the events and say how long the output
    had been stalled; the first after the stall says 0 again."""
    disk = os.path.join(workdir, "disk")
    os.mkdir(disk)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", disk], check=True)
    w = None
    try:
        filler = os.path.join(disk, "filler")
        with open(filler, "wb") as f:
            f.write(b"f" * (56 * 1024))  # a page for the log, one for ~3 lines
        port = free_port()
        w = Ctrwatch(disk, "full", "--heartbeat", "1s", "--metrics-address",
                     f"127.0.0.1:{port}", socket=ctd.sock).start()
        cids = [name(f"disk{i}") for i in range(4)]
        for cid in cids:
            ctd.run(cid, "/bin/sh", "-c", "exit 0", check=True)
        wait_until(lambda: "cannot write to" in w.stderr(), what="the full-disk warning")
        assert w.stderr().count("cannot write to") == 1, w.stderr()  # said once
        full = w.events()  # parses: whole lines only, ending in a newline
        assert len(full) < 4 * len(LIFETIME), len(full)
        # two heartbeats made while the disk is full, by ctrwatch's own account
        wait_until(lambda: scrape(port, "ctrwatch_output_stalled_seconds") >= 2.0,
                   what="the output stalled for two heartbeats")
        os.unlink(filler)
        for cid in cids:
            w.wait_for(cid, "container_remove", timeout=20)
        for cid in cids:
            assert_one_lifetime(w, cid)

        def after_stall():
            beats = [e["heartbeat"] for e in w.events() if e["event"] == "ctrwatch_heartbeat"]
            stalled = [b for b in beats if b["output_stalled_ms"] > 0]
            return beats if stalled and beats[-1]["output_stalled_ms"] == 0 else None
        beats = wait_until(after_stall, timeout=10, what="a heartbeat after the stall")
        stalls = [b["output_stalled_ms"] for b in beats if b["output_stalled_ms"]]
        log(f"heartbeats' output_stalled_ms: {[b['output_stalled_ms'] for b in beats]}")
        assert len(stalls) >= 2 and stalls == sorted(stalls), stalls
        assert [b["uptime_s"] for b in beats] == sorted(b["uptime_s"] for b in beats)
        assert "again" in w.stderr(), w.stderr()
        assert w.proc.poll() is None, w.stderr()
        log(f"{len(full)} lines fit before the disk was full, "
            f"{len(w.events())} after it had room")
    finally:
        if w:
            assert w.stop() == 0, w.stderr()[-2000:]
        subprocess.run(["umount", disk], check=False)


def setup():
    global ctd, workdir
    ensure_bpffs()  # the flood's second ctrwatch pins; clean_up() unmounts what this mounted
    ctd = private_containerd()
    workdir = ctd.dir


def teardown():
    clean_up(ctd, cgroups=created_cgroups)


if __name__ == "__main__":
    main("e2e-pressure", globals(), setup, teardown)
