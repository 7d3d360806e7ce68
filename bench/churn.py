#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Churn: C containers created and removed, B at a time. Every one must have its create, start,
exit and remove; ctrwatch's userspace CPU time per container is reported.
usage: churn.py [--containers C] [--batch B] [--json OUT]"""

import argparse
import os

from common import Ctrwatch, cpu_seconds, private_containerd, report, run_parallel


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--containers", type=int, default=300)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--json")
    args = ap.parse_args()
    with private_containerd() as ctd:
        w = Ctrwatch(ctd.dir, "churn", socket=ctd.sock).start()
        cpu0 = cpu_seconds(w.proc.pid)
        ids = [f"churn-{os.getpid()}-{i}" for i in range(args.containers)]
        for b in range(0, len(ids), args.batch):
            run_parallel([["ctr", "-a", ctd.sock, "-n", ctd.namespace, "run", "--rm",
                           "docker.io/ctrwatch/busybox:test", cid, "/bin/true"]
                          for cid in ids[b:b + args.batch]])
        for cid in ids:
            try:
                w.wait_for(cid, "container_remove", timeout=30)
            except AssertionError:
                pass
        cpu = cpu_seconds(w.proc.pid) - cpu0
        by_id = {}
        for e in w.events():
            by_id.setdefault(e.get("container", {}).get("id"), []).append(e["event"])
        complete = sum(by_id.get(cid) == ["container_create", "container_start",
                                          "container_exit", "container_remove"] for cid in ids)
        enriched = sum(1 for e in w.events() if e.get("enrichment") == "complete")
        w.stop()
    result = {"containers": args.containers, "batch": args.batch,
              "with_all_four_events": complete, "enriched_lines": enriched,
              "cpu_ms_per_container": round(cpu * 1000 / args.containers, 3)}
    report(result, args.json)


if __name__ == "__main__":
    main()
