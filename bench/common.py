# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Helpers shared by the benchmarks: the e2e harness (private containerd, local image), process
resource readings, and small statistics."""

import contextlib
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from harness import (CTRWATCH, IMAGE, REPO, Containerd, Ctrwatch,  # noqa: E402,F401
                     remove_cgroup_tree, tracked_maps, wait_until)

CLK_TCK = os.sysconf("SC_CLK_TCK")


def rss_kib(pid, field="VmRSS"):
    """VmRSS (all), RssAnon (private heap and stacks) or RssFile of a process, in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def ringbuf_rss_kib(pid):
    """Resident KiB of the process's BPF map mappings: the ring buffer, mapped twice."""
    total, in_map = 0, False
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            if line[0] in "0123456789abcdef" and "-" in line.split()[0]:
                in_map = line.rstrip().endswith("anon_inode:bpf-map")
            elif in_map and line.startswith("Rss:"):
                total += int(line.split()[1])
    return total


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def map_memlock(map_ids):
    out = subprocess.run(["bpftool", "-j", "map", "show"], stdout=subprocess.PIPE,
                         text=True).stdout
    import json
    return sum(m.get("bytes_memlock", 0) for m in json.loads(out) if m["id"] in map_ids)


def ctrwatch_map_ids(before):
    """Ids of the maps that appeared since `before` (a set of map ids)."""
    import json
    out = subprocess.run(["bpftool", "-j", "map", "show"], stdout=subprocess.PIPE,
                         text=True).stdout
    return {m["id"] for m in json.loads(out)} - before


def all_map_ids():
    import json
    out = subprocess.run(["bpftool", "-j", "map", "show"], stdout=subprocess.PIPE,
                         text=True).stdout
    return {m["id"] for m in json.loads(out)}


def median(values):
    v = sorted(values)
    n = len(v)
    return (v[n // 2] + v[(n - 1) // 2]) / 2 if v else float("nan")


def run_parallel(cmds, timeout=600):
    """Starts every command at once, waits for all; returns their exit codes."""
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for c in cmds]
    return [p.wait(timeout=timeout) for p in procs]


def timed(fn):
    start = time.monotonic()
    fn()
    return time.monotonic() - start


@contextlib.contextmanager
def private_containerd():
    """A started private containerd with the test image, cleaned up afterwards."""
    ctd = Containerd()
    try:
        ctd.start()
        ctd.import_image()
        yield ctd
    finally:
        ctd.cleanup()
        remove_cgroup_tree(f"/{ctd.namespace}")


def report(result, path):
    """Prints a benchmark's result and writes it where bench/run.py reads it."""
    print(json.dumps(result, indent=1))
    if path:
        with open(path, "w") as f:
            json.dump(result, f, indent=1)
