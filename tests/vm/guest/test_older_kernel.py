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
    r = subprocess.run([CTRWATCH, "--output", "/tmp/events.json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    log(f"kernel {release}: ctrwatch exited {r.returncode}: {r.stderr.strip()}")
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0] == ("ctrwatch: error: this kernel lacks BPF programs of type syscall "
                        "(Linux 5.14): ctrwatch needs Linux >= 5.14"), lines
    assert not os.path.exists("/tmp/events.json") or os.path.getsize("/tmp/events.json") == 0
    out = subprocess.run(["bpftool", "prog", "show"], stdout=subprocess.PIPE, text=True).stdout
    assert "sched_process_exec" not in out, "a program was left loaded"


if __name__ == "__main__":
    ok = run_tests("vm-older-kernel", [("test_an_older_kernel_is_refused_in_one_line",
                                        test_an_older_kernel_is_refused_in_one_line)])
    sys.exit(0 if ok else 1)
