#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The older-kernel leg of `make vmtest`: the same guest booted with Debian 11's 5.10 kernel,
older than ctrwatch needs (README: Linux >= 5.14). ctrwatch must stop at start with exit 1 and
one line naming the kernel feature it lacks, before loading anything."""

import os
import platform
import subprocess
import sys

sys.path.insert(0, "/repo/tests/e2e")
from harness import log, run_tests  # noqa: E402

CTRWATCH = "/repo/ctrwatch"


def test_an_older_kernel_is_refused_in_one_line():
    release = platform.release()
    assert release.startswith("5.10."), f"this leg boots 5.10, not {release}"
    trace = "/tmp/ctrwatch-bpf.trace"
    r = subprocess.run(["strace", "-f", "-qq", "-e", "trace=bpf", "-o", trace,
                        CTRWATCH, "--output", "/tmp/events.json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    log(f"kernel {release}: ctrwatch exited {r.returncode}: {r.stderr.strip()}")
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0] == ("ctrwatch: error: this kernel lacks BPF programs of type syscall "
                        "(Linux 5.14): ctrwatch needs Linux >= 5.14"), lines
    assert not os.path.exists("/tmp/events.json") or os.path.getsize("/tmp/events.json") == 0
    # nothing loaded before the refusal: every bpf(2) call that made a map or a program made a
    # feature probe's, and the probe that refused was asked (strace saw it)
    with open(trace) as f:
        calls = [line.split(None, 1)[1] for line in f if " bpf(" in line]
    log(f"{len(calls)} bpf(2) calls: " + "; ".join(c[:100] for c in calls))
    assert any("BPF_PROG_TYPE_SYSCALL" in c and "= -1" in c for c in calls), calls
    made = [c for c in calls
            if c.startswith(("bpf(BPF_PROG_LOAD", "bpf(BPF_MAP_CREATE")) and "= -1" not in c]
    assert all(probe_name(c) in ("", "ctrwatch_probe") for c in made), made
    assert not [c for c in calls if c.startswith(("bpf(BPF_LINK_CREATE", "bpf(BPF_OBJ_PIN",
                                                  "bpf(BPF_RAW_TRACEPOINT_OPEN"))], calls


def probe_name(call):
    """The prog_name or map_name strace shows of a bpf(2) call, "" when none."""
    for key in ("prog_name=", "map_name="):
        if key in call:
            return call.split(key, 1)[1].split('"')[1]
    return ""


if __name__ == "__main__":
    ok = run_tests("vm-older-kernel", [("test_an_older_kernel_is_refused_in_one_line",
                                        test_an_older_kernel_is_refused_in_one_line)])
    sys.exit(0 if ok else 1)
