#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Kernel cost per exec (kernel.bpf_stats_enabled: run_time_ns / run_cnt), measured in one run
with everything attached at once, so every program sees the same execs:
  - an empty tp_btf/sched_process_exec program (the floor of this measure),
  - ctrwatch (no --exec) and ctrwatch --exec,
  - libbpf-tools execsnoop (sys_enter/sys_exit_execve tracepoints),
  - a bpftrace one-liner printing each exec from tracepoint:sched:sched_process_exec,
first for host processes (the filter path), then for processes inside a container. Then
ctrwatch's start path (a container's entrypoint: the record, its posture, the map's update) by
difference: N cgroups each made, entered and left by one shell, in each of which a program runs
either in a new mount namespace (`unshare -m /bin/true`: a start) or plainly (`/bin/true`: a
runtime helper's exec, ignored); the same host execs around both (mkdir, rmdir), so the
difference of their summed run time over N is what a start costs.
usage: exec_cost.py [--execs N] [--json OUT]"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from harness import (CTRWATCH, REPO, Containerd, Ctrwatch, cgroup2_dir,  # noqa: E402
                     remove_cgroup_tree, wait_until)

BUILD = os.path.join(REPO, "build", "bench")


def prog_stats():
    """{program id: (name, run_time_ns, run_cnt)} for every loaded program."""
    progs = json.loads(subprocess.run(["bpftool", "-j", "prog", "show"], check=True,
                                      stdout=subprocess.PIPE, text=True).stdout)
    return {p["id"]: (p.get("name", ""), p.get("run_time_ns", 0), p.get("run_cnt", 0))
            for p in progs}


def delta(before, after, ids, name_prefix=""):
    """Summed run_time_ns and the largest run_cnt delta of the programs ids (only the one named
    name_prefix, if given).
    (execsnoop has two programs per exec, enter and exit: their times add up, the count is
    one per exec.)"""
    ns = cnt = 0
    for i in ids:
        if i not in after or (name_prefix and after[i][0] != name_prefix):
            continue
        _, bt, bc = before.get(i, ("", 0, 0))
        _, t, c = after[i]
        ns += t - bt
        cnt = max(cnt, c - bc)
    return ns, cnt


class Tool:
    def __init__(self, label, argv, ready, name_prefix=""):
        self.label, self.argv, self.ready, self.prefix = label, argv, ready, name_prefix
        self.proc = None

    def start(self, logdir):
        """Starts the tool; its programs are the ones that appeared meanwhile (bpftool here
        cannot name a program's owner)."""
        known = set(prog_stats())
        log = os.path.join(logdir, self.label.replace(" ", "_") + ".log")
        self.log = log
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL if self.ready is None
                                     else open(log, "w"), stderr=subprocess.STDOUT)
        time.sleep(0.2)
        if self.ready:
            wait_until(lambda: self.proc.poll() is not None or self.ready in open(log).read(),
                       timeout=60, what=f"{self.label} to attach")
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.label} exited: {open(log).read()[-500:]}")
        wait_until(lambda: set(prog_stats()) - known, timeout=30,
                   what=f"{self.label}'s programs")
        time.sleep(0.5)
        self.ids = set(prog_stats()) - known

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def spawn_on_host(n):
    subprocess.run(["sh", "-c", f"i=0; while [ $i -lt {n} ]; do /bin/true; i=$((i+1)); done"],
                   check=True)


def start_loop(top, n, start):
    """n cgroups /top/c<i> (containerd's /<namespace>/<id> form: tracked at mkdir), each
    entered by one shell that runs a program there, leaves and removes it."""
    os.makedirs(top, exist_ok=True)
    prog = "unshare -m /bin/true" if start else "/bin/true"
    with open("/proc/self/cgroup") as f:  # the shell's, as it starts: where it goes back to
        home = cgroup2_dir([line[3:].strip() for line in f if line.startswith("0::")][0])
    subprocess.run(["sh", "-c", f'i=0; while [ $i -lt {n} ]; do d={top}/c$i; mkdir $d; '
                    f'echo $$ > $d/cgroup.procs; {prog}; echo $$ > {home}/cgroup.procs; '
                    f'rmdir $d; i=$((i+1)); done'], check=True, timeout=600)


def measure(tools, workload):
    before = prog_stats()
    workload()
    time.sleep(0.3)
    after = prog_stats()
    return {t.label: delta(before, after, t.ids, t.prefix) for t in tools}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--execs", type=int, default=5000)
    ap.add_argument("--json")
    args = ap.parse_args()
    os.makedirs(BUILD, exist_ok=True)
    subprocess.run(["make", "-s", "-C", REPO, "ctrwatch", "build/bench/empty_exec.bpf.o",
                    "build/bench/attach_object"], check=True)

    stats_before = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
    mounted_tracefs = False
    if not os.path.exists("/sys/kernel/tracing/events"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"], check=True)
        mounted_tracefs = True
    ctd = Containerd()
    tools = []
    try:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write("1")
        ctd.start()
        ctd.import_image()
        tools = [
            Tool("empty tp_btf", [f"{BUILD}/attach_object", f"{BUILD}/empty_exec.bpf.o"],
                 "attached"),
            Tool("ctrwatch", [CTRWATCH, "-o", f"{ctd.dir}/plain.jsonl"], "ready:",
                 "sched_process_exec"),
            Tool("ctrwatch --exec", [CTRWATCH, "--exec", "-o", f"{ctd.dir}/exec.jsonl"],
                 "ready:", "sched_process_exec"),
        ]
        if shutil.which("execsnoop"):
            tools.append(Tool("execsnoop (libbpf-tools)", ["execsnoop"], None))
        if shutil.which("bpftrace"):
            tools.append(Tool("bpftrace one-liner", [
                "bpftrace", "-e",
                'tracepoint:sched:sched_process_exec { printf("%d %s\\n", pid, comm); }'],
                "Attaching"))
        for t in tools:
            t.start(ctd.dir)
        time.sleep(1)
        host = measure(tools, lambda: spawn_on_host(args.execs))
        cid = f"bench-exec-{os.getpid()}"
        container = measure(tools, lambda: ctd.run(
            cid, "/bin/sh", "-c",
            f"i=0; while [ $i -lt {args.execs} ]; do /bin/true; i=$((i+1)); done",
            check=True, timeout=600))
        starts = max(args.execs // 10, 50)
        top = cgroup2_dir(f"/ctrwbench{os.getpid()}")
        plain = [t for t in tools if t.label == "ctrwatch"]
        with_start = measure(plain, lambda: start_loop(top, starts, True))["ctrwatch"]
        without = measure(plain, lambda: start_loop(top, starts, False))["ctrwatch"]
        remove_cgroup_tree(f"/ctrwbench{os.getpid()}")
    finally:
        for t in tools:
            t.stop()
        ctd.cleanup()
        remove_cgroup_tree(f"/{ctd.namespace}")
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(stats_before)
        if mounted_tracefs:
            subprocess.run(["umount", "/sys/kernel/tracing"], check=False)

    rows = []
    print(f"{'program':28} {'host ns/exec':>14} {'container ns/exec':>18} {'execs seen':>11}")
    for t in tools:
        (hns, hcnt), (cns, ccnt) = host[t.label], container[t.label]
        h = hns / hcnt if hcnt else float("nan")
        c = cns / ccnt if ccnt else float("nan")
        rows.append({"program": t.label, "host_ns_per_exec": round(h) if hcnt else None,
                     "container_ns_per_exec": round(c) if ccnt else None, "host_execs": hcnt,
                     "container_execs": ccnt})
        print(f"{t.label:28} {h:14.0f} {c:18.0f} {hcnt:>5}/{ccnt:<5}")
    start_ns = (with_start[0] - without[0]) / starts
    print(f"ctrwatch start path: {start_ns:.0f} ns per start ({starts} starts; runs "
          f"{with_start[1]} with, {without[1]} without)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"execs": args.execs, "rows": rows, "start_ns": round(start_ns),
                       "starts": starts}, f, indent=1)


if __name__ == "__main__":
    main()
