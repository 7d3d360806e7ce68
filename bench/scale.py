#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Memory and startup with many live containers:
  - startup: from exec of ctrwatch to its "ready:" line (programs attached, running containers
    reported) with 0 and with S running containers;
  - memory: ctrwatch's RSS idle, and with N live containers tracked and enriched, with default
    flags and with --exec (a second ctrwatch beside it); the memlock of its BPF maps.
usage: scale.py [--startup-containers S] [--containers N] [--json OUT]"""

import argparse
import os
import subprocess
import time

from common import (CTRWATCH, Ctrwatch, all_map_ids, ctrwatch_map_ids, map_memlock, median,
                    private_containerd, report, ringbuf_rss_kib, rss_kib, run_parallel,
                    wait_until)


def startup_ms(ctd, runs=3, exits=None):
    """Median ms from exec to "ready:"; exits, if given, gets each run's ms from SIGTERM to
    its exit (the tests judge no latency: here it is measured)."""
    out = []
    for i in range(runs):
        err = os.path.join(ctd.dir, f"startup-{i}.err")
        start = time.monotonic()
        p = subprocess.Popen([CTRWATCH, "--containerd-socket", ctd.sock, "-o", "/dev/null"],
                             stderr=open(err, "w"))
        wait_until(lambda: "ready:" in open(err).read(), timeout=60, interval=0.001,
                   what="ready")
        out.append((time.monotonic() - start) * 1000)
        start = time.monotonic()
        p.terminate()
        p.wait()
        if exits is not None:
            exits.append((time.monotonic() - start) * 1000)
    return round(median(out), 1)


def start_containers(ctd, first, count, batch=20):
    for b in range(first, first + count, batch):
        run_parallel([["ctr", "-a", ctd.sock, "-n", ctd.namespace, "run", "-d",
                       "docker.io/ctrwatch/busybox:test", f"live-{i}", "/bin/sleep", "3600"]
                      for i in range(b, min(b + batch, first + count))])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--startup-containers", type=int, default=100)
    ap.add_argument("--containers", type=int, default=500)
    ap.add_argument("--json")
    args = ap.parse_args()
    result = {}
    with private_containerd() as ctd:
        exits = []
        result["startup_ms_idle"] = startup_ms(ctd, exits=exits)
        result["sigterm_exit_ms_idle"] = round(median(exits), 1)
        before = all_map_ids()
        w = Ctrwatch(ctd.dir, "scale", socket=ctd.sock).start()
        maps = ctrwatch_map_ids(before)
        before = all_map_ids()
        wx = Ctrwatch(ctd.dir, "scale-exec", "--exec", socket=ctd.sock).start()
        exec_maps = ctrwatch_map_ids(before)
        time.sleep(1)
        result["rss_kib_idle"] = rss_kib(w.proc.pid)
        result["rss_anon_kib_idle"] = rss_kib(w.proc.pid, "RssAnon")
        result["ringbuf_mapping_kib"] = ringbuf_rss_kib(w.proc.pid)
        result["bpf_memlock_bytes"] = map_memlock(maps)
        result["exec_rss_kib_idle"] = rss_kib(wx.proc.pid)
        result["exec_ringbuf_mapping_kib"] = ringbuf_rss_kib(wx.proc.pid)
        result["exec_bpf_memlock_bytes"] = map_memlock(exec_maps)
        start_containers(ctd, 0, args.startup_containers)
        result["startup_containers"] = args.startup_containers
        result["startup_ms_loaded"] = startup_ms(ctd)
        start_containers(ctd, args.startup_containers,
                         args.containers - args.startup_containers)
        for x in (w, wx):
            wait_until(lambda: sum(e["event"] == "container_start" and
                                   e["enrichment"] == "complete"
                                   for e in x.events()) >= args.containers, timeout=300,
                       what="every container reported, enriched")
        time.sleep(1)
        result["live_containers"] = args.containers
        result["rss_kib_loaded"] = rss_kib(w.proc.pid)
        result["rss_anon_kib_loaded"] = rss_kib(w.proc.pid, "RssAnon")
        result["exec_rss_kib_loaded"] = rss_kib(wx.proc.pid)
        wx.stop()
        w.stop()
    report(result, args.json)


if __name__ == "__main__":
    main()
