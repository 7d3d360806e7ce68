#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""End-to-end: no blind window under churn. 50 containers start, run a little, exit and are
removed while a pinned ctrwatch is killed with SIGKILL 10 times and stopped with SIGTERM 10
times, at random moments, and restarted each time: every container's create, start, exit and
remove is printed, in order, once (a line printed again after a SIGKILL carries the same seq);
no two events share a seq. Then a 10-second outage: what happened in it, received / expected,
and the time from start to the first line of the backlog. Root."""

import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import (clean_up, main, CTRWATCH, Churn, Ctrwatch, ensure_bpffs, log,  # noqa: E402
                     private_containerd, wait_until)

LIFETIME = ["container_create", "container_start", "container_exit", "container_remove"]
CONTAINERS = int(os.environ.get("CTRWATCH_CHURN_CONTAINERS", "50"))
ctd = None
workdir = None
pin = f"/sys/fs/bpf/ctrwatch-e2e-churn-{os.getpid()}"


def pinned(name):
    return Ctrwatch(workdir, name, "--pin-path", pin, socket=ctd.sock)


def check_runs(runs, ids):
    """runs: [(ctrwatch, how it ended)] in order. Each container's lifetime once and in order;
    a line printed again only after a SIGKILL, with its seq; seqs never shared."""
    by_seq, twice = {}, 0
    lines = [(e, how) for w, how in runs for e in w.events()]
    seen = {cid: [] for cid in ids}  # (event, seq) first printings, in output order
    printed_by = {}
    for e, how in lines:
        if "seq" not in e:
            continue
        key = (e["container"]["id"], e["event"], e.get("process", {}).get("pid"))
        assert by_seq.setdefault(e["seq"], key) == key, \
            f"seq {e['seq']} is {by_seq[e['seq']]} and {key}"
        cid = e["container"]["id"]
        if cid not in seen or e["event"] == "process_exec":
            continue
        if (e["event"], e["seq"]) in seen[cid]:
            twice += 1
            assert printed_by[(cid, e["seq"])] == "SIGKILL", \
                f"{cid} {e['event']} printed twice, the first time by a run stopped with " \
                f"{printed_by[(cid, e['seq'])]}"
            continue
        seen[cid].append((e["event"], e["seq"]))
        if e["event"] == "container_exit":
            assert e["exit"]["code"] == Churn.exit_code(cid), e
        printed_by[(cid, e["seq"])] = how
    for cid, got in seen.items():
        assert [ev for ev, _ in got] == LIFETIME, (cid, got, [
            (i, how, e["event"], e.get("seq"), e.get("readmitted"))
            for i, (w, how) in enumerate(runs) for e in w.events()
            if e.get("container", {}).get("id") == cid or e["event"].startswith("ctrwatch")])
        seqs = [s for _, s in got]
        assert seqs == sorted(seqs), (cid, got)
    existing = [e for e, _ in lines if e["event"] == "container_existing"]
    assert not [e for e in existing if e["container"]["id"] in seen], existing
    return twice


def test_restarts_at_random_moments_lose_and_double_nothing():
    stops = ["SIGKILL"] * 10 + ["SIGTERM"] * 10
    random.shuffle(stops)
    runs = []
    first = pinned("churn-0").start()
    churn = Churn(ctd, f"churn-{os.getpid()}", CONTAINERS, workers=3).start()
    w = first
    for i, how in enumerate(stops, 1):
        time.sleep(random.uniform(0.05, 0.8))
        w.stop(getattr(signal, how))
        runs.append((w, how))
        time.sleep(random.uniform(0, 0.3))  # nobody reads
        w = pinned(f"churn-{i}").start()
    try:
        ids = churn.join()

        def missing():
            removed = {e["container"]["id"] for r in [w] + [r for r, _ in runs]
                       for e in r.events() if e["event"] == "container_remove"}
            return set(ids) - removed

        try:
            wait_until(lambda: not missing(), timeout=30, what="every container's remove")
        except AssertionError:
            left = missing()
            every = runs + [(w, "last")]
            seen_in = [(i, how, e["event"], e.get("seq"), e.get("enrichment"))
                       for i, (r, how) in enumerate(every) for e in r.events()
                       if e.get("container", {}).get("id") in left]
            last = max([i for i, *_ in seen_in], default=0)
            stderrs = "".join(f"\n-- run {i} ({how}):\n{r.stderr()[-800:]}"
                              for i, (r, how) in enumerate(every) if last <= i <= last + 2)
            raise AssertionError(f"no remove for {sorted(left)}: {seen_in}{stderrs}")
    finally:
        assert w.stop() == 0
    runs.append((w, "SIGTERM"))
    twice = check_runs(runs, ids)
    log(f"{len(ids)} containers, {len(stops)} restarts ({stops.count('SIGKILL')} SIGKILL): "
        f"{4 * len(ids)} events printed, {twice} of them twice (same seq)")


def unread_bytes():
    st = subprocess.run([CTRWATCH, "--status", "--pin-path", pin], capture_output=True,
                        text=True).stdout
    return int(st.split("unread: ")[1].split()[0])


def test_a_ten_second_outage_is_printed_by_the_next_start():
    """The figures of docs/architecture.md: received / expected for a 10 s outage with
    containers churning through it, the ring buffer bytes one lifetime costs, and the time from
    starting ctrwatch to the first line of the backlog."""
    w = pinned("outage-before").start()
    w.stop(signal.SIGKILL)
    base = unread_bytes()
    churn = Churn(ctd, f"outage-{os.getpid()}", run_for=(0.0, 0.1)).start()
    time.sleep(10)
    ids = churn.stop()
    time.sleep(0.5)
    per_lifetime = (unread_bytes() - base) / len(ids)
    started = time.monotonic()
    after = pinned("outage-after")
    after.start()
    try:
        wait_until(lambda: after.events(), timeout=30, what="the first line of the backlog")
        first_line = time.monotonic() - started
        for cid in ids:
            after.wait_for(cid, "container_remove", timeout=30)
    finally:
        assert after.stop() == 0
    got = [e for e in after.events() if e.get("container", {}).get("id") in set(ids)]
    expected = 4 * len(ids)
    assert len(got) == expected, (len(got), expected)
    log(f"10 s outage: {len(ids)} containers, events received / expected: "
        f"{len(got)} / {expected}; {per_lifetime:.0f} ring buffer bytes per lifetime; "
        f"first backlog line {first_line * 1000:.0f} ms after start")


def setup():
    global ctd, workdir
    ensure_bpffs()
    ctd = private_containerd()
    workdir = ctd.dir


def teardown():
    clean_up(ctd, pins=[pin])


if __name__ == "__main__":
    main("e2e-restart-churn", globals(), setup, teardown)
