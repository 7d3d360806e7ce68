#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The built binary's footprint where a code change can silently grow it: the BPF object (about
1 MB) that the skeleton embeds must be in the binary once. A second file that reads the
skeleton's bytes (ctrwatch_bpf__elf_bytes) embeds them again: seen when the object's hash moved
to pinned_set.c (text 1.30 -> 2.29 MB, RSS +420 KiB idle)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CTRWATCH, REPO, log, main  # noqa: E402


def test_the_bpf_object_is_embedded_once():
    with open(os.path.join(REPO, "build", "ctrwatch.bpf.o"), "rb") as f:
        obj = f.read()
    with open(CTRWATCH, "rb") as f:
        binary = f.read()
    # a stretch from the object's middle: its ELF header alone is common to every object
    probe = obj[len(obj) // 2:len(obj) // 2 + 4096]
    copies = binary.count(probe)
    log(f"{len(obj)} bytes of BPF object, {len(binary)} bytes of binary: {copies} copy")
    assert copies == 1, copies


if __name__ == "__main__":
    main("e2e-build", globals(), lambda: None, lambda: None)
