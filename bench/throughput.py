#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Exec throughput kept: an exec storm (N spawns of /bin/true from a busybox shell loop) on the
host and inside a container, with and without ctrwatch --exec attached, alternating runs.
Throughput kept = median time without / median time with. usage: throughput.py [--execs N]
[--rounds R] [--json OUT]"""

import argparse
import subprocess

from common import CTRWATCH, median, private_containerd, report

LOOP = "i=0; while [ $i -lt {n} ]; do /bin/true; i=$((i+1)); done"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--execs", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    times = {("host", False): [], ("host", True): [], ("container", False): [],
             ("container", True): []}
    with private_containerd() as ctd:
        # One long-lived container runs the storms, so container start-up is not measured.
        ctd.run("storm", "/bin/sleep", "3600", detach=True, check=True)
        storm = {
            "host": ["busybox", "sh", "-c", LOOP.format(n=args.execs)],
            "container": ["ctr", "-a", ctd.sock, "-n", ctd.namespace, "task", "exec",
                          "--exec-id", "x", "storm", "/bin/sh", "-c", LOOP.format(n=args.execs)],
        }
        import time
        for r in range(args.rounds):
            for with_ctrwatch in ((False, True) if r % 2 == 0 else (True, False)):
                cw = None
                if with_ctrwatch:
                    cw = subprocess.Popen([CTRWATCH, "--exec", "--containerd-socket", ctd.sock,
                                           "-o", "/dev/null"], stderr=subprocess.DEVNULL)
                    time.sleep(1.0)
                for where, cmd in storm.items():
                    start = time.monotonic()
                    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
                    times[(where, with_ctrwatch)].append(time.monotonic() - start)
                if cw:
                    cw.terminate()
                    cw.wait()
    result = {"execs": args.execs, "rounds": args.rounds}
    for where in ("host", "container"):
        without, with_ = median(times[(where, False)]), median(times[(where, True)])
        result[where] = {"seconds_without": round(without, 3), "seconds_with": round(with_, 3),
                         "kept": round(without / with_, 4),
                         "execs_per_s_without": round(args.execs / without),
                         "execs_per_s_with": round(args.execs / with_)}
    report(result, args.json)


if __name__ == "__main__":
    main()
