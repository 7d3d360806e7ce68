#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""README's picture of --format text: ctrwatch run in a real terminal (a tmux window 132x16),
a short session of containers under a private containerd, and tmux's capture of the screen,
colours included (capture-pane -e), drawn as an SVG. Root; needs tmux.

    python3 tests/lib/terminal_shot.py docs/terminal-session.svg
"""

import html
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from harness import CTRWATCH, clean_up, private_containerd, wait_until  # noqa: E402

COLS, ROWS = 132, 16
SESSION = f"ctrwatch-shot-{os.getpid()}"
PALETTE = {30: "#3b4252", 31: "#e06c75", 32: "#98c379", 33: "#e5c07b", 34: "#61afef",
           35: "#c678dd", 36: "#56b6c2", 37: "#dcdfe4"}
FG, BG = "#dcdfe4", "#1e2127"


def tmux(*args):
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def session(ctd):
    """What a person would do while ctrwatch watches."""
    ctd.run("web-1", "/bin/sh", "-c", "/bin/true; exit 3")
    ctd.run("api", "/bin/sh", "-c", "while :; do sleep 1; done", detach=True, check=True)
    time.sleep(0.5)
    ctd.ctr("task", "exec", "--exec-id", "debug-1", "api", "/bin/sh", "-c", "id", check=True)
    ctd.ctr("task", "pause", "api", check=True)
    ctd.ctr("task", "resume", "api", check=True)
    ctd.kill("api")
    ctd.remove("api")
    ctd.run("oops", "/bin/sh", "-c", "exit 0", "\x1b[2J\x1b[31mfake\nline")


def spans(line):
    """(text, colour, bold) pieces of one captured line: SGR sequences read, the rest text."""
    out, colour, bold = [], FG, False
    for part in re.split(r"(\x1b\[[0-9;]*m)", line):
        if not part.startswith("\x1b["):
            if part:
                out.append((part, colour, bold))
            continue
        codes = [int(c) for c in part[2:-1].split(";") if c] or [0]
        for c in codes:
            if c == 0:
                colour, bold = FG, False
            elif c == 39:
                colour = FG
            elif c == 22:
                bold = False
            elif c == 1:
                bold = True
            elif c == 2:
                colour = "#7f848e"
            elif c in PALETTE:
                colour = PALETTE[c]
    return out


def svg(lines):
    cw, lh = 7.8, 18
    width, height = int(COLS * cw + 24), int(len(lines) * lh + 44)
    rows = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'font-family="DejaVu Sans Mono, monospace" font-size="13">',
            f'<rect width="100%" height="100%" rx="6" fill="{BG}"/>',
            '<circle cx="16" cy="14" r="5" fill="#e06c75"/><circle cx="32" cy="14" r="5" '
            'fill="#e5c07b"/><circle cx="48" cy="14" r="5" fill="#98c379"/>']
    for i, line in enumerate(lines):
        y = 44 + i * lh
        x = 12.0
        for text, colour, bold in spans(line):
            weight = ' font-weight="bold"' if bold else ""
            rows.append(f'<text x="{x:.1f}" y="{y}" fill="{colour}"{weight} '
                        f'xml:space="preserve">{html.escape(text)}</text>')
            x += len(text) * cw
    rows.append("</svg>")
    return "\n".join(rows) + "\n"


def main(out):
    ctd = private_containerd()
    try:
        err = os.path.join(ctd.dir, "shot.err")
        tmux("new-session", "-d", "-s", SESSION, "-x", str(COLS), "-y", str(ROWS),
             f"{CTRWATCH} --exec --containerd-socket {ctd.sock} 2>{err}; sleep 30")
        wait_until(lambda: "ready:" in open(err).read() if os.path.exists(err) else False,
                   timeout=20, what="ctrwatch to be ready")
        session(ctd)
        wait_until(lambda: "oops" in tmux("capture-pane", "-p", "-t", SESSION) and
                   tmux("capture-pane", "-p", "-t", SESSION).count("remove") >= 3,
                   what="the session's last line")
        screen = tmux("capture-pane", "-p", "-e", "-t", SESSION).rstrip("\n").split("\n")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
        clean_up(ctd)
    with open(out, "w") as f:
        f.write(svg([ln for ln in screen if ln.strip()]))
    with open(os.path.splitext(out)[0] + ".txt", "w") as f:
        f.write("\n".join(re.sub(r"\x1b\[[0-9;]*m", "", ln) for ln in screen if ln.strip()) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/terminal-session.svg")
