#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Detection latency: from the kernel event (the container_start line's "time") to the moment
its line is read from ctrwatch's stdout, for ctrwatch enriched and un-enriched, beside the
moment a subscriber of containerd's own event stream (`ctr events`) receives /tasks/start for
the same container. usage: latency.py [--containers N] [--json OUT] [--samples OUT]"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from harness import CTRWATCH, Containerd, remove_cgroup_tree, wait_until  # noqa: E402


def rfc3339_ns(t):
    """'2026-11-22T20:05:26.433405765Z' -> ns since the epoch."""
    import calendar
    date, frac = t[:-1].split(".")
    sec = calendar.timegm(time.strptime(date, "%Y-%m-%dT%H:%M:%S"))
    return sec * 1_000_000_000 + int(frac.ljust(9, "0"))


STAMPER = r"""
import os, sys, time
out = open(sys.argv[1], "w")
for line in sys.stdin.buffer:
    out.write(f"{time.time_ns()}\t{line.decode(errors='replace')}")
    out.flush()
"""


class LineReader:
    """Timestamps every line of a process's stdout as it arrives, in a separate single-threaded
    process: a reader thread here would wait for the GIL (up to 5 ms) before it could look at
    the clock."""

    def __init__(self, argv, stamp_path):
        self.path = stamp_path
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.stamper = subprocess.Popen([sys.executable, "-u", "-c", STAMPER, stamp_path],
                                        stdin=self.proc.stdout)
        self.proc.stdout.close()

    @property
    def lines(self):
        if not os.path.exists(self.path):
            return []
        out = []
        with open(self.path) as f:
            for row in f:
                if "\t" in row and row.endswith("\n"):
                    ns, line = row.split("\t", 1)
                    out.append((int(ns), line))
        return out

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.stamper.wait(timeout=10)


def start_arrivals(reader):
    """{container id: (kernel ns, arrival ns, enrichment)} of container_start lines."""
    out = {}
    for arrival, raw in reader.lines:
        ev = json.loads(raw)
        if ev["event"] == "container_start":
            out[ev["container"]["id"]] = (rfc3339_ns(ev["time"]), arrival, ev["enrichment"])
    return out


NICE = os.environ.get("CTRWATCH_NICE", "").split()


def percentile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--containers", type=int, default=200)
    ap.add_argument("--json")
    ap.add_argument("--samples", help="write ms latencies, one column per source")
    args = ap.parse_args()

    ctd = Containerd()
    readers = []
    try:
        ctd.start()
        ctd.import_image()
        enriched = LineReader(NICE + [CTRWATCH, "--containerd-socket", ctd.sock],
                              f"{ctd.dir}/enriched.stamped")
        plain = LineReader([CTRWATCH, "--containerd-socket", f"{ctd.dir}/absent.sock"],
                           f"{ctd.dir}/plain.stamped")
        events = LineReader(["ctr", "-a", ctd.sock, "events"], f"{ctd.dir}/events.stamped")
        readers = [enriched, plain, events]
        time.sleep(1.5)  # attached and subscribed
        ids = []
        for i in range(args.containers):
            cid = f"lat-{os.getpid()}-{i}"
            ids.append(cid)
            ctd.run(cid, "/bin/true", check=True)
        wait_until(lambda: len(start_arrivals(enriched)) >= len(ids), timeout=30,
                   what="every start line")
        time.sleep(0.5)

        e, p = start_arrivals(enriched), start_arrivals(plain)
        event_lines = events.lines
    finally:
        for r in readers:
            r.stop()
        ctd.cleanup()
        remove_cgroup_tree(f"/{ctd.namespace}")

    ctd_arrival = {}
    for arrival, text in event_lines:
        if "/tasks/start" in text and "{" in text:
            cid = json.loads(text[text.index("{"):]).get("container_id")
            ctd_arrival[cid] = arrival
    rows = {"enriched": [], "unenriched": [], "containerd_events": [], "complete": 0}
    for cid in ids:
        if cid not in e or cid not in p:
            continue
        kernel = e[cid][0]
        rows["enriched"].append((e[cid][1] - kernel) / 1e6)
        rows["unenriched"].append((p[cid][1] - kernel) / 1e6)
        rows["complete"] += e[cid][2] == "complete"
        if cid in ctd_arrival:
            rows["containerd_events"].append((ctd_arrival[cid] - kernel) / 1e6)
    result = {"containers": len(rows["enriched"]), "complete": rows["complete"]}
    for k in ("enriched", "unenriched", "containerd_events"):
        result[k] = {"p50_ms": round(percentile(rows[k], 50), 3),
                     "p99_ms": round(percentile(rows[k], 99), 3),
                     "max_ms": round(max(rows[k]), 3) if rows[k] else None,
                     "n": len(rows[k])}
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    if args.samples:
        with open(args.samples, "w") as f:
            for k in ("enriched", "unenriched", "containerd_events"):
                f.write(f"# {k}\n" + "\n".join(f"{v:.4f}" for v in sorted(rows[k])) + "\n\n\n")


if __name__ == "__main__":
    main()
