#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""End-to-end: --format text, the line a person reads at a terminal. Real containers under a
private containerd; one ctrwatch writes text to a file, others run on a pseudo-terminal of a
set width (the default format there, colour unless NO_COLOR). A container's arguments carry
what a terminal would obey (cursor moves, a screen clear, a colour, a newline and a forged
line, a bidirectional override): every line must show them as escapes, hold no control byte
but ctrwatch's own colour sequences, and fit the terminal's width. Root."""

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import threading

sys.path.insert(0, os.path.dirname(__file__))
from harness import (clean_up, main, CTRWATCH, Ctrwatch, log, private_containerd,  # noqa: E402
                     stop_process, wait_until)

ctd = None
workdir = None
SGR = re.compile(rb"\x1b\[[0-9;]*m")
# what a container's argument may try on a terminal
HOSTILE = ("\x1b[2J\x1b[H\x1b[31mred\x1b]0;title\x07\n12:00:00.000 start    forged"
           "\u202eevil\u2028\x9b31m\\")


def cid(suffix):
    return f"txt-{os.getpid()}-{suffix}"


class OnTerminal:
    """A ctrwatch whose stdout is a pseudo-terminal cols wide; what it shows, kept."""

    def __init__(self, name, cols, *args, env=None):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols, 0, 0))
        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.ONLCR  # the line as written: no \r added
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        self.err_path = os.path.join(workdir, f"{name}.err")
        with open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen([CTRWATCH, "--containerd-socket", ctd.sock, *args],
                                         stdout=slave, stderr=err, env=env)
        os.close(slave)
        self.shown = b""
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()
        wait_until(lambda: self.proc.poll() is not None or "ready:" in self.stderr(),
                   timeout=20, what="ctrwatch to be ready")
        assert self.proc.poll() is None, self.stderr()

    def read(self):
        while True:
            r, _, _ = select.select([self.master], [], [], 0.2)
            if r:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    return
                if not data:
                    return
                self.shown += data
            elif self.proc.poll() is not None:
                return

    def stderr(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def lines(self):
        return [ln for ln in self.shown.split(b"\n")[:-1]]

    def stop(self):
        stop_process(self.proc)
        self.reader.join(timeout=5)
        os.close(self.master)
        return self.proc.returncode


def visible(line):
    """A line as the person sees it: ctrwatch's colour sequences taken out."""
    return SGR.sub(b"", line)


def assert_inert(line):
    """Nothing in the line a terminal would obey but ctrwatch's own SGR sequences."""
    text = visible(line).decode("utf-8")  # strict: what is shown is UTF-8
    bad = [c for c in text if ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f or c in "\u202e\u2028"]
    assert not bad, (bad, line)
    return text


def run_hostile(name):
    """A container whose arguments carry HOSTILE, exiting 3; it is removed."""
    ctd.run(name, "/bin/sh", "-c", "exit 3", HOSTILE, check=False)  # --rm: removed


def hostile_on_terminal(name, cols, *args, env=None):
    """The lines a ctrwatch on a terminal cols wide showed of run_hostile()'s container."""
    t = OnTerminal(name, cols, *args, env=env)
    container = cid(name)
    try:
        run_hostile(container)
        wait_until(lambda: any(b"remove" in ln and container.encode() in ln for ln in t.lines()),
                   what="the remove line on the terminal")
    finally:
        assert t.stop() == 0
    return [ln for ln in t.lines() if container.encode() in ln]


def test_lines_in_a_file_are_plain_and_show_every_event():
    """--format text --output FILE: no colour (not a terminal), one line per event of the
    container's life, in order, its name, image, its arguments escaped, its exit code."""
    w = Ctrwatch(workdir, "file", "--format", "text", socket=ctd.sock).start()
    name = cid("file")
    run_hostile(name)
    wait_until(lambda: f" remove   {name}".encode() in open(w.out_path, "rb").read(),
               what="the remove line")
    assert w.stop() == 0
    data = open(w.out_path, "rb").read()
    assert b"\x1b" not in data, data  # no colour, and the container's ESCs escaped
    mine = [assert_inert(ln) for ln in data.split(b"\n")[:-1] if name.encode() in ln]
    words = [ln.split()[1] for ln in mine]
    assert words == ["create", "start", "exit", "remove"], mine
    start = mine[1]
    assert re.match(r"^\d\d:\d\d:\d\d\.\d\d\d start ", start), start
    assert "busybox" in start or "ctrwatch-test" in start, start  # the image's column
    for shown in (r"\e[2J\e[H\e[31mred\e]0;title\x07\n12:00:00.000 start", r"\u{202e}evil",
                  r"\u{2028}\u{009b}31m\\"):
        assert shown in start, (shown, start)
    assert "code 3" in mine[2], mine[2]
    log(f"start line: {start}")


def test_on_a_terminal_text_is_the_default_coloured_and_cut_to_its_width():
    """stdout a terminal 72 columns wide and no --format: text, with colour; every line fits
    the width, the long arguments cut with an ellipsis, never wrapped."""
    mine = hostile_on_terminal("tty", 72, "--exec")
    assert len(mine) >= 4, t.shown
    assert all(SGR.search(ln) for ln in mine), mine  # the word's colour
    for ln in mine:
        text = assert_inert(ln)
        assert len(text) <= 72, (len(text), text)
    start = next(assert_inert(ln) for ln in mine if b" start " in visible(ln))
    assert start.endswith("\u2026"), start  # cut, said with an ellipsis
    assert "{" not in start[:40], start  # not JSON


def test_no_color_and_a_pipe_are_honoured():
    """NO_COLOR set: text on the terminal without a single escape sequence. stdout a pipe and no
    --format: ndjson, as before."""
    mine = hostile_on_terminal("nc", 100, env=dict(os.environ, NO_COLOR="1"))
    assert mine and not any(b"\x1b" in ln for ln in mine), mine
    err_path = os.path.join(workdir, "pipe.err")
    with open(err_path, "wb") as err:
        piped = subprocess.Popen([CTRWATCH, "--containerd-socket", ctd.sock],
                                 stdout=subprocess.PIPE, stderr=err)
    try:
        wait_until(lambda: "ready:" in open(err_path).read(), timeout=20,
                   what="ctrwatch to be ready")
        first = []
        reader = threading.Thread(target=lambda: first.append(piped.stdout.readline()),
                                  daemon=True)
        reader.start()
        ctd.run(cid("pipe"), "/bin/true", check=False)
        reader.join(timeout=20)
    finally:
        stop_process(piped)
    assert first and first[0].startswith(b'{"time":'), first


def setup():
    global ctd, workdir
    ctd = private_containerd()
    workdir = ctd.dir


def teardown():
    clean_up(ctd)


if __name__ == "__main__":
    main("e2e-text", globals(), setup, teardown)
