#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""No loss under bursts, at the default ring buffer size:
  1. C containers started at once: each must show create, start, exit, remove;
  2. an exec burst inside containers with --exec: E execs over P containers in parallel; every
     exec must be printed, and the lost counters must stay zero;
  3. where loss starts: the same burst with ctrwatch's reader frozen (SIGSTOP), which is what
     a stalled reader costs: exec records stop at 3/4 of the buffer and are counted.
usage: burst.py [--containers C] [--execs E] [--parallel P] [--json OUT]"""

import argparse
import os
import signal
import time

from common import Ctrwatch, private_containerd, report, run_parallel

LOOP = "i=0; while [ $i -lt {n} ]; do /bin/true; i=$((i+1)); done"


def lost_total(w, kind=None):
    return sum(e["lost"][kind] if kind else e["lost"]["total"]
               for e in w.events() if e["event"] == "ctrwatch_lost")


def exec_burst(ctd, w, prefix, execs, parallel):
    per = execs // parallel
    ids = [f"{prefix}-{i}" for i in range(parallel)]
    run_parallel([["ctr", "-a", ctd.sock, "-n", ctd.namespace, "run", "--rm",
                   "docker.io/ctrwatch/busybox:test", cid, "/bin/sh", "-c", LOOP.format(n=per)]
                  for cid in ids], timeout=3600)
    for cid in ids:
        w.wait_for(cid, "container_remove", timeout=60)
    return ids, per * parallel


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--containers", type=int, default=50)
    ap.add_argument("--execs", type=int, default=100000)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--json")
    args = ap.parse_args()
    result = {}
    with private_containerd() as ctd:
        w = Ctrwatch(ctd.dir, "burst", "--exec", socket=ctd.sock).start()

        ids = [f"burst-{os.getpid()}-{i}" for i in range(args.containers)]
        run_parallel([["ctr", "-a", ctd.sock, "-n", ctd.namespace, "run", "--rm",
                       "docker.io/ctrwatch/busybox:test", cid, "/bin/true"] for cid in ids])
        complete = 0
        for cid in ids:
            try:
                w.wait_for(cid, "container_remove", timeout=60)
            except AssertionError:
                pass
            evs = [e["event"] for e in w.for_container(cid) if e["event"] != "process_exec"]
            complete += evs == ["container_create", "container_start", "container_exit",
                                "container_remove"]
        result["containers_at_once"] = {"started": len(ids), "with_all_four_events": complete,
                                        "lost": lost_total(w)}

        start = time.monotonic()
        ids, expected = exec_burst(ctd, w, f"execs-{os.getpid()}", args.execs, args.parallel)
        seconds = time.monotonic() - start
        printed = sum(1 for cid in ids for e in w.for_container(cid)
                      if e["event"] == "process_exec")
        result["exec_burst"] = {"expected": expected, "printed": printed,
                                "lost": lost_total(w, "process_exec"),
                                "execs_per_s": round(expected / seconds)}
        assert w.stop() == 0

        # Frozen reader: how many exec records the default buffer holds before loss starts.
        frozen = Ctrwatch(ctd.dir, "frozen", "--exec", socket=ctd.sock).start()
        n = min(args.execs, 12000)
        frozen.proc.send_signal(signal.SIGSTOP)
        try:
            ids, expected = exec_burst_frozen(ctd, n)
        finally:
            frozen.proc.send_signal(signal.SIGCONT)
        for cid in ids:
            frozen.wait_for(cid, "container_remove", timeout=60)
        frozen.stop()
        printed = sum(1 for cid in ids for e in frozen.for_container(cid)
                      if e["event"] == "process_exec")
        result["frozen_reader"] = {"execs": expected, "printed": printed,
                                   "lost": lost_total(frozen, "process_exec"),
                                   "lifecycle_lost": lost_total(frozen) -
                                   lost_total(frozen, "process_exec")}
    report(result, args.json)


def exec_burst_frozen(ctd, n):
    cid = f"frozen-{os.getpid()}"
    ctd.run(cid, "/bin/sh", "-c", LOOP.format(n=n), check=True, timeout=3600)
    return [cid], n


if __name__ == "__main__":
    main()
