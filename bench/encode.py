#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Userspace CPU per event by --format (bench/encode_cost.c): the same enriched
container_start encoded by each format's encoder, ns of CPU per event and bytes per line; and
(bench/labels_cost.c) ns of CPU per label to decode and encode a container with 1 000 to
160 000 labels: flat when linear, growing with the count if labels were compared pairwise.
usage: encode.py [--events N] [--json OUT]"""

import argparse
import json
import os
import subprocess
import sys

BIN = os.path.join(os.path.dirname(__file__), "..", "build", "bench", "encode_cost")
LABELS_BIN = os.path.join(os.path.dirname(__file__), "..", "build", "bench", "labels_cost")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200000)
    ap.add_argument("--json")
    args = ap.parse_args()
    out = json.loads(subprocess.run([BIN, str(args.events)], check=True,
                                    stdout=subprocess.PIPE, text=True).stdout)
    for f in ("ndjson", "ecs", "ocsf"):
        print(f"  {f}: {out[f]['cpu_ns_per_event']:.0f} ns of CPU per event, "
              f"{out[f]['line_bytes']} bytes per line")
    labels = json.loads(subprocess.run([LABELS_BIN], check=True, stdout=subprocess.PIPE,
                                       text=True).stdout)
    out["labels_ns_per_label"] = labels
    print("  labels: " + ", ".join(f"{n}: {ns:.0f} ns" for n, ns in labels.items()) +
          f" of CPU per label; {max(labels, key=int)} vs {min(labels, key=int)}: "
          f"x{labels[max(labels, key=int)] / labels[min(labels, key=int)]:.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
